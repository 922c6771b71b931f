package sqlite

import (
	"context"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// merchantColumns lists the columns in pay.Merchant's order. notify_mode holds
// PlatformKeyMode: the setting outgrew its first name, and renaming a column would cost
// every existing database a table rebuild for nothing a user sees.
const merchantColumns = `mchid, kind, sp_mchid, appid, cert_serial, cert_pem, apiv3_key,
	apiv2_key, private_key_file, cert_file, create_time, notify_url, notify_mode, rate_profile,
	former_cert_serial`

// Merchant finds a merchant by mchid.
func (tx *tx) Merchant(ctx context.Context, mchid string) (*pay.Merchant, error) {
	row := tx.tx.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE mchid = ?`, mchid)
	m, err := scanMerchant(row)
	if err != nil {
		return nil, dbError("merchant "+mchid, err)
	}
	if err := tx.openKeys(m); err != nil {
		return nil, err
	}
	return m, nil
}

// Merchants lists every merchant, oldest first.
func (tx *tx) Merchants(ctx context.Context) ([]*pay.Merchant, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+merchantColumns+` FROM merchants ORDER BY create_time, mchid`)
	if err != nil {
		return nil, dbError("list merchants", err)
	}
	defer rows.Close()
	var out []*pay.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, dbError("list merchants", err)
		}
		if err := tx.openKeys(m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list merchants", err)
	}
	return out, nil
}

// InsertMerchant adds m; ErrDuplicate when its mchid is taken.
func (tx *tx) InsertMerchant(ctx context.Context, m *pay.Merchant) error {
	v3, v2, err := tx.sealKeys(m)
	if err != nil {
		return fmt.Errorf("insert merchant %s: %w", m.Mchid, err)
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO merchants (`+merchantColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Mchid, string(m.Kind), m.SpMchid, m.Appid, m.CertSerial, m.CertPEM, v3,
		v2, m.PrivateKeyFile, m.CertFile, millis(m.CreateTime), m.NotifyURL, m.PlatformKeyMode, m.RateProfile,
		m.FormerCertSerial)
	if err != nil {
		return dbError("insert merchant "+m.Mchid, err)
	}
	return nil
}

// UpdateMerchant writes every column of m but its mchid.
func (tx *tx) UpdateMerchant(ctx context.Context, m *pay.Merchant) error {
	v3, v2, err := tx.sealKeys(m)
	if err != nil {
		return fmt.Errorf("update merchant %s: %w", m.Mchid, err)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE merchants SET kind = ?, sp_mchid = ?, appid = ?,
		cert_serial = ?, cert_pem = ?, apiv3_key = ?, apiv2_key = ?, private_key_file = ?,
		cert_file = ?, notify_url = ?, notify_mode = ?, rate_profile = ?, former_cert_serial = ?
		WHERE mchid = ?`,
		string(m.Kind), m.SpMchid, m.Appid, m.CertSerial, m.CertPEM, v3, v2,
		m.PrivateKeyFile, m.CertFile, m.NotifyURL, m.PlatformKeyMode, m.RateProfile, m.FormerCertSerial, m.Mchid)
	return mustAffect("update merchant "+m.Mchid, res, err)
}

// sealKeys returns what is stored for m's APIv3 and APIv2 keys.
func (tx *tx) sealKeys(m *pay.Merchant) (v3, v2 string, err error) {
	if v3, err = tx.seal(m.APIv3Key); err != nil {
		return "", "", err
	}
	if v2, err = tx.seal(m.APIv2Key); err != nil {
		return "", "", err
	}
	return v3, v2, nil
}

// openKeys turns m's stored keys back into clear ones.
func (tx *tx) openKeys(m *pay.Merchant) (err error) {
	if m.APIv3Key, err = tx.open(m.APIv3Key); err != nil {
		return fmt.Errorf("merchant %s apiv3_key: %w", m.Mchid, err)
	}
	if m.APIv2Key, err = tx.open(m.APIv2Key); err != nil {
		return fmt.Errorf("merchant %s apiv2_key: %w", m.Mchid, err)
	}
	return nil
}

func scanMerchant(s scanner) (*pay.Merchant, error) {
	var m pay.Merchant
	err := s.Scan(&m.Mchid, &m.Kind, &m.SpMchid, &m.Appid, &m.CertSerial, &m.CertPEM, &m.APIv3Key,
		&m.APIv2Key, &m.PrivateKeyFile, &m.CertFile, timeDest(&m.CreateTime), &m.NotifyURL, &m.PlatformKeyMode, &m.RateProfile,
		&m.FormerCertSerial)
	if err != nil {
		return nil, err
	}
	return &m, nil
}
