package pay

import "context"

// CouponTx is the part of Tx that keeps merchant-coupon stocks and coupons. Its
// methods follow Tx's conventions: ErrNotFound, ErrDuplicate, ctx first.
type CouponTx interface {
	// InsertStock adds s; ErrDuplicate when its stock_id, or its out_request_no under
	// the same creator, is taken.
	InsertStock(ctx context.Context, s *Stock) error
	Stock(ctx context.Context, stockID string) (*Stock, error)
	// StockByRequest finds a creator's stock by the out_request_no it was created with.
	StockByRequest(ctx context.Context, creator, outRequestNo string) (*Stock, error)
	// Stocks lists the stocks f selects, newest first.
	Stocks(ctx context.Context, f StockFilter) ([]*Stock, error)
	// UpdateStock writes s's mutable fields (Sent).
	UpdateStock(ctx context.Context, s *Stock) error

	// InsertCoupon adds c; ErrDuplicate when its code is taken in its stock, or its
	// send_request_no for the same stock and user.
	InsertCoupon(ctx context.Context, c *Coupon) error
	// Coupon finds a coupon by code, in stockID's stock or, for "", in any stock (the
	// first sent, should two stocks share a merchant-made code).
	Coupon(ctx context.Context, stockID, code string) (*Coupon, error)
	// CouponBySend finds the coupon a send request made.
	CouponBySend(ctx context.Context, stockID, openid, sendRequestNo string) (*Coupon, error)
	// CountCoupons counts a stock's coupons, of one user when openid is not "".
	CountCoupons(ctx context.Context, stockID, openid string) (int64, error)
	// Coupons lists the coupons f selects, oldest first.
	Coupons(ctx context.Context, f CouponFilter) ([]*Coupon, error)
	// UpdateCoupon writes every field of c but its keys (code, stock).
	UpdateCoupon(ctx context.Context, c *Coupon) error

	// InsertCouponRequest records a request number; ErrDuplicate when the merchant used
	// it before for the same kind.
	InsertCouponRequest(ctx context.Context, r *CouponRequest) error
	CouponRequest(ctx context.Context, mchid, kind, requestNo string) (*CouponRequest, error)
}
