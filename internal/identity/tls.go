package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Files of the installation's own certificate authority, which signs the TLS server
// certificate and the merchants' client certificates for the v2 API's mutual TLS
// (/secapi/pay/refund, "请求需要双向证书",
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4).
var (
	CAFile        = filepath.Join("tls", "ca.pem")
	caKeyFile     = filepath.Join("tls", "ca_key.pem")
	serverKeyFile = filepath.Join("tls", "server_key.pem")
)

// ClientCertFile is where a merchant's CA-issued TLS client certificate is written. It
// certifies the merchant's own API key, so apiclient_key.pem goes with it.
func ClientCertFile(mchid string) string {
	return filepath.Join("merchants", mchid, "apiclient_client_cert.pem")
}

// CA is the installation's certificate authority.
type CA struct {
	Cert    *x509.Certificate
	Key     *rsa.PrivateKey
	CertPEM []byte
}

// LoadOrCreateCA reads dir's CA, creating it on first start, and again if a crash left
// a certificate without its key or a key that is not the certificate's. The caller
// serializes calls on one data dir; client certificates the old CA issued are re-issued
// by EnsureClientCerts.
func LoadOrCreateCA(dir string, now time.Time) (*CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if errors.Is(err, fs.ErrNotExist) {
		return createCA(dir, now)
	}
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return createCA(dir, now)
	}
	if err != nil {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	cert, errCert := wxcrypto.ParseCertificate(certPEM)
	key, errKey := wxcrypto.ParsePrivateKey(keyPEM)
	if errCert != nil || errKey != nil || !key.PublicKey.Equal(cert.PublicKey) {
		return createCA(dir, now)
	}
	if !wxcrypto.SerialInForm(cert) {
		// A CA of an older data dir, its serial 21 octets: re-issued over the same key
		// and name, so a client that still trusts the old ca.pem verifies the server
		// certificates the new one issues, and clients never need to be told.
		return selfSignCA(dir, key, now, false)
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM}, nil
}

func createCA(dir string, now time.Time) (*CA, error) {
	key, err := wxcrypto.NewKey()
	if err != nil {
		return nil, err
	}
	return selfSignCA(dir, key, now, true)
}

// selfSignCA writes a CA certificate over key, and key itself when writeKey is set.
func selfSignCA(dir string, key *rsa.PrivateKey, now time.Time, writeKey bool) (*CA, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          wxcrypto.NewSerial(),
		Subject:               pkix.Name{CommonName: "tuikuan sandbox CA", Organization: []string{"tuikuan"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if writeKey {
		keyPEM, err := wxcrypto.EncodePrivateKey(key)
		if err != nil {
			return nil, err
		}
		// The key first: a CA certificate without its key would be unusable on restart.
		if err := writeFile(filepath.Join(dir, caKeyFile), keyPEM, 0o600); err != nil {
			return nil, err
		}
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFile(filepath.Join(dir, CAFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM}, nil
}

// loadOrCreateKey reads an RSA key file, creating it (mode 0600) if it is missing. The TLS
// server key is kept so that a restart costs no key generation; its certificate is
// issued afresh at each start, for the address of the day.
func loadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return wxcrypto.ParsePrivateKey(data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key, err := wxcrypto.NewKey()
	if err != nil {
		return nil, err
	}
	pemBytes, err := wxcrypto.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	return key, writeFile(path, pemBytes, 0o600)
}

// issued reports whether the file at path is a client certificate ca issued over m's
// API key, with a serial in the current form (older data dirs' client certificates,
// issued by the same CA key, are issued again).
func (ca *CA) issued(path string, m *pay.Merchant) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	cert, err := wxcrypto.ParseCertificate(data)
	if err != nil || !wxcrypto.SerialInForm(cert) || cert.CheckSignatureFrom(ca.Cert) != nil {
		return false
	}
	api, err := wxcrypto.ParseCertificate([]byte(m.CertPEM))
	return err == nil && api.PublicKey.(*rsa.PublicKey).Equal(cert.PublicKey)
}

func (ca *CA) issue(tmpl *x509.Certificate, pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	return der, nil
}

// ServerConfig is the TLS configuration of the listener: a fresh server certificate for
// the loopback names and host, and client certificates verified against the CA when a
// client offers one. Whether a request needs one is the handler's business: only
// /secapi/ paths do.
func (ca *CA) ServerConfig(dir, host string, now time.Time) (*tls.Config, error) {
	key, err := loadOrCreateKey(filepath.Join(dir, serverKeyFile))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: wxcrypto.NewSerial(),
		Subject:      pkix.Name{CommonName: "tuikuan"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if host != "" && ip == nil {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := ca.issue(tmpl, &key.PublicKey)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// EnsureClientCerts issues, for every merchant that has none or one the CA did not
// issue over its API key, a TLS client certificate over the public key of its API
// certificate, with the mchid as common name (the v2 API's certificates name the
// merchant the same way).
func (ca *CA) EnsureClientCerts(dir string, ms []*pay.Merchant, now time.Time) error {
	for _, m := range ms {
		path := filepath.Join(dir, ClientCertFile(m.Mchid))
		if ca.issued(path, m) {
			continue
		}
		api, err := wxcrypto.ParseCertificate([]byte(m.CertPEM))
		if err != nil {
			return fmt.Errorf("merchant %s certificate: %w", m.Mchid, err)
		}
		der, err := ca.issue(&x509.Certificate{
			SerialNumber: wxcrypto.NewSerial(),
			Subject:      pkix.Name{CommonName: m.Mchid, Organization: []string{"tuikuan sandbox merchant"}},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.AddDate(5, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, api.PublicKey.(*rsa.PublicKey))
		if err != nil {
			return err
		}
		if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return err
		}
	}
	return nil
}
