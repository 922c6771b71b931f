package postgres

import (
	"context"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var merchants = sqltable.Merchants

// Merchant finds a merchant by mchid. It takes no lock: merchants change rarely, and
// every refund of a merchant reads it.
func (t *tx) Merchant(ctx context.Context, mchid string) (*pay.Merchant, error) {
	m, err := one(ctx, t, merchants, "merchant "+mchid, merchants.SelectSQL("")+` WHERE mchid = $1`, mchid)
	if err != nil {
		return nil, err
	}
	return m, sqltable.OpenMerchant(t.sealer, m)
}

// Merchants lists every merchant, oldest first.
func (t *tx) Merchants(ctx context.Context) ([]*pay.Merchant, error) {
	out, err := list(ctx, t, merchants, "list merchants", merchants.SelectSQL("")+` ORDER BY create_time, mchid`)
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		if err := sqltable.OpenMerchant(t.sealer, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertMerchant adds m; ErrDuplicate when its mchid is taken.
func (t *tx) InsertMerchant(ctx context.Context, m *pay.Merchant) error {
	stored, err := sqltable.SealMerchant(t.sealer, m)
	if err != nil {
		return fmt.Errorf("insert merchant %s: %w", m.Mchid, err)
	}
	return insert(ctx, t, merchants, "insert merchant "+m.Mchid, stored)
}

// UpdateMerchant writes every column of m but its mchid and create_time.
func (t *tx) UpdateMerchant(ctx context.Context, m *pay.Merchant) error {
	stored, err := sqltable.SealMerchant(t.sealer, m)
	if err != nil {
		return fmt.Errorf("update merchant %s: %w", m.Mchid, err)
	}
	return update(ctx, t, merchants, "update merchant "+m.Mchid, stored)
}
