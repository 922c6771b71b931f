package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"testing"

	"github.com/go-pay/gopay/wechat"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// Ensure each merchant's apiclient_cert.p12 holds its client certificate and API key
// under the mchid as password, for Go's reader and for OpenSSL 3 without its legacy
// provider, and is not rewritten by a restart.
func TestP12_Contents(t *testing.T) {
	s := startServer(t)
	before := map[string][]byte{}
	for _, m := range s.creds.Merchants {
		if m.P12File != identity.P12File(m.Mchid) {
			t.Fatalf("merchant %s p12_file = %q, want %q", m.Mchid, m.P12File, identity.P12File(m.Mchid))
		}
		data, err := os.ReadFile(s.path(m.P12File))
		if err != nil {
			t.Fatal(err)
		}
		before[m.Mchid] = data
		if info, err := os.Stat(s.path(m.P12File)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, %v; want 0600", m.P12File, info.Mode(), err)
		}
		key, cert, _, err := pkcs12.DecodeChain(data, m.Mchid)
		if err != nil {
			t.Fatalf("DecodeChain(%s): %v", m.P12File, err)
		}
		client := readCert(t, s.path(m.ClientCertFile))
		if !bytes.Equal(cert.Raw, client.Raw) {
			t.Errorf("%s: certificate is not %s", m.P12File, m.ClientCertFile)
		}
		if !readKey(t, s.path(m.PrivateKeyFile)).Equal(key) {
			t.Errorf("%s: key is not %s", m.P12File, m.PrivateKeyFile)
		}
		checkOpenSSLP12(t, s.path(m.P12File), m.Mchid, client)
	}
	s.stop()
	s = startServerIn(t, s.dir)
	for _, m := range s.creds.Merchants {
		if data, err := os.ReadFile(s.path(m.P12File)); err != nil || !bytes.Equal(data, before[m.Mchid]) {
			t.Errorf("%s rewritten by a restart (%v)", m.P12File, err)
		}
	}
}

// checkOpenSSLP12 reads path with the openssl binary, as a user exporting PEM would.
func checkOpenSSLP12(t *testing.T, path, mchid string, client *x509.Certificate) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	certs, err := exec.Command("openssl", "pkcs12", "-in", path, "-passin", "pass:"+mchid, "-nokeys").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs12 -nokeys %s: %v\n%s", path, err, certs)
	}
	block, _ := pem.Decode(certs[bytes.Index(certs, []byte("-----BEGIN")):])
	if block == nil || !bytes.Equal(block.Bytes, client.Raw) {
		t.Errorf("openssl pkcs12 -nokeys %s: not the client certificate:\n%s", path, certs)
	}
	keys, err := exec.Command("openssl", "pkcs12", "-in", path, "-passin", "pass:"+mchid, "-nocerts", "-nodes").CombinedOutput()
	if err != nil || !bytes.Contains(keys, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Errorf("openssl pkcs12 -nocerts %s: %v\n%s", path, err, keys)
	}
}

// Ensure gopay's v2 client configured with nothing but apiclient_cert.p12 refunds over
// the mutual-TLS endpoint.
func TestP12_V2Refund(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", false)
	if err := c.AddCertPkcs12FilePath(s.path(m.P12File)); err != nil {
		t.Fatalf("AddCertPkcs12FilePath: %v", err)
	}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	no := uniq("P12")
	rsp, bm, err := c.Refund(context.Background(), v2RefundBody(o, no, 300, wechat.SignType_MD5))
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	v2Verify(t, m, wechat.SignType_MD5, bm)
	if rsp.ReturnCode != "SUCCESS" || rsp.ResultCode != "SUCCESS" || rsp.OutRefundNo != no || rsp.RefundFee != "300" {
		t.Errorf("Refund = %+v", rsp)
	}
}
