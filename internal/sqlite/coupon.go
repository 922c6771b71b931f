package sqlite

import (
	"context"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// InsertStock adds s; ErrDuplicate when its stock_id or its creator's out_request_no is
// taken.
func (tx *tx) InsertStock(ctx context.Context, s *pay.Stock) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.Stocks.InsertSQL(sqltable.Question), sqltable.Stocks.Values(s)...); err != nil {
		return dbError("insert stock "+s.ID, err)
	}
	return nil
}

// Stock finds a stock by stock_id.
func (tx *tx) Stock(ctx context.Context, stockID string) (*pay.Stock, error) {
	s, err := sqltable.Stocks.Scan(tx.tx.QueryRowContext(ctx, sqltable.Stocks.SelectSQL("")+` WHERE stock_id = ?`, stockID))
	if err != nil {
		return nil, dbError("stock "+stockID, err)
	}
	return s, nil
}

// StockByRequest finds a creator's stock by its out_request_no.
func (tx *tx) StockByRequest(ctx context.Context, creator, outRequestNo string) (*pay.Stock, error) {
	s, err := sqltable.Stocks.Scan(tx.tx.QueryRowContext(ctx, sqltable.Stocks.SelectSQL("")+`
		WHERE creator = ? AND out_request_no = ?`, creator, outRequestNo))
	if err != nil {
		return nil, dbError("stock of request "+outRequestNo, err)
	}
	return s, nil
}

// UpdateStock writes the count of coupons sent, the only thing about a stock that changes.
func (tx *tx) UpdateStock(ctx context.Context, s *pay.Stock) error {
	res, err := tx.tx.ExecContext(ctx, sqltable.Stocks.UpdateSQL(sqltable.Question), sqltable.Stocks.UpdateArgs(s)...)
	return mustAffect("update stock "+s.ID, res, err)
}

// InsertCoupon adds c; ErrDuplicate when its code is taken in its stock or its send
// request was made before.
func (tx *tx) InsertCoupon(ctx context.Context, c *pay.Coupon) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.Coupons.InsertSQL(sqltable.Question), sqltable.Coupons.Values(c)...); err != nil {
		return dbError("insert coupon "+c.Code, err)
	}
	return nil
}

// Coupon finds a coupon by code, in one stock or, for stockID "", the first sent.
func (tx *tx) Coupon(ctx context.Context, stockID, code string) (*pay.Coupon, error) {
	query, args := sqltable.Coupons.SelectSQL("")+` WHERE coupon_code = ?`, []any{code}
	if stockID != "" {
		query, args = query+` AND stock_id = ?`, append(args, stockID)
	}
	c, err := sqltable.Coupons.Scan(tx.tx.QueryRowContext(ctx, query+` ORDER BY receive_time, rowid LIMIT 1`, args...))
	if err != nil {
		return nil, dbError("coupon "+code, err)
	}
	return c, nil
}

// CouponBySend finds the coupon a send request made.
func (tx *tx) CouponBySend(ctx context.Context, stockID, openid, sendRequestNo string) (*pay.Coupon, error) {
	c, err := sqltable.Coupons.Scan(tx.tx.QueryRowContext(ctx, sqltable.Coupons.SelectSQL("")+`
		WHERE stock_id = ? AND openid = ? AND send_request_no = ?`, stockID, openid, sendRequestNo))
	if err != nil {
		return nil, dbError("coupon of send request "+sendRequestNo, err)
	}
	return c, nil
}

// CountCoupons counts a stock's coupons, of one user unless openid is "".
func (tx *tx) CountCoupons(ctx context.Context, stockID, openid string) (int64, error) {
	var n int64
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM coupons
		WHERE stock_id = ? AND (? = '' OR openid = ?)`, stockID, openid, openid).Scan(&n)
	if err != nil {
		return 0, dbError("count coupons of "+stockID, err)
	}
	return n, nil
}

// Coupons lists the coupons f selects, oldest first.
func (tx *tx) Coupons(ctx context.Context, f pay.CouponFilter) ([]*pay.Coupon, error) {
	var where []string
	var args []any
	add := func(cond, v string) {
		if v != "" {
			where, args = append(where, cond), append(args, v)
		}
	}
	add("c.openid = ?", f.Openid)
	add("c.appid = ?", f.Appid)
	add("c.stock_id = ?", f.StockID)
	add("c.sender = ?", f.Sender)
	add("s.belong_merchant = ?", f.BelongMerchant)
	add("s.creator = ?", f.Creator)
	query := sqltable.Coupons.SelectSQL("c") + ` c JOIN coupon_stocks s ON s.stock_id = c.stock_id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	out, err := collect(ctx, tx.tx, sqltable.Coupons.Scan, query+` ORDER BY c.receive_time, c.rowid`, args...)
	if err != nil {
		return nil, dbError("list coupons", err)
	}
	return out, nil
}

// UpdateCoupon writes every column of c but its keys.
func (tx *tx) UpdateCoupon(ctx context.Context, c *pay.Coupon) error {
	res, err := tx.tx.ExecContext(ctx, sqltable.Coupons.UpdateSQL(sqltable.Question), sqltable.Coupons.UpdateArgs(c)...)
	return mustAffect("update coupon "+c.Code, res, err)
}

// InsertCouponRequest records a request number; ErrDuplicate when it was used before.
func (tx *tx) InsertCouponRequest(ctx context.Context, r *pay.CouponRequest) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.CouponRequests.InsertSQL(sqltable.Question), sqltable.CouponRequests.Values(r)...); err != nil {
		return dbError("insert coupon request "+r.RequestNo, err)
	}
	return nil
}

// CouponRequest finds a merchant's request number of a kind.
func (tx *tx) CouponRequest(ctx context.Context, mchid, kind, requestNo string) (*pay.CouponRequest, error) {
	r, err := sqltable.CouponRequests.Scan(tx.tx.QueryRowContext(ctx, sqltable.CouponRequests.SelectSQL("")+`
		WHERE mchid = ? AND kind = ? AND request_no = ?`, mchid, kind, requestNo))
	if err != nil {
		return nil, dbError("coupon request "+requestNo, err)
	}
	return r, nil
}
