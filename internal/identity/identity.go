// Package identity creates and keeps the key material of a tuikuan installation: the
// "WeChat Pay platform" key pair with its public-key ID and certificate, the merchants'
// API certificates and keys, and credentials.json, the file users script against.
package identity

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/refund"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Platform is the "WeChat Pay" side: one RSA key pair that signs every response and
// notification, named either by its public-key ID (public-key mode) or by the serial of
// a certificate over the same key (certificate mode).
type Platform struct {
	Key         *rsa.PrivateKey
	PublicKeyID string
	Cert        *x509.Certificate
	CertPEM     []byte
	CertSerial  string
}

// Settings under which the platform identity is kept in the store, so that every node of
// a cluster signs with the same key.
const (
	settingKey         = "platform_key_pem"
	settingCert        = "platform_cert_pem"
	settingPublicKeyID = "platform_public_key_id"
	settingToken       = "sandbox_token"
)

// LoadOrCreatePlatform returns the platform identity and the sandbox token, creating both
// on first start. Keys are generated outside the transaction (RSA generation is slow) and
// only stored if no other process stored its own first.
func LoadOrCreatePlatform(ctx context.Context, store refund.Store, now time.Time) (*Platform, string, error) {
	vals, err := readSettings(ctx, store, settingKey, settingCert, settingPublicKeyID, settingToken)
	if err != nil {
		return nil, "", err
	}
	if vals[settingKey] == "" {
		fresh, err := newPlatformSettings(now)
		if err != nil {
			return nil, "", err
		}
		if err := store.Update(ctx, func(tx refund.Tx) error {
			if _, err := tx.Setting(ctx, settingKey); err == nil {
				return nil // another process got there first; use its identity
			}
			for k, v := range fresh {
				if err := tx.PutSetting(ctx, k, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, "", fmt.Errorf("store platform identity: %w", err)
		}
		if vals, err = readSettings(ctx, store, settingKey, settingCert, settingPublicKeyID, settingToken); err != nil {
			return nil, "", err
		}
	}
	p, err := parsePlatform(vals)
	if err != nil {
		return nil, "", err
	}
	return p, vals[settingToken], nil
}

func newPlatformSettings(now time.Time) (map[string]string, error) {
	key, err := wxcrypto.NewKey()
	if err != nil {
		return nil, fmt.Errorf("generate platform key: %w", err)
	}
	_, certPEM, err := wxcrypto.SelfSign(key, "Tenpay.com Root CA (tuikuan sandbox)", "Tenpay.com", now, 5)
	if err != nil {
		return nil, err
	}
	keyPEM, err := wxcrypto.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		settingKey:  string(keyPEM),
		settingCert: string(certPEM),
		// Real IDs are PUB_KEY_ID_ and 32-odd digits (protocol.md §2.6).
		settingPublicKeyID: "PUB_KEY_ID_01" + wxcrypto.Digits(30),
		settingToken:       wxcrypto.Nonce(40),
	}, nil
}

func parsePlatform(vals map[string]string) (*Platform, error) {
	key, err := wxcrypto.ParsePrivateKey([]byte(vals[settingKey]))
	if err != nil {
		return nil, fmt.Errorf("platform key: %w", err)
	}
	cert, err := wxcrypto.ParseCertificate([]byte(vals[settingCert]))
	if err != nil {
		return nil, fmt.Errorf("platform certificate: %w", err)
	}
	return &Platform{
		Key:         key,
		PublicKeyID: vals[settingPublicKeyID],
		Cert:        cert,
		CertPEM:     []byte(vals[settingCert]),
		CertSerial:  wxcrypto.SerialHex(cert),
	}, nil
}

func readSettings(ctx context.Context, store refund.Store, keys ...string) (map[string]string, error) {
	vals := make(map[string]string, len(keys))
	err := store.View(ctx, func(tx refund.Tx) error {
		for _, k := range keys {
			v, err := tx.Setting(ctx, k)
			if err != nil && !errors.Is(err, refund.ErrNotFound) {
				return err
			}
			vals[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read platform identity: %w", err)
	}
	return vals, nil
}
