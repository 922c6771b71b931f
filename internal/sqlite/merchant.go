package sqlite

import (
	"context"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// Merchant finds a merchant by mchid.
func (tx *tx) Merchant(ctx context.Context, mchid string) (*pay.Merchant, error) {
	m, err := sqltable.Merchants.Scan(tx.tx.QueryRowContext(ctx, sqltable.Merchants.SelectSQL("")+` WHERE mchid = ?`, mchid))
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
	out, err := collect(ctx, tx.tx, sqltable.Merchants.Scan, sqltable.Merchants.SelectSQL("")+` ORDER BY create_time, mchid`)
	if err != nil {
		return nil, dbError("list merchants", err)
	}
	for _, m := range out {
		if err := tx.openKeys(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertMerchant adds m; ErrDuplicate when its mchid is taken.
func (tx *tx) InsertMerchant(ctx context.Context, m *pay.Merchant) error {
	stored, err := tx.sealKeys(m)
	if err != nil {
		return fmt.Errorf("insert merchant %s: %w", m.Mchid, err)
	}
	if _, err := tx.tx.ExecContext(ctx, sqltable.Merchants.InsertSQL(sqltable.Question), sqltable.Merchants.Values(stored)...); err != nil {
		return dbError("insert merchant "+m.Mchid, err)
	}
	return nil
}

// UpdateMerchant writes every column of m but its mchid and create_time.
func (tx *tx) UpdateMerchant(ctx context.Context, m *pay.Merchant) error {
	stored, err := tx.sealKeys(m)
	if err != nil {
		return fmt.Errorf("update merchant %s: %w", m.Mchid, err)
	}
	res, err := tx.tx.ExecContext(ctx, sqltable.Merchants.UpdateSQL(sqltable.Question), sqltable.Merchants.UpdateArgs(stored)...)
	return mustAffect("update merchant "+m.Mchid, res, err)
}

// sealKeys returns a copy of m as stored: its APIv3 and APIv2 keys sealed.
func (tx *tx) sealKeys(m *pay.Merchant) (*pay.Merchant, error) {
	stored := *m
	var err error
	if stored.APIv3Key, err = tx.seal(m.APIv3Key); err != nil {
		return nil, err
	}
	if stored.APIv2Key, err = tx.seal(m.APIv2Key); err != nil {
		return nil, err
	}
	return &stored, nil
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
