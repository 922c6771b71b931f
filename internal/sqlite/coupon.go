package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// storedStockRules is the rules column of coupon_stocks: what no query filters on.
type storedStockRules struct {
	Name               string                     `json:"stock_name"`
	Comment            string                     `json:"comment,omitempty"`
	GoodsName          string                     `json:"goods_name"`
	DiscountAmount     int64                      `json:"discount_amount,omitempty"`
	DiscountPercent    int64                      `json:"discount_percent,omitempty"`
	ExchangePrice      int64                      `json:"exchange_price,omitempty"`
	TransactionMinimum int64                      `json:"transaction_minimum,omitempty"`
	DaysAfterReceive   int64                      `json:"available_day_after_receive,omitempty"`
	WaitDays           int64                      `json:"wait_days_after_receive,omitempty"`
	UseMethod          string                     `json:"use_method"`
	Transferable       bool                       `json:"transferable,omitempty"`
	Shareable          bool                       `json:"shareable,omitempty"`
	Display            map[string]json.RawMessage `json:"display,omitempty"`
}

// stocks stores pay.Stock; the rules column holds what no query filters on. UPDATE
// writes the count of coupons sent, the only thing about a stock that changes.
var stocks = &table[pay.Stock]{
	name: "coupon_stocks",
	columns: []string{"stock_id", "creator", "belong_merchant", "out_request_no", "stock_type", "coupon_code_mode",
		"begin_time", "end_time", "max_coupons", "max_coupons_per_user", "sent", "rules", "create_time"},
	key:    []string{"stock_id"},
	update: []string{"sent"},
	values: func(s *pay.Stock) []any {
		return []any{s.ID, s.Creator, s.BelongMerchant, s.OutRequestNo, string(s.Type), string(s.CodeMode),
			millis(s.BeginTime), millis(s.EndTime), s.MaxCoupons, s.MaxCouponsPerUser, s.Sent, stockRules{s}, millis(s.CreateTime)}
	},
	dest: func(s *pay.Stock) []any {
		return []any{&s.ID, &s.Creator, &s.BelongMerchant, &s.OutRequestNo, &s.Type, &s.CodeMode,
			timeDest(&s.BeginTime), timeDest(&s.EndTime), &s.MaxCoupons, &s.MaxCouponsPerUser, &s.Sent, stockRules{s}, timeDest(&s.CreateTime)}
	},
}

// stockRules is a stock's rules column, both its argument and its Scan destination.
type stockRules struct{ s *pay.Stock }

func (r stockRules) Value() (driver.Value, error) {
	s := r.s
	text, err := json.Marshal(storedStockRules{
		Name: s.Name, Comment: s.Comment, GoodsName: s.GoodsName,
		DiscountAmount: s.DiscountAmount, DiscountPercent: s.DiscountPercent, ExchangePrice: s.ExchangePrice,
		TransactionMinimum: s.TransactionMinimum, DaysAfterReceive: s.DaysAfterReceive, WaitDays: s.WaitDays,
		UseMethod: s.UseMethod, Transferable: s.Transferable, Shareable: s.Shareable, Display: s.Display,
	})
	if err != nil {
		return nil, fmt.Errorf("encode stock %s: %w", s.ID, err)
	}
	return string(text), nil
}

func (r stockRules) Scan(src any) error {
	var text string
	if err := (nullStringScanner{&text}).Scan(src); err != nil {
		return err
	}
	var rules storedStockRules
	if err := json.Unmarshal([]byte(text), &rules); err != nil {
		// stock_id comes first among the columns, so s.ID is already read.
		return fmt.Errorf("decode rules of stock %s: %w", r.s.ID, err)
	}
	s := r.s
	s.Name, s.Comment, s.GoodsName = rules.Name, rules.Comment, rules.GoodsName
	s.DiscountAmount, s.DiscountPercent, s.ExchangePrice = rules.DiscountAmount, rules.DiscountPercent, rules.ExchangePrice
	s.TransactionMinimum, s.DaysAfterReceive, s.WaitDays = rules.TransactionMinimum, rules.DaysAfterReceive, rules.WaitDays
	s.UseMethod, s.Transferable, s.Shareable, s.Display = rules.UseMethod, rules.Transferable, rules.Shareable, rules.Display
	return nil
}

// coupons stores pay.Coupon. UPDATE writes every column but the keys (stock, code).
var coupons = &table[pay.Coupon]{
	name:    "coupons",
	columns: couponColumns,
	key:     []string{"stock_id", "coupon_code"},
	update:  except(couponColumns, "stock_id", "coupon_code"),
	values: func(c *pay.Coupon) []any {
		return []any{c.StockID, c.Code, c.Openid, c.Appid, c.Sender, string(c.State), c.SendRequestNo,
			millis(c.ReceiveTime), millis(c.AvailableStartTime), millis(c.ExpireTime),
			c.UseRequestNo, millis(c.UseTime), c.TransactionID,
			c.ReturnRequestNo, millis(c.ReturnTime), c.DeactivateRequestNo, millis(c.DeactivateTime), c.DeactivateReason}
	},
	dest: func(c *pay.Coupon) []any {
		return []any{&c.StockID, &c.Code, &c.Openid, &c.Appid, &c.Sender, &c.State, &c.SendRequestNo,
			timeDest(&c.ReceiveTime), timeDest(&c.AvailableStartTime), timeDest(&c.ExpireTime),
			&c.UseRequestNo, timeDest(&c.UseTime), &c.TransactionID,
			&c.ReturnRequestNo, timeDest(&c.ReturnTime), &c.DeactivateRequestNo, timeDest(&c.DeactivateTime), &c.DeactivateReason}
	},
}

var couponColumns = []string{"stock_id", "coupon_code", "openid", "appid", "sender", "state", "send_request_no",
	"receive_time", "available_start_time", "expire_time", "use_request_no", "use_time", "transaction_id",
	"return_request_no", "return_time", "deactivate_request_no", "deactivate_time", "deactivate_reason"}

// couponRequests stores pay.CouponRequest; a request number is never updated.
var couponRequests = &table[pay.CouponRequest]{
	name:    "coupon_requests",
	columns: []string{"mchid", "kind", "request_no", "stock_id", "coupon_code", "time"},
	values: func(r *pay.CouponRequest) []any {
		return []any{r.Mchid, r.Kind, r.RequestNo, r.StockID, r.CouponCode, millis(r.Time)}
	},
	dest: func(r *pay.CouponRequest) []any {
		return []any{&r.Mchid, &r.Kind, &r.RequestNo, &r.StockID, &r.CouponCode, timeDest(&r.Time)}
	},
}

// InsertStock adds s; ErrDuplicate when its stock_id or its creator's out_request_no is
// taken.
func (tx *tx) InsertStock(ctx context.Context, s *pay.Stock) error {
	if _, err := tx.tx.ExecContext(ctx, stocks.insertSQL(sqlitePlaceholder), stocks.values(s)...); err != nil {
		return dbError("insert stock "+s.ID, err)
	}
	return nil
}

// Stock finds a stock by stock_id.
func (tx *tx) Stock(ctx context.Context, stockID string) (*pay.Stock, error) {
	s, err := stocks.scan(tx.tx.QueryRowContext(ctx, stocks.selectSQL("")+` WHERE stock_id = ?`, stockID))
	if err != nil {
		return nil, dbError("stock "+stockID, err)
	}
	return s, nil
}

// StockByRequest finds a creator's stock by its out_request_no.
func (tx *tx) StockByRequest(ctx context.Context, creator, outRequestNo string) (*pay.Stock, error) {
	s, err := stocks.scan(tx.tx.QueryRowContext(ctx, stocks.selectSQL("")+`
		WHERE creator = ? AND out_request_no = ?`, creator, outRequestNo))
	if err != nil {
		return nil, dbError("stock of request "+outRequestNo, err)
	}
	return s, nil
}

// UpdateStock writes the count of coupons sent, the only thing about a stock that changes.
func (tx *tx) UpdateStock(ctx context.Context, s *pay.Stock) error {
	res, err := tx.tx.ExecContext(ctx, stocks.updateSQL(sqlitePlaceholder), stocks.updateArgs(s)...)
	return mustAffect("update stock "+s.ID, res, err)
}

// InsertCoupon adds c; ErrDuplicate when its code is taken in its stock or its send
// request was made before.
func (tx *tx) InsertCoupon(ctx context.Context, c *pay.Coupon) error {
	if _, err := tx.tx.ExecContext(ctx, coupons.insertSQL(sqlitePlaceholder), coupons.values(c)...); err != nil {
		return dbError("insert coupon "+c.Code, err)
	}
	return nil
}

// Coupon finds a coupon by code, in one stock or, for stockID "", the first sent.
func (tx *tx) Coupon(ctx context.Context, stockID, code string) (*pay.Coupon, error) {
	query, args := coupons.selectSQL("")+` WHERE coupon_code = ?`, []any{code}
	if stockID != "" {
		query, args = query+` AND stock_id = ?`, append(args, stockID)
	}
	c, err := coupons.scan(tx.tx.QueryRowContext(ctx, query+` ORDER BY receive_time, rowid LIMIT 1`, args...))
	if err != nil {
		return nil, dbError("coupon "+code, err)
	}
	return c, nil
}

// CouponBySend finds the coupon a send request made.
func (tx *tx) CouponBySend(ctx context.Context, stockID, openid, sendRequestNo string) (*pay.Coupon, error) {
	c, err := coupons.scan(tx.tx.QueryRowContext(ctx, coupons.selectSQL("")+`
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
	query := coupons.selectSQL("c") + ` c JOIN coupon_stocks s ON s.stock_id = c.stock_id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	out, err := collect(ctx, tx.tx, coupons.scan, query+` ORDER BY c.receive_time, c.rowid`, args...)
	if err != nil {
		return nil, dbError("list coupons", err)
	}
	return out, nil
}

// UpdateCoupon writes every column of c but its keys.
func (tx *tx) UpdateCoupon(ctx context.Context, c *pay.Coupon) error {
	res, err := tx.tx.ExecContext(ctx, coupons.updateSQL(sqlitePlaceholder), coupons.updateArgs(c)...)
	return mustAffect("update coupon "+c.Code, res, err)
}

// InsertCouponRequest records a request number; ErrDuplicate when it was used before.
func (tx *tx) InsertCouponRequest(ctx context.Context, r *pay.CouponRequest) error {
	if _, err := tx.tx.ExecContext(ctx, couponRequests.insertSQL(sqlitePlaceholder), couponRequests.values(r)...); err != nil {
		return dbError("insert coupon request "+r.RequestNo, err)
	}
	return nil
}

// CouponRequest finds a merchant's request number of a kind.
func (tx *tx) CouponRequest(ctx context.Context, mchid, kind, requestNo string) (*pay.CouponRequest, error) {
	r, err := couponRequests.scan(tx.tx.QueryRowContext(ctx, couponRequests.selectSQL("")+`
		WHERE mchid = ? AND kind = ? AND request_no = ?`, mchid, kind, requestNo))
	if err != nil {
		return nil, dbError("coupon request "+requestNo, err)
	}
	return r, nil
}
