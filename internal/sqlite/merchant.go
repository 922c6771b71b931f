package sqlite

import (
	"context"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var merchantSQL = hot(sqltable.Merchants.SelectSQL("") + ` WHERE mchid = ?`)

// Merchant finds a merchant by mchid.
func (tx *tx) Merchant(ctx context.Context, mchid string) (*pay.Merchant, error) {
	m, err := sqltable.Merchants.Scan(tx.tx.QueryRowContext(ctx, merchantSQL, mchid))
	if err != nil {
		return nil, dbError("merchant "+mchid, err)
	}
	if err := sqltable.OpenMerchant(tx.sealer, m); err != nil {
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
		if err := sqltable.OpenMerchant(tx.sealer, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertMerchant adds m; ErrDuplicate when its mchid is taken.
func (tx *tx) InsertMerchant(ctx context.Context, m *pay.Merchant) error {
	stored, err := sqltable.SealMerchant(tx.sealer, m)
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
	stored, err := sqltable.SealMerchant(tx.sealer, m)
	if err != nil {
		return fmt.Errorf("update merchant %s: %w", m.Mchid, err)
	}
	res, err := tx.tx.ExecContext(ctx, sqltable.Merchants.UpdateSQL(sqltable.Question), sqltable.Merchants.UpdateArgs(stored)...)
	return mustAffect("update merchant "+m.Mchid, res, err)
}
