package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// NewMerchant describes a merchant to add. Empty fields are generated.
type NewMerchant struct {
	Kind    pay.Kind
	SpMchid string // for KindSub
	Mchid   string
	Appid   string
	// CertPEM, when set, is the merchant's own API certificate: the merchant keeps its
	// private key and tuikuan never sees it.
	CertPEM  []byte
	APIv3Key string
	APIv2Key string
}

// Formats of what a merchant is named and keyed by, as real ones are: merchant numbers
// of 8 to 10 digits, API keys of 32 letters or digits. The mchid also names a
// directory, so this check is what keeps files inside the data dir; the store relies
// on keys never containing ':' to tell sealed values from clear ones.
var (
	mchidFormat = regexp.MustCompile(`^[0-9]{8,10}$`)
	keyFormat   = regexp.MustCompile(`^[0-9A-Za-z]{32}$`)
)

// AddMerchant creates a merchant, writing a generated key pair under dir unless the
// certificate was given, and stores it. It checks everything before it writes a file,
// never overwrites one, and removes what it wrote when the add fails.
func AddMerchant(ctx context.Context, dir string, store pay.Store, nm NewMerchant, now time.Time) (*pay.Merchant, error) {
	m, err := newMerchant(nm, now)
	if err != nil {
		return nil, err
	}
	if err := store.View(ctx, func(tx pay.Tx) error { return checkNew(ctx, tx, m) }); err != nil {
		return nil, err
	}
	written, err := writeMerchantFiles(dir, m, nm.CertPEM, now)
	if err == nil {
		err = store.Update(ctx, func(tx pay.Tx) error {
			if err := checkNew(ctx, tx, m); err != nil {
				return err
			}
			return tx.InsertMerchant(ctx, m)
		})
	}
	if err != nil {
		removeWritten(written)
		return nil, err
	}
	return m, nil
}

// checkNew checks m against the merchants already stored.
func checkNew(ctx context.Context, tx pay.Tx, m *pay.Merchant) error {
	if _, err := tx.Merchant(ctx, m.Mchid); err == nil {
		return fmt.Errorf("merchant %s already exists", m.Mchid)
	} else if !errors.Is(err, pay.ErrNotFound) {
		return err
	}
	if m.Kind == pay.KindSub {
		sp, err := tx.Merchant(ctx, m.SpMchid)
		if err != nil || sp.Kind != pay.KindPartner {
			return fmt.Errorf("sp_mchid %s is not a partner merchant", m.SpMchid)
		}
	}
	return nil
}

// newMerchant checks nm and fills in what it leaves to be generated; it writes nothing.
func newMerchant(nm NewMerchant, now time.Time) (*pay.Merchant, error) {
	switch nm.Kind {
	case pay.KindDirect, pay.KindPartner:
		if nm.SpMchid != "" {
			return nil, fmt.Errorf("a %s merchant has no sp_mchid", nm.Kind)
		}
	case pay.KindSub:
		if nm.SpMchid == "" {
			return nil, errors.New("a sub merchant needs sp_mchid, its partner")
		}
		if !mchidFormat.MatchString(nm.SpMchid) {
			return nil, fmt.Errorf("sp_mchid %q: want a merchant number, 8 to 10 digits", nm.SpMchid)
		}
	default:
		return nil, fmt.Errorf("kind %q: want direct, partner or sub", nm.Kind)
	}
	m := &pay.Merchant{
		Mchid:      orDefault(nm.Mchid, "16"+wxcrypto.Digits(8)),
		Kind:       nm.Kind,
		SpMchid:    nm.SpMchid,
		Appid:      orDefault(nm.Appid, "wx"+wxcrypto.Hex(8)),
		APIv3Key:   orDefault(nm.APIv3Key, wxcrypto.Nonce(32)),
		APIv2Key:   orDefault(nm.APIv2Key, wxcrypto.Nonce(32)),
		CreateTime: now,
	}
	if !mchidFormat.MatchString(m.Mchid) {
		return nil, fmt.Errorf("mchid %q: want a merchant number, 8 to 10 digits", m.Mchid)
	}
	if !keyFormat.MatchString(m.APIv3Key) || !keyFormat.MatchString(m.APIv2Key) {
		return nil, errors.New("APIv3 and APIv2 keys are 32 letters or digits")
	}
	if nm.CertPEM != nil {
		if _, err := wxcrypto.ParseCertificate(nm.CertPEM); err != nil {
			return nil, fmt.Errorf("merchant certificate: %w", err)
		}
	}
	return m, nil
}

// writeMerchantFiles writes m's certificate, and a generated key pair unless certPEM
// is given, filling in m's certificate fields. It returns what it wrote, also on error.
func writeMerchantFiles(dir string, m *pay.Merchant, certPEM []byte, now time.Time) ([]string, error) {
	var written []string
	mdir := filepath.Join(dir, "merchants", m.Mchid)
	if _, err := os.Stat(mdir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(mdir, 0o755); err != nil {
			return nil, err
		}
		written = append(written, mdir) // removed last, once empty
	}
	if certPEM == nil {
		key, err := wxcrypto.NewKey()
		if err != nil {
			return written, fmt.Errorf("generate merchant key: %w", err)
		}
		if _, certPEM, err = wxcrypto.SelfSign(key, m.Mchid, "tuikuan sandbox merchant", now, 5); err != nil {
			return written, err
		}
		keyPEM, err := wxcrypto.EncodePrivateKey(key)
		if err != nil {
			return written, err
		}
		// As the merchant platform hands it out: PKCS#8, mode 0600.
		m.PrivateKeyFile = filepath.Join("merchants", m.Mchid, "apiclient_key.pem")
		if err := writeNewFile(filepath.Join(dir, m.PrivateKeyFile), keyPEM, 0o600); err != nil {
			return written, err
		}
		written = append(written, filepath.Join(dir, m.PrivateKeyFile))
	}
	cert, err := wxcrypto.ParseCertificate(certPEM)
	if err != nil {
		return written, fmt.Errorf("merchant certificate: %w", err)
	}
	m.CertPEM, m.CertSerial = string(certPEM), wxcrypto.SerialHex(cert)
	m.CertFile = filepath.Join("merchants", m.Mchid, "apiclient_cert.pem")
	if err := writeNewFile(filepath.Join(dir, m.CertFile), certPEM, 0o644); err != nil {
		return written, err
	}
	return append(written, filepath.Join(dir, m.CertFile)), nil
}

// removeWritten removes, files first, what writeMerchantFiles wrote.
func removeWritten(paths []string) {
	for i := len(paths) - 1; i >= 0; i-- {
		os.Remove(paths[i])
	}
}

// Default merchants every sandbox starts with: a direct merchant, a partner (e-commerce
// platform) and one of its sub-merchants.
func missingDefaults(ms []*pay.Merchant) (direct, partner, sub bool, partnerID string) {
	kinds := map[pay.Kind]bool{}
	for _, m := range ms {
		kinds[m.Kind] = true
		if m.Kind == pay.KindPartner && partnerID == "" {
			partnerID = m.Mchid
		}
	}
	return !kinds[pay.KindDirect], !kinds[pay.KindPartner], !kinds[pay.KindSub], partnerID
}

// Merchants lists every merchant in the store.
func Merchants(ctx context.Context, store pay.Store) ([]*pay.Merchant, error) {
	var ms []*pay.Merchant
	err := store.View(ctx, func(tx pay.Tx) error {
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

// writeFile writes through a temporary file, fsynced, and a rename, so that a reader
// never sees a half-written file (scripts read credentials the moment /healthz answers)
// and a crash leaves the old file or the new one. A file that already holds data with
// mode perm is left alone: a restart on a full disk must not need free space.
func writeFile(path string, data []byte, perm os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		if info, err := os.Stat(path); err == nil && info.Mode().Perm() == perm {
			return nil
		}
	}
	return replaceFile(path, data, perm, os.Rename)
}

// writeNewFile is writeFile for a file that must not exist yet: a link, unlike a
// rename, fails instead of replacing what is there.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	return replaceFile(path, data, perm, os.Link)
}

func replaceFile(path string, data []byte, perm os.FileMode, place func(oldpath, newpath string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
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
	if err := place(tmp.Name(), path); err != nil {
		return err
	}
	// The new name is durable only once its directory is.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
