package identity

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// CredentialsFile is the name of the credentials file at the root of the data dir.
const CredentialsFile = "credentials.json"

// Credentials is credentials.json: a contract users and tests script against, so its keys
// never change. Paths are relative to the data dir.
type Credentials struct {
	APIBase      string               `json:"api_base"`
	SandboxToken string               `json:"sandbox_token"`
	Platform     PlatformCredentials  `json:"platform"`
	Merchants    []MerchantCredential `json:"merchants"`
}

// PlatformCredentials names the files a client verifies WeChat Pay's signatures with.
type PlatformCredentials struct {
	PublicKeyID   string `json:"public_key_id"`
	PublicKeyFile string `json:"public_key_file"`
	CertSerial    string `json:"cert_serial"`
	CertFile      string `json:"cert_file"`
	// CAFile is the CA that issued the TLS server certificate and the merchants' client
	// certificates (v2 mutual TLS).
	CAFile string `json:"ca_file"`
}

// MerchantCredential is what a merchant's client is configured with.
type MerchantCredential struct {
	Mchid          string `json:"mchid"`
	Kind           string `json:"kind"`
	SpMchid        string `json:"sp_mchid"`
	Appid          string `json:"appid"`
	CertSerial     string `json:"cert_serial"`
	PrivateKeyFile string `json:"private_key_file"`
	CertFile       string `json:"cert_file"`
	APIv3Key       string `json:"apiv3_key"`
	APIv2Key       string `json:"apiv2_key"`
	// ClientCertFile is the CA-issued TLS client certificate over the merchant's API key,
	// for /secapi/pay/refund.
	ClientCertFile string `json:"client_cert_file"`
	// P12File holds the client certificate and the API key as PKCS#12, password the
	// mchid; "" for a merchant whose key tuikuan does not hold.
	P12File string `json:"p12_file"`
}

// Platform file names, as in the official samples (wxp_pub.pem is a PKIX PUBLIC KEY).
var (
	PublicKeyFile = filepath.Join("platform", "wxp_pub.pem")
	CertFile      = filepath.Join("platform", "wxp_cert.pem")
)

// WriteCredentials writes the platform's public files, the merchants' certificates,
// TLS client certificates and their PKCS#12 files, and credentials.json into dir, each
// only if it is missing or differs. Every file is complete on disk when it returns.
func WriteCredentials(dir, apiBase string, p *Platform, ca *CA, token string, ms []*pay.Merchant) error {
	if err := ca.EnsureClientCerts(dir, ms, time.Now()); err != nil {
		return err
	}
	pub, err := wxcrypto.EncodePublicKey(&p.Key.PublicKey)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, PublicKeyFile), pub, 0o644); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, CertFile), p.CertPEM, 0o644); err != nil {
		return err
	}
	c := Credentials{
		APIBase:      apiBase,
		SandboxToken: token,
		Platform: PlatformCredentials{
			PublicKeyID:   p.PublicKeyID,
			PublicKeyFile: PublicKeyFile,
			CertSerial:    p.CertSerial,
			CertFile:      CertFile,
			CAFile:        CAFile,
		},
		Merchants: make([]MerchantCredential, 0, len(ms)),
	}
	for _, m := range ms {
		// Restored from the store should it be lost; unchanged, it is not rewritten.
		if m.CertFile != "" && m.CertPEM != "" {
			if err := writeFile(filepath.Join(dir, m.CertFile), []byte(m.CertPEM), 0o644); err != nil {
				return err
			}
		}
		if err := writeP12(dir, m); err != nil {
			return err
		}
		var p12 string
		if m.PrivateKeyFile != "" {
			p12 = P12File(m.Mchid)
		}
		c.Merchants = append(c.Merchants, MerchantCredential{
			Mchid: m.Mchid, Kind: string(m.Kind), SpMchid: m.SpMchid, Appid: m.Appid,
			CertSerial: m.CertSerial, PrivateKeyFile: m.PrivateKeyFile, CertFile: m.CertFile,
			APIv3Key: m.APIv3Key, APIv2Key: m.APIv2Key, ClientCertFile: ClientCertFile(m.Mchid), P12File: p12,
		})
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	// The file holds APIv3 and APIv2 keys: readable by its owner only.
	return writeFile(filepath.Join(dir, CredentialsFile), append(data, '\n'), 0o600)
}

// ReadCredentials reads dir's credentials.json.
func ReadCredentials(dir string) (*Credentials, error) {
	data, err := os.ReadFile(filepath.Join(dir, CredentialsFile))
	if err != nil {
		return nil, err
	}
	var c Credentials
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", CredentialsFile, err)
	}
	return &c, nil
}
