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

// settingComplete marks an installation whose first start finished: the platform
// identity and the default merchants exist. It is written last, in the transaction that
// writes them.
const settingComplete = "installation_complete"

// EnsureInstallation returns the platform identity and the sandbox token, completing
// the installation first if its first start never finished: the platform identity and
// whichever default merchants are missing (a direct merchant, a partner and one of its
// sub-merchants) are stored in one transaction, after their key files are on disk, and
// that transaction marks the installation complete. A first start killed at any point
// thus leaves either nothing in the store (and at most orphan key files) or everything.
// The caller serializes calls on one data dir; keys are generated outside the
// transaction (RSA generation is slow), and a process that finds the installation
// completed by another in the meantime uses that one's.
func EnsureInstallation(ctx context.Context, dir string, store refund.Store, now time.Time) (*Platform, string, error) {
	keys := []string{settingKey, settingCert, settingPublicKeyID, settingToken, settingComplete}
	vals, err := readSettings(ctx, store, keys...)
	if err != nil {
		return nil, "", err
	}
	if vals[settingComplete] == "" {
		if err := completeInstallation(ctx, dir, store, vals[settingKey] == "", now); err != nil {
			return nil, "", err
		}
		if vals, err = readSettings(ctx, store, keys...); err != nil {
			return nil, "", err
		}
	}
	p, err := parsePlatform(vals)
	if err != nil {
		return nil, "", err
	}
	return p, vals[settingToken], nil
}

func completeInstallation(ctx context.Context, dir string, store refund.Store, needPlatform bool, now time.Time) error {
	var fresh map[string]string
	if needPlatform {
		var err error
		if fresh, err = newPlatformSettings(now); err != nil {
			return err
		}
	}
	ms, err := Merchants(ctx, store)
	if err != nil {
		return err
	}
	needDirect, needPartner, needSub, partnerID := missingDefaults(ms)
	var add []*refund.Merchant
	var written []string
	build := func(nm NewMerchant) (*refund.Merchant, error) {
		m, err := newMerchant(nm, now)
		if err != nil {
			return nil, err
		}
		w, err := writeMerchantFiles(dir, m, nil, now)
		written = append(written, w...)
		if err != nil {
			return nil, err
		}
		add = append(add, m)
		return m, nil
	}
	if needDirect {
		_, err = build(NewMerchant{Kind: refund.KindDirect})
	}
	if err == nil && needPartner {
		var sp *refund.Merchant
		if sp, err = build(NewMerchant{Kind: refund.KindPartner}); err == nil {
			partnerID = sp.Mchid
		}
	}
	if err == nil && needSub {
		_, err = build(NewMerchant{Kind: refund.KindSub, SpMchid: partnerID})
	}
	if err == nil {
		err = store.Update(ctx, func(tx refund.Tx) error {
			if _, err := tx.Setting(ctx, settingComplete); err == nil {
				add = nil // completed by another process: use its identity
				return nil
			}
			if _, err := tx.Setting(ctx, settingKey); err == nil {
				fresh = nil
			}
			for k, v := range fresh {
				if err := tx.PutSetting(ctx, k, v); err != nil {
					return err
				}
			}
			for _, m := range add {
				if err := tx.InsertMerchant(ctx, m); err != nil {
					return err
				}
			}
			return tx.PutSetting(ctx, settingComplete, now.UTC().Format(time.RFC3339))
		})
	}
	if err != nil || add == nil {
		removeWritten(written)
	}
	if err != nil {
		return fmt.Errorf("complete installation: %w", err)
	}
	return nil
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
