package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// serialForm is what every client must compute alike: 40 upper hex digits, the first
// 1 to 7.
var serialForm = regexp.MustCompile(`^[1-7][0-9A-F]{39}$`)

// rawSerial is the content octets of cert's serialNumber INTEGER, as clients that read
// the DER (Node's) see them (RFC 5280 §4.1).
func rawSerial(t testing.TB, cert *x509.Certificate) []byte {
	t.Helper()
	in := cryptobyte.String(cert.RawTBSCertificate)
	var tbs cryptobyte.String
	var serial cryptobyte.String
	if !in.ReadASN1(&tbs, asn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(asn1.Tag(0).Constructed().ContextSpecific()) ||
		!tbs.ReadASN1(&serial, asn1.INTEGER) {
		t.Fatalf("%s: cannot read the serial's DER", cert.Subject)
	}
	return serial
}

// checkSerial checks cert's serial in every way a client computes it, and returns it.
func checkSerial(t testing.TB, name string, cert *x509.Certificate, pemFile string) string {
	t.Helper()
	raw := rawSerial(t, cert)
	if len(raw) > 20 || raw[0] >= 0x80 {
		t.Errorf("%s: serial DER content = %X (%d octets), want at most 20, first below 0x80", name, raw, len(raw))
	}
	got := wxcrypto.SerialHex(cert)
	if !serialForm.MatchString(got) {
		t.Errorf("%s: serial %s, want 40 upper hex digits, the first 1 to 7", name, got)
	}
	if r := strings.ToUpper(hex.EncodeToString(raw)); r != got {
		t.Errorf("%s: raw DER serial %s, big.Int %s", name, r, got)
	}
	if pemFile != "" {
		if _, err := exec.LookPath("openssl"); err == nil {
			out, err := exec.Command("openssl", "x509", "-in", pemFile, "-noout", "-serial").Output()
			if err != nil {
				t.Fatalf("openssl x509 -serial %s: %v", pemFile, err)
			}
			if o := strings.TrimSpace(string(out)); o != "serial="+got {
				t.Errorf("%s: openssl says %q, want serial=%s", name, o, got)
			}
		}
	}
	return got
}

func readCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := wxcrypto.ParseCertificate(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}

// serverCert is the TLS server certificate the listener presents.
func (s *testServer) serverCert(t testing.TB) *x509.Certificate {
	t.Helper()
	u, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// Ensure every certificate of a fresh data dir has a serial every client writes the same
// way: merchants' API and client certificates, the platform's, the CA's, the server's.
func TestCerts_SerialForm(t *testing.T) {
	s := startServerIn(t, t.TempDir())
	checkSerial(t, "CA", readCert(t, s.path(identity.CAFile)), s.path(identity.CAFile))
	p := checkSerial(t, "platform", readCert(t, s.path(s.creds.Platform.CertFile)), s.path(s.creds.Platform.CertFile))
	if p != s.creds.Platform.CertSerial {
		t.Errorf("platform cert_serial = %s, certificate's %s", s.creds.Platform.CertSerial, p)
	}
	checkSerial(t, "TLS server", s.serverCert(t), "")
	for _, m := range s.creds.Merchants {
		if got := checkSerial(t, m.Mchid+" API", readCert(t, s.path(m.CertFile)), s.path(m.CertFile)); got != m.CertSerial {
			t.Errorf("merchant %s cert_serial = %s, certificate's %s", m.Mchid, m.CertSerial, got)
		}
		checkSerial(t, m.Mchid+" client", readCert(t, s.path(m.ClientCertFile)), s.path(m.ClientCertFile))
	}
}

// oldFormSerial is a serial as older data dirs made them: the top bit of 20 octets set.
func oldFormSerial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		t.Fatal(err)
	}
	return n.SetBit(n, 159, 1)
}

// reissueOld returns tmpl signed over pub by parent's key as an old-form certificate,
// self-signed when parent is nil.
func reissueOld(t testing.TB, tmpl *x509.Certificate, pub *rsa.PublicKey, parent *x509.Certificate, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl.SerialNumber = oldFormSerial(t)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func readKey(t testing.TB, path string) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := wxcrypto.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// makeOldForm turns dir's CA, the direct merchant's API certificate and its client
// certificate into old-form ones over the same keys, as an older tuikuan left them, and
// returns the merchant and its old serial.
func makeOldForm(t testing.TB, dir string) (identity.MerchantCredential, string) {
	t.Helper()
	creds, err := identity.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	var m identity.MerchantCredential
	for _, c := range creds.Merchants {
		if c.Kind == "direct" {
			m = c
		}
	}
	caKey := readKey(t, filepath.Join(dir, "tls", "ca_key.pem"))
	caTmpl := readCert(t, filepath.Join(dir, identity.CAFile))
	caPEM := reissueOld(t, caTmpl, &caKey.PublicKey, nil, caKey)
	ca, err := wxcrypto.ParseCertificate(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	key := readKey(t, filepath.Join(dir, m.PrivateKeyFile))
	clientPEM := reissueOld(t, readCert(t, filepath.Join(dir, m.ClientCertFile)), &key.PublicKey, ca, caKey)
	apiPEM := reissueOld(t, readCert(t, filepath.Join(dir, m.CertFile)), &key.PublicKey, nil, key)
	api, err := wxcrypto.ParseCertificate(apiPEM)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{identity.CAFile: caPEM, m.ClientCertFile: clientPEM, m.CertFile: apiPEM} {
		if err := os.WriteFile(filepath.Join(dir, path), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An older data dir has no apiclient_cert.p12.
	if err := os.Remove(filepath.Join(dir, m.P12File)); err != nil {
		t.Fatal(err)
	}
	old := wxcrypto.SerialHex(api)
	storeMerchant(t, dir, m.Mchid, func(sm *pay.Merchant) { sm.CertPEM, sm.CertSerial = string(apiPEM), old })
	return m, old
}

// storeMerchant changes a merchant in dir's store while no server runs.
func storeMerchant(t testing.TB, dir, mchid string, change func(*pay.Merchant)) {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, dir, dbFor(t, dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Update(ctx, func(tx pay.Tx) error {
		m, err := tx.Merchant(ctx, mchid)
		if err != nil {
			return err
		}
		change(m)
		return tx.UpdateMerchant(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure a data dir from before the serial form still works: its old-form certificates
// are issued again over the same keys, and the merchant's old serial stays accepted.
func TestCerts_UpgradeOldSerial(t *testing.T) {
	dir := copyTemplate(t)
	before, old := makeOldForm(t, dir)
	oldCA := readCert(t, filepath.Join(dir, identity.CAFile))
	s := startServerIn(t, dir)

	m := s.merchant(t, "direct")
	if got := checkSerial(t, "re-issued API", readCert(t, s.path(m.CertFile)), s.path(m.CertFile)); got != m.CertSerial || got == old {
		t.Errorf("cert_serial = %s, certificate's %s, old %s: want the certificate's, not the old", m.CertSerial, got, old)
	}
	if !readCert(t, s.path(m.CertFile)).PublicKey.(*rsa.PublicKey).Equal(&readKey(t, s.path(before.PrivateKeyFile)).PublicKey) {
		t.Error("re-issued API certificate is not over the merchant's key")
	}
	checkSerial(t, "re-issued CA", readCert(t, s.path(identity.CAFile)), s.path(identity.CAFile))
	client := readCert(t, s.path(m.ClientCertFile))
	checkSerial(t, "re-issued client", client, s.path(m.ClientCertFile))
	p12, err := os.ReadFile(s.path(m.P12File))
	if err != nil {
		t.Fatal(err)
	}
	if _, cert, _, err := pkcs12.DecodeChain(p12, m.Mchid); err != nil || !bytes.Equal(cert.Raw, client.Raw) {
		t.Errorf("%s does not hold the re-issued client certificate (%v)", m.P12File, err)
	}
	// A client that kept the old ca.pem still trusts the server.
	pool := x509.NewCertPool()
	pool.AddCert(oldCA)
	if _, err := s.serverCert(t).Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("server certificate under the old CA certificate: %v", err)
	}

	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	for _, serial := range []string{m.CertSerial, old} {
		withSerial := m
		withSerial.CertSerial = serial
		api := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, withSerial)}
		_, _, err := api.Create(context.Background(), refunddomestic.CreateRequest{
			TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("S")),
			Amount: &refunddomestic.AmountReq{Refund: core.Int64(10), Total: core.Int64(100), Currency: core.String("CNY")},
		})
		if err != nil {
			t.Errorf("refund signed with serial %s: %v", serial, err)
		}
	}
}
