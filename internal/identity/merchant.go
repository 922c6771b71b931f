package identity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tuikuan/tuikuan/internal/refund"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// NewMerchant describes a merchant to add. Empty fields are generated.
type NewMerchant struct {
	Kind    refund.Kind
	SpMchid string // for KindSub
	Mchid   string
	Appid   string
	// CertPEM, when set, is the merchant's own API certificate: the merchant keeps its
	// private key and tuikuan never sees it.
	CertPEM  []byte
	APIv3Key string
	APIv2Key string
}

// AddMerchant creates a merchant, writing a generated key pair under dir unless the
// certificate was given, and stores it.
func AddMerchant(ctx context.Context, dir string, store refund.Store, nm NewMerchant, now time.Time) (*refund.Merchant, error) {
	m, err := buildMerchant(dir, nm, now)
	if err != nil {
		return nil, err
	}
	err = store.Update(ctx, func(tx refund.Tx) error {
		if m.Kind == refund.KindSub {
			sp, err := tx.Merchant(ctx, m.SpMchid)
			if err != nil || sp.Kind != refund.KindPartner {
				return fmt.Errorf("sp_mchid %s is not a partner merchant", m.SpMchid)
			}
		}
		return tx.InsertMerchant(ctx, m)
	})
	if errors.Is(err, refund.ErrDuplicate) {
		return nil, fmt.Errorf("merchant %s already exists", m.Mchid)
	}
	if err != nil {
		return nil, fmt.Errorf("add merchant: %w", err)
	}
	return m, nil
}

func buildMerchant(dir string, nm NewMerchant, now time.Time) (*refund.Merchant, error) {
	switch nm.Kind {
	case refund.KindDirect, refund.KindPartner:
		if nm.SpMchid != "" {
			return nil, fmt.Errorf("a %s merchant has no sp_mchid", nm.Kind)
		}
	case refund.KindSub:
		if nm.SpMchid == "" {
			return nil, errors.New("a sub merchant needs sp_mchid, its partner")
		}
	default:
		return nil, fmt.Errorf("kind %q: want direct, partner or sub", nm.Kind)
	}
	m := &refund.Merchant{
		Mchid:      orDefault(nm.Mchid, "16"+wxcrypto.Digits(8)),
		Kind:       nm.Kind,
		SpMchid:    nm.SpMchid,
		Appid:      orDefault(nm.Appid, "wx"+wxcrypto.Hex(8)),
		APIv3Key:   orDefault(nm.APIv3Key, wxcrypto.Nonce(32)),
		APIv2Key:   orDefault(nm.APIv2Key, wxcrypto.Nonce(32)),
		CreateTime: now,
	}
	if len(m.APIv3Key) != 32 || len(m.APIv2Key) != 32 {
		return nil, errors.New("APIv3 and APIv2 keys are 32 characters")
	}
	certPEM := nm.CertPEM
	if certPEM == nil {
		var err error
		if certPEM, err = generateMerchantKey(dir, m, now); err != nil {
			return nil, err
		}
	}
	cert, err := wxcrypto.ParseCertificate(certPEM)
	if err != nil {
		return nil, fmt.Errorf("merchant certificate: %w", err)
	}
	m.CertPEM, m.CertSerial = string(certPEM), wxcrypto.SerialHex(cert)
	m.CertFile = filepath.Join("merchants", m.Mchid, "apiclient_cert.pem")
	if err := writeFile(filepath.Join(dir, m.CertFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

// generateMerchantKey writes apiclient_key.pem the way the merchant platform hands it
// out (PKCS#8, mode 0600) and returns a self-signed certificate over it.
func generateMerchantKey(dir string, m *refund.Merchant, now time.Time) ([]byte, error) {
	key, err := wxcrypto.NewKey()
	if err != nil {
		return nil, fmt.Errorf("generate merchant key: %w", err)
	}
	_, certPEM, err := wxcrypto.SelfSign(key, m.Mchid, "tuikuan sandbox merchant", now, 5)
	if err != nil {
		return nil, err
	}
	keyPEM, err := wxcrypto.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	m.PrivateKeyFile = filepath.Join("merchants", m.Mchid, "apiclient_key.pem")
	if err := writeFile(filepath.Join(dir, m.PrivateKeyFile), keyPEM, 0o600); err != nil {
		return nil, err
	}
	return certPEM, nil
}

// EnsureDefaults creates, in an installation with no merchants yet, the three every
// sandbox starts with: a direct merchant, a partner (e-commerce platform) and one of its
// sub-merchants.
func EnsureDefaults(ctx context.Context, dir string, store refund.Store, now time.Time) error {
	ms, err := Merchants(ctx, store)
	if err != nil || len(ms) > 0 {
		return err
	}
	if _, err := AddMerchant(ctx, dir, store, NewMerchant{Kind: refund.KindDirect}, now); err != nil {
		return err
	}
	sp, err := AddMerchant(ctx, dir, store, NewMerchant{Kind: refund.KindPartner}, now)
	if err != nil {
		return err
	}
	_, err = AddMerchant(ctx, dir, store, NewMerchant{Kind: refund.KindSub, SpMchid: sp.Mchid}, now)
	return err
}

// Merchants lists every merchant in the store.
func Merchants(ctx context.Context, store refund.Store) ([]*refund.Merchant, error) {
	var ms []*refund.Merchant
	err := store.View(ctx, func(tx refund.Tx) error {
		var err error
		ms, err = tx.Merchants(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list merchants: %w", err)
	}
	return ms, nil
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// writeFile writes through a temporary file and a rename, so that a reader never sees a
// half-written file (scripts read credentials the moment /healthz answers).
func writeFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
