package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/refund"
)

const merchantColumns = `mchid, kind, sp_mchid, appid, cert_serial, cert_pem, apiv3_key,
	apiv2_key, private_key_file, cert_file, create_time, notify_url, notify_mode, rate_profile`

// Merchant finds a merchant by mchid.
func (tx *tx) Merchant(ctx context.Context, mchid string) (*refund.Merchant, error) {
	row := tx.tx.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE mchid = ?`, mchid)
	m, err := scanMerchant(row)
	if err != nil {
		return nil, dbError("merchant "+mchid, err)
	}
	return m, nil
}

// Merchants lists every merchant, oldest first.
func (tx *tx) Merchants(ctx context.Context) ([]*refund.Merchant, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+merchantColumns+` FROM merchants ORDER BY create_time, mchid`)
	if err != nil {
		return nil, dbError("list merchants", err)
	}
	defer rows.Close()
	var out []*refund.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, dbError("list merchants", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list merchants", err)
	}
	return out, nil
}

// InsertMerchant adds m; ErrDuplicate when its mchid is taken.
func (tx *tx) InsertMerchant(ctx context.Context, m *refund.Merchant) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO merchants (`+merchantColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Mchid, string(m.Kind), m.SpMchid, m.Appid, m.CertSerial, m.CertPEM, m.APIv3Key,
		m.APIv2Key, m.PrivateKeyFile, m.CertFile, millis(m.CreateTime), m.NotifyURL, m.NotifyMode, m.RateProfile)
	if err != nil {
		return dbError("insert merchant "+m.Mchid, err)
	}
	return nil
}

// UpdateMerchant writes every column of m but its mchid.
func (tx *tx) UpdateMerchant(ctx context.Context, m *refund.Merchant) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE merchants SET kind = ?, sp_mchid = ?, appid = ?,
		cert_serial = ?, cert_pem = ?, apiv3_key = ?, apiv2_key = ?, private_key_file = ?,
		cert_file = ?, notify_url = ?, notify_mode = ?, rate_profile = ? WHERE mchid = ?`,
		string(m.Kind), m.SpMchid, m.Appid, m.CertSerial, m.CertPEM, m.APIv3Key, m.APIv2Key,
		m.PrivateKeyFile, m.CertFile, m.NotifyURL, m.NotifyMode, m.RateProfile, m.Mchid)
	return mustAffect("update merchant "+m.Mchid, res, err)
}

func scanMerchant(s scanner) (*refund.Merchant, error) {
	var m refund.Merchant
	err := s.Scan(&m.Mchid, &m.Kind, &m.SpMchid, &m.Appid, &m.CertSerial, &m.CertPEM, &m.APIv3Key,
		&m.APIv2Key, &m.PrivateKeyFile, &m.CertFile, timeDest(&m.CreateTime), &m.NotifyURL, &m.NotifyMode, &m.RateProfile)
	if err != nil {
		return nil, err
	}
	return &m, nil
}
