// Package identity creates and keeps the key material of a tuikuan installation: the
// "WeChat Pay platform" key pairs, one named by its public-key ID and one by its
// certificate, the merchants' API certificates and keys, and credentials.json, the file
// users script against.
package identity

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Platform is the "WeChat Pay" side. As in production it has two RSA key pairs: the
// 微信支付公钥, named by its public-key ID
// (https://pay.weixin.qq.com/doc/v3/merchant/4012153196), and the platform certificate's,
// named by the certificate serial
// (https://pay.weixin.qq.com/docs/partner/products/platform-certificate/faq.html). Each
// signs what a client of its mode verifies and opens what a client encrypts under its
// public half; keeping them apart is what lets a client that mixes them up find out here.
type Platform struct {
	Key         *rsa.PrivateKey // the 微信支付公钥's private half
	PublicKeyID string
	CertKey     *rsa.PrivateKey // the private half of the key Cert certifies
	Cert        *x509.Certificate
	CertPEM     []byte
	CertSerial  string
}

// Settings under which the platform identity is kept in the store, so that every node of
// a cluster signs with the same key.
const (
	settingKey         = "platform_key_pem"
	settingCert        = "platform_cert_pem"
	settingCertKey     = "platform_cert_key_pem"
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
// completed by another in the meantime uses that one's. An installation made when one
// key served as both platform keys gets its second here (splitPlatformKey).
func EnsureInstallation(ctx context.Context, dir string, store pay.Store, now time.Time) (*Platform, string, error) {
	keys := []string{settingKey, settingCert, settingCertKey, settingPublicKeyID, settingToken, settingComplete}
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
	if vals[settingCertKey] == "" {
		if err := splitPlatformKey(ctx, store, now); err != nil {
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

func completeInstallation(ctx context.Context, dir string, store pay.Store, needPlatform bool, now time.Time) error {
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
	var add []*pay.Merchant
	var written []string
	build := func(nm NewMerchant) (*pay.Merchant, error) {
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
		_, err = build(NewMerchant{Kind: pay.KindDirect})
	}
	if err == nil && needPartner {
		var sp *pay.Merchant
		if sp, err = build(NewMerchant{Kind: pay.KindPartner}); err == nil {
			partnerID = sp.Mchid
		}
	}
	if err == nil && needSub {
		_, err = build(NewMerchant{Kind: pay.KindSub, SpMchid: partnerID})
	}
	if err == nil {
		err = store.Update(ctx, func(tx pay.Tx) error {
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

// splitPlatformKey gives an installation made when one key served as both the public
// key and the certificate's a key of its own for the certificate. The old key stays the
// public key: clients in public-key mode have its PEM file configured, while clients in
// certificate mode download the certificate from /v3/certificates and pick up a new
// one. The key and certificate are stored in one transaction; a process that finds the
// split already done by another keeps that one's.
func splitPlatformKey(ctx context.Context, store pay.Store, now time.Time) error {
	cert, err := newPlatformCert(now)
	if err != nil {
		return err
	}
	err = store.Update(ctx, func(tx pay.Tx) error {
		if _, err := tx.Setting(ctx, settingCertKey); err == nil {
			return nil
		}
		for _, k := range []string{settingCertKey, settingCert} {
			if err := tx.PutSetting(ctx, k, cert[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("give the platform certificate its own key: %w", err)
	}
	return nil
}

func newPlatformSettings(now time.Time) (map[string]string, error) {
	key, err := wxcrypto.NewKey()
	if err != nil {
		return nil, fmt.Errorf("generate platform public key: %w", err)
	}
	keyPEM, err := wxcrypto.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	vals, err := newPlatformCert(now)
	if err != nil {
		return nil, err
	}
	vals[settingKey] = string(keyPEM)
	// Real IDs are PUB_KEY_ID_ and 32-odd digits
	// (https://pay.weixin.qq.com/doc/v3/merchant/4013038816).
	vals[settingPublicKeyID] = "PUB_KEY_ID_01" + wxcrypto.Digits(30)
	vals[settingToken] = wxcrypto.Nonce(40)
	return vals, nil
}

// newPlatformCert makes the platform certificate's key and the certificate over it.
func newPlatformCert(now time.Time) (map[string]string, error) {
	key, err := wxcrypto.NewKey()
	if err != nil {
		return nil, fmt.Errorf("generate platform certificate key: %w", err)
	}
	_, certPEM, err := wxcrypto.SelfSign(key, "Tenpay.com Root CA (tuikuan sandbox)", "Tenpay.com", now, 5)
	if err != nil {
		return nil, err
	}
	keyPEM, err := wxcrypto.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string]string{settingCertKey: string(keyPEM), settingCert: string(certPEM)}, nil
}

func parsePlatform(vals map[string]string) (*Platform, error) {
	key, err := wxcrypto.ParsePrivateKey([]byte(vals[settingKey]))
	if err != nil {
		return nil, fmt.Errorf("platform key: %w", err)
	}
	certKey, err := wxcrypto.ParsePrivateKey([]byte(vals[settingCertKey]))
	if err != nil {
		return nil, fmt.Errorf("platform certificate key: %w", err)
	}
	cert, err := wxcrypto.ParseCertificate([]byte(vals[settingCert]))
	if err != nil {
		return nil, fmt.Errorf("platform certificate: %w", err)
	}
	if !certKey.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("platform certificate is not over the platform certificate key")
	}
	return &Platform{
		Key:         key,
		PublicKeyID: vals[settingPublicKeyID],
		CertKey:     certKey,
		Cert:        cert,
		CertPEM:     []byte(vals[settingCert]),
		CertSerial:  wxcrypto.SerialHex(cert),
	}, nil
}

func readSettings(ctx context.Context, store pay.Store, keys ...string) (map[string]string, error) {
	vals := make(map[string]string, len(keys))
	err := store.View(ctx, func(tx pay.Tx) error {
		for _, k := range keys {
			v, err := tx.Setting(ctx, k)
			if err != nil && !errors.Is(err, pay.ErrNotFound) {
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
