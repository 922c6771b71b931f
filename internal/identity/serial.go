package identity

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// ReissueOldSerials gives every merchant whose API certificate tuikuan generated, and
// whose serial is not in wxcrypto.NewSerial's form, a new certificate over the same key
// and name. Older data dirs made serials with the top bit set: 21 DER octets, which
// clients that read the serial from the raw bytes write as "00…" and which the server
// then refused. The former serial stays accepted (pay.Merchant.FormerCertSerial),
// so a client configured with the old cert_serial string keeps working; the store is
// updated first and WriteCredentials rewrites apiclient_cert.pem from it. A merchant
// added from its own certificate keeps it: tuikuan has no key to sign a new one with.
// The caller serializes calls on one data dir.
func ReissueOldSerials(ctx context.Context, dir string, store pay.Store, now time.Time) error {
	ms, err := Merchants(ctx, store)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.PrivateKeyFile == "" {
			continue
		}
		cert, err := wxcrypto.ParseCertificate([]byte(m.CertPEM))
		if err != nil {
			return fmt.Errorf("merchant %s certificate: %w", m.Mchid, err)
		}
		if wxcrypto.SerialInForm(cert) {
			continue
		}
		key, err := merchantKey(dir, m)
		if err != nil || !key.PublicKey.Equal(cert.PublicKey) {
			continue // a key file removed or replaced: nothing to sign a new one with
		}
		org := "tuikuan sandbox merchant"
		if len(cert.Subject.Organization) > 0 {
			org = cert.Subject.Organization[0]
		}
		fresh, certPEM, err := wxcrypto.SelfSign(key, cert.Subject.CommonName, org, now, 5)
		if err != nil {
			return fmt.Errorf("re-issue merchant %s certificate: %w", m.Mchid, err)
		}
		if m.FormerCertSerial == "" {
			m.FormerCertSerial = m.CertSerial
		}
		m.CertPEM, m.CertSerial = string(certPEM), wxcrypto.SerialHex(fresh)
		if err := store.Update(ctx, func(tx pay.Tx) error { return tx.UpdateMerchant(ctx, m) }); err != nil {
			return fmt.Errorf("re-issue merchant %s certificate: %w", m.Mchid, err)
		}
	}
	return nil
}

// merchantKey reads the API key tuikuan generated for m.
func merchantKey(dir string, m *pay.Merchant) (*rsa.PrivateKey, error) {
	keyPEM, err := os.ReadFile(filepath.Join(dir, m.PrivateKeyFile))
	if err != nil {
		return nil, fmt.Errorf("merchant %s key: %w", m.Mchid, err)
	}
	key, err := wxcrypto.ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("merchant %s key: %w", m.Mchid, err)
	}
	return key, nil
}
