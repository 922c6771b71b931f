package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var (
	stocks         = sqltable.Stocks
	coupons        = sqltable.Coupons
	couponRequests = sqltable.CouponRequests
)

// InsertStock adds s; ErrDuplicate when its stock_id or its creator's out_request_no is
// taken.
func (t *tx) InsertStock(ctx context.Context, s *pay.Stock) error {
	return insert(ctx, t, stocks, "insert stock "+s.ID, s)
}

// Stock finds a stock by stock_id, locking it inside Update: sending a coupon counts
// it against the stock's maximum.
func (t *tx) Stock(ctx context.Context, stockID string) (*pay.Stock, error) {
	return one(ctx, t, stocks, "stock "+stockID, stocks.SelectSQL("")+` WHERE stock_id = $1`+t.forUpdate(), stockID)
}

// StockByRequest finds a creator's stock by its out_request_no.
func (t *tx) StockByRequest(ctx context.Context, creator, outRequestNo string) (*pay.Stock, error) {
	return one(ctx, t, stocks, "stock of request "+outRequestNo, stocks.SelectSQL("")+`
		WHERE creator = $1 AND out_request_no = $2`+t.forUpdate(), creator, outRequestNo)
}

// UpdateStock writes the count of coupons sent, the only thing about a stock that changes.
func (t *tx) UpdateStock(ctx context.Context, s *pay.Stock) error {
	return update(ctx, t, stocks, "update stock "+s.ID, s)
}

// InsertCoupon adds c; ErrDuplicate when its code is taken in its stock or its send
// request was made before.
func (t *tx) InsertCoupon(ctx context.Context, c *pay.Coupon) error {
	return insert(ctx, t, coupons, "insert coupon "+c.Code, c)
}

// Coupon finds a coupon by code, in one stock or, for stockID "", the first sent; inside
// Update it locks the coupon.
func (t *tx) Coupon(ctx context.Context, stockID, code string) (*pay.Coupon, error) {
	query, args := coupons.SelectSQL("")+` WHERE coupon_code = $1`, []any{code}
	if stockID != "" {
		query, args = query+` AND stock_id = $2`, append(args, stockID)
	}
	return one(ctx, t, coupons, "coupon "+code, query+` ORDER BY receive_time, seq LIMIT 1`+t.forUpdate(), args...)
}

// CouponBySend finds the coupon a send request made.
func (t *tx) CouponBySend(ctx context.Context, stockID, openid, sendRequestNo string) (*pay.Coupon, error) {
	return one(ctx, t, coupons, "coupon of send request "+sendRequestNo, coupons.SelectSQL("")+`
		WHERE stock_id = $1 AND openid = $2 AND send_request_no = $3`+t.forUpdate(), stockID, openid, sendRequestNo)
}

// CountCoupons counts a stock's coupons, of one user unless openid is "".
func (t *tx) CountCoupons(ctx context.Context, stockID, openid string) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM coupons
		WHERE stock_id = $1 AND ($2 = '' OR openid = $2)`, stockID, openid).Scan(&n)
	if err != nil {
		return 0, dbError("count coupons of "+stockID, err)
	}
	return n, nil
}

// Coupons lists the coupons f selects, oldest first.
func (t *tx) Coupons(ctx context.Context, f pay.CouponFilter) ([]*pay.Coupon, error) {
	var where []string
	var args []any
	add := func(column, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, column+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("c.openid", f.Openid)
	add("c.appid", f.Appid)
	add("c.stock_id", f.StockID)
	add("c.sender", f.Sender)
	add("s.belong_merchant", f.BelongMerchant)
	add("s.creator", f.Creator)
	query := coupons.SelectSQL("c") + ` c JOIN coupon_stocks s ON s.stock_id = c.stock_id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return list(ctx, t, coupons, "list coupons", query+` ORDER BY c.receive_time, c.seq`, args...)
}

// UpdateCoupon writes every column of c but its keys.
func (t *tx) UpdateCoupon(ctx context.Context, c *pay.Coupon) error {
	return update(ctx, t, coupons, "update coupon "+c.Code, c)
}

// InsertCouponRequest records a request number; ErrDuplicate when it was used before.
func (t *tx) InsertCouponRequest(ctx context.Context, r *pay.CouponRequest) error {
	return insert(ctx, t, couponRequests, "insert coupon request "+r.RequestNo, r)
}

// CouponRequest finds a merchant's request number of a kind.
func (t *tx) CouponRequest(ctx context.Context, mchid, kind, requestNo string) (*pay.CouponRequest, error) {
	return one(ctx, t, couponRequests, "coupon request "+requestNo, couponRequests.SelectSQL("")+`
		WHERE mchid = $1 AND kind = $2 AND request_no = $3`, mchid, kind, requestNo)
}
