package identity

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// P12File is where a merchant's TLS client certificate and API key are written as
// PKCS#12, the apiclient_cert.p12 the merchant platform hands out with the mchid as
// its password. Some v2 clients take the identity for the refund API's mutual TLS
// ("请求需要双向证书", https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4)
// only in that form.
func P12File(mchid string) string {
	return filepath.Join("merchants", mchid, "apiclient_cert.p12")
}

// writeP12 writes m's P12File from its client certificate and key, unless the file
// already holds them: encoding draws a fresh salt, so equal files are never equal bytes.
// A merchant whose key tuikuan does not hold has none.
func writeP12(dir string, m *pay.Merchant) error {
	if m.PrivateKeyFile == "" {
		return nil
	}
	key, err := merchantKey(dir, m)
	if err != nil {
		return err
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, ClientCertFile(m.Mchid)))
	if err != nil {
		return fmt.Errorf("merchant %s client certificate: %w", m.Mchid, err)
	}
	cert, err := wxcrypto.ParseCertificate(certPEM)
	if err != nil {
		return fmt.Errorf("merchant %s client certificate: %w", m.Mchid, err)
	}
	path := filepath.Join(dir, P12File(m.Mchid))
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if oldKey, oldCert, _, err := pkcs12.DecodeChain(old, m.Mchid); err == nil &&
		bytes.Equal(oldCert.Raw, cert.Raw) && key.Equal(oldKey) {
		return writeFile(path, old, 0o600) // its mode put right, should it be wrong
	}
	// 3DES and a SHA-1 MAC, as the platform's own files: golang.org/x/crypto/pkcs12
	// (which gopay uses) and Node read nothing newer, and OpenSSL 3 reads these without
	// its legacy provider, unlike RC2.
	data, err := pkcs12.LegacyDES.WithRand(rand.Reader).Encode(key, cert, nil, m.Mchid)
	if err != nil {
		return fmt.Errorf("encode merchant %s PKCS#12: %w", m.Mchid, err)
	}
	// It holds the private key, as apiclient_key.pem does.
	return writeFile(path, data, 0o600)
}
