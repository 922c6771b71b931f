package pay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// beginSlack is how far before business now a new stock may begin: the merchant's clock
// and WeChat Pay's differ, and a stock "starting now" arrives a little late.
const beginSlack = 5 * time.Minute

// Messages of the coupon APIs. The return ones are the return API's error table
// (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html);
// the others follow its wording where no documented text was found.
const (
	msgCouponNotExist     = "券不存在"
	msgCouponDeleted      = "券已被删除"
	msgCouponNoAuth       = "商户无权限操作该券"
	msgCouponUsable       = "券当前是可用的"
	msgCouponOutOfValid   = "券已不在使用有效期"
	msgReturnNoUsed       = "已使用过此单号退券"
	msgStockNotExist      = "批次不存在"
	msgCouponNotAvailable = "券当前状态不可核销"
)

// Coupons is the merchant-coupon service: stocks and the coupons sent from them.
type Coupons struct{ core }

// CreateStock creates caller's stock, or returns the one caller already created with
// the same out_request_no. s carries the request; its ID, Creator and CreateTime are set.
func (s *Coupons) CreateStock(ctx context.Context, caller string, st *Stock) (*Stock, error) {
	now := s.clock.Now()
	if err := validateStock(st, now); err != nil {
		return nil, err
	}
	var out *Stock
	err := s.store.Update(ctx, func(tx Tx) error {
		prior, err := tx.StockByRequest(ctx, caller, st.OutRequestNo)
		if err == nil {
			out = prior
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := s.mayCreateFor(ctx, tx, caller, st.BelongMerchant); err != nil {
			return err
		}
		st.ID, st.Creator, st.CreateTime = newStockID(), caller, now
		if err := tx.InsertStock(ctx, st); err != nil {
			return fmt.Errorf("insert stock %s: %w", st.ID, err)
		}
		out = st
		return nil
	})
	return out, err
}

// mayCreateFor lets a merchant create stocks for itself and a partner for its
// sub-merchants.
func (s *Coupons) mayCreateFor(ctx context.Context, tx Tx, caller, belong string) error {
	if belong == caller {
		return nil
	}
	m, err := tx.Merchant(ctx, belong)
	if errors.Is(err, ErrNotFound) {
		return ParamError("belong_merchant", "商户号不存在", belong)
	}
	if err != nil {
		return err
	}
	if m.SpMchid != caller {
		return Errorf(CodeNoAuth, "商户无权限为商户%s创建批次", belong)
	}
	return nil
}

func validateStock(st *Stock, now time.Time) error {
	if err := firstError(
		required("stock_name", st.Name, 60),
		required("belong_merchant", st.BelongMerchant, 32),
		maxRunes("comment", st.Comment, 20),
		required("goods_name", st.GoodsName, 192),
		required("out_request_no", st.OutRequestNo, 128),
		oneOf("stock_type", string(st.Type), string(StockNormal), string(StockDiscount), string(StockExchange)),
		oneOf("coupon_code_mode", string(st.CodeMode), string(CodeModeWechatpay), string(CodeModeMerchantAPI)),
		oneOf("coupon_use_rule.use_method", st.UseMethod, "OFF_LINE", "MINI_PROGRAMS", "SELF_CONSUME", "PAYMENT_CODE"),
	); err != nil {
		return err
	}
	if st.Type == "" {
		return ParamError("stock_type", "字段必填", nil)
	}
	if st.CodeMode == "" {
		return ParamError("coupon_code_mode", "字段必填", nil)
	}
	if err := validateCouponKind(st); err != nil {
		return err
	}
	const at = "coupon_use_rule.coupon_available_time."
	switch {
	case st.BeginTime.IsZero():
		return ParamError(at+"available_begin_time", "字段必填", nil)
	case st.EndTime.IsZero():
		return ParamError(at+"available_end_time", "字段必填", nil)
	case st.BeginTime.Before(now.Add(-beginSlack)):
		return ParamError(at+"available_begin_time", "开始时间不能早于当前时间", st.BeginTime.In(Beijing).Format(time.RFC3339))
	case !st.EndTime.After(st.BeginTime):
		return ParamError(at+"available_end_time", "结束时间必须晚于开始时间", st.EndTime.In(Beijing).Format(time.RFC3339))
	case st.DaysAfterReceive < 0:
		return ParamError(at+"available_day_after_receive", "必须大于等于1", st.DaysAfterReceive)
	case st.WaitDays < 0:
		return ParamError(at+"wait_days_after_receive", "不能小于0", st.WaitDays)
	case st.MaxCoupons < 1:
		return ParamError("stock_send_rule.max_coupons", "批次最大发放个数必须大于等于1", st.MaxCoupons)
	case st.MaxCouponsPerUser < 1:
		return ParamError("stock_send_rule.max_coupons_per_user", "用户最大可领个数必须大于等于1", st.MaxCouponsPerUser)
	}
	return nil
}

// validateCouponKind checks the amount rule that the stock's type names.
func validateCouponKind(st *Stock) error {
	const r = "coupon_use_rule."
	if st.TransactionMinimum < 0 {
		return ParamError(r+"transaction_minimum", "消费门槛不能小于0", st.TransactionMinimum)
	}
	switch st.Type {
	case StockNormal:
		if st.DiscountAmount < 1 {
			return ParamError(r+"fixed_normal_coupon.discount_amount", "NORMAL批次必填，优惠金额必须大于等于1分", st.DiscountAmount)
		}
	case StockDiscount:
		if st.DiscountPercent < 1 || st.DiscountPercent > 99 {
			return ParamError(r+"discount_coupon.discount_percent", "DISCOUNT批次必填，折扣百分比取值1–99", st.DiscountPercent)
		}
	case StockExchange:
		if st.ExchangePrice < 1 {
			return ParamError(r+"exchange_coupon.exchange_price", "EXCHANGE批次必填，单品换购价必须大于等于1分", st.ExchangePrice)
		}
	}
	return nil
}

// QueryStock returns a stock its creator or owner may see.
func (s *Coupons) QueryStock(ctx context.Context, caller, stockID string) (*Stock, error) {
	var out *Stock
	err := s.store.View(ctx, func(tx Tx) error {
		st, err := tx.Stock(ctx, stockID)
		if errors.Is(err, ErrNotFound) || (err == nil && !st.ownedBy(caller)) {
			return Errorf(CodeResourceNotExists, msgStockNotExist)
		}
		out = st
		return err
	})
	return out, err
}

func (st *Stock) ownedBy(mchid string) bool {
	return mchid == st.Creator || mchid == st.BelongMerchant
}

// SendRequest sends one coupon of a stock to a user.
type SendRequest struct {
	Caller       string
	StockID      string
	Openid       string
	Appid        string
	OutRequestNo string
	CouponCode   string // MERCHANT_API stocks only
}

// Send sends a coupon, or returns the one already sent to the same user under the
// same out_request_no.
func (s *Coupons) Send(ctx context.Context, q SendRequest) (*Coupon, error) {
	if err := firstError(
		required("openid", q.Openid, 128),
		required("appid", q.Appid, 32),
		required("stock_id", q.StockID, 20),
		required("out_request_no", q.OutRequestNo, 128),
		maxBytes("coupon_code", q.CouponCode, 32),
	); err != nil {
		return nil, err
	}
	var out *Coupon
	err := s.store.Update(ctx, func(tx Tx) error {
		st, err := tx.Stock(ctx, q.StockID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgStockNotExist)
		}
		if err != nil {
			return err
		}
		if !st.ownedBy(q.Caller) {
			return Errorf(CodeNoAuth, "商户无权限发放该批次的券")
		}
		prior, err := tx.CouponBySend(ctx, st.ID, q.Openid, q.OutRequestNo)
		if err == nil {
			out = prior
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		out, err = s.send(ctx, tx, st, q)
		return err
	})
	return out, err
}

func (s *Coupons) send(ctx context.Context, tx Tx, st *Stock, q SendRequest) (*Coupon, error) {
	now := s.clock.Now()
	code := q.CouponCode
	switch {
	case st.CodeMode == CodeModeMerchantAPI && code == "":
		return nil, ParamError("coupon_code", "MERCHANT_API模式的批次发券时必填", nil)
	case st.CodeMode != CodeModeMerchantAPI && code != "":
		return nil, ParamError("coupon_code", "仅MERCHANT_API模式的批次可传入券code", code)
	case !now.Before(st.EndTime):
		return nil, Errorf(CodeRuleLimit, "批次已过期")
	case st.Sent >= st.MaxCoupons:
		return nil, Errorf(CodeRuleLimit, "批次已发完，已达到批次最大发放个数%d", st.MaxCoupons)
	}
	if code == "" {
		code = wxcrypto.Digits(16)
	}
	mine, err := tx.CountCoupons(ctx, st.ID, q.Openid)
	if err != nil {
		return nil, err
	}
	if mine >= st.MaxCouponsPerUser {
		return nil, Errorf(CodeRuleLimit, "用户领券数已达到单个用户可领个数上限%d", st.MaxCouponsPerUser)
	}
	c := &Coupon{
		Code: code, StockID: st.ID, Openid: q.Openid, Appid: q.Appid, Sender: q.Caller,
		State: CouponSended, SendRequestNo: q.OutRequestNo, ReceiveTime: now,
	}
	c.AvailableStartTime, c.ExpireTime = st.validity(now)
	if err := tx.InsertCoupon(ctx, c); errors.Is(err, ErrDuplicate) {
		return nil, Errorf(CodeResourceAlreadyExists, "券code%s在该批次已存在", code)
	} else if err != nil {
		return nil, fmt.Errorf("insert coupon %s: %w", code, err)
	}
	st.Sent++
	if err := tx.UpdateStock(ctx, st); err != nil {
		return nil, fmt.Errorf("update stock %s: %w", st.ID, err)
	}
	return c, nil
}

// validity is the window of a coupon received at now: the stock's, narrowed by
// wait_days_after_receive and available_day_after_receive.
func (st *Stock) validity(received time.Time) (start, end time.Time) {
	start, end = st.BeginTime, st.EndTime
	if received.After(start) {
		start = received
	}
	// No coupon outlives its stock, so days past the stock's end change nothing; capping
	// them there keeps the date arithmetic from wrapping on any count a client sends.
	limit := max(int64(end.Sub(received)/(24*time.Hour))+1, 1)
	if st.WaitDays > 0 {
		start = received.AddDate(0, 0, int(min(st.WaitDays, limit)))
	}
	if st.DaysAfterReceive > 0 {
		if e := start.AddDate(0, 0, int(min(st.DaysAfterReceive, limit))); e.Before(end) {
			end = e
		}
	}
	return start, end
}

// UseRequest verifies (核销) a coupon.
type UseRequest struct {
	Caller       string
	CouponCode   string
	StockID      string // required for MERCHANT_API stocks (https://pay.weixin.qq.com/doc/v3/merchant/4015715938)
	Appid        string
	Openid       string
	UseTime      time.Time
	UseRequestNo string
}

// Use marks a usable coupon USED. A use_request_no seen before answers as it did
// for the same coupon and RESOURCE_ALREADY_EXISTS for another.
func (s *Coupons) Use(ctx context.Context, q UseRequest) (*Coupon, error) {
	if err := firstError(
		required("coupon_code", q.CouponCode, 32),
		required("appid", q.Appid, 32),
		required("use_request_no", q.UseRequestNo, 128),
	); err != nil {
		return nil, err
	}
	if q.UseTime.IsZero() {
		return nil, ParamError("use_time", "字段必填", nil)
	}
	var out *Coupon
	err := s.store.Update(ctx, func(tx Tx) error {
		c, st, err := s.ownCoupon(ctx, tx, q.Caller, q.StockID, q.CouponCode)
		if err != nil {
			return err
		}
		if st.CodeMode == CodeModeMerchantAPI && q.StockID == "" {
			return ParamError("stock_id", "MERCHANT_API模式的券核销时必填", nil)
		}
		if c.Appid != q.Appid || (q.Openid != "" && c.Openid != q.Openid) {
			return Errorf(CodeResourceNotExists, msgCouponNotExist)
		}
		if replay, err := s.seen(ctx, tx, q.Caller, RequestUse, q.UseRequestNo, c); replay || err != nil {
			out = c
			return err
		}
		now := s.clock.Now()
		switch state := c.StateAt(now); {
		case state == CouponExpired:
			return Errorf(CodeRuleLimit, "券已过期")
		case state != CouponSended:
			return Errorf(CodeRuleLimit, "%s：%s", msgCouponNotAvailable, state)
		case !c.validAt(now):
			return Errorf(CodeRuleLimit, "券未到可用时间")
		}
		c.State, c.UseRequestNo, c.UseTime = CouponUsed, q.UseRequestNo, now
		out = c
		return s.recordRequest(ctx, tx, q.Caller, RequestUse, q.UseRequestNo, c, now)
	})
	return out, err
}

// ownCoupon finds a coupon the caller may act on: 404 for none or a deleted one,
// NO_AUTH for another merchant's (the return API's order of errors).
func (s *Coupons) ownCoupon(ctx context.Context, tx Tx, caller, stockID, code string) (*Coupon, *Stock, error) {
	c, err := tx.Coupon(ctx, stockID, code)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, Errorf(CodeResourceNotExists, msgCouponNotExist)
	}
	if err != nil {
		return nil, nil, err
	}
	if c.State == CouponDeleted {
		return nil, nil, Errorf(CodeResourceNotExists, msgCouponDeleted)
	}
	st, err := tx.Stock(ctx, c.StockID)
	if err != nil {
		return nil, nil, fmt.Errorf("find stock %s: %w", c.StockID, err)
	}
	if !st.ownedBy(caller) {
		return nil, nil, Errorf(CodeNoAuth, msgCouponNoAuth)
	}
	return c, st, nil
}

// seen reports whether caller used requestNo for kind before: a replay when it was for
// the same coupon, RESOURCE_ALREADY_EXISTS otherwise.
func (s *Coupons) seen(ctx context.Context, tx Tx, caller, kind, requestNo string, c *Coupon) (bool, error) {
	r, err := tx.CouponRequest(ctx, caller, kind, requestNo)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.StockID != c.StockID || r.CouponCode != c.Code {
		return false, Errorf(CodeResourceAlreadyExists, "已使用过此单号，请更换单号重试")
	}
	return true, nil
}

// recordRequest saves c and the request number that changed it.
func (s *Coupons) recordRequest(ctx context.Context, tx Tx, caller, kind, requestNo string, c *Coupon, now time.Time) error {
	err := tx.InsertCouponRequest(ctx, &CouponRequest{
		Mchid: caller, Kind: kind, RequestNo: requestNo, StockID: c.StockID, CouponCode: c.Code, Time: now,
	})
	if err != nil {
		return fmt.Errorf("record %s request %s: %w", kind, requestNo, err)
	}
	if err := tx.UpdateCoupon(ctx, c); err != nil {
		return fmt.Errorf("update coupon %s: %w", c.Code, err)
	}
	return nil
}

// ReturnRequest gives a used coupon back to the user
// (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html).
type ReturnRequest struct {
	Caller          string
	CouponCode      string
	StockID         string
	ReturnRequestNo string
}

// Return makes a USED coupon inside its validity usable again, after the merchant
// refunded the order it paid for ("商户可以在退款之后调用退券API", the return API).
func (s *Coupons) Return(ctx context.Context, q ReturnRequest) (*Coupon, error) {
	if err := firstError(
		required("coupon_code", q.CouponCode, 32),
		required("stock_id", q.StockID, 20),
		required("return_request_no", q.ReturnRequestNo, 128),
	); err != nil {
		return nil, err
	}
	var out *Coupon
	err := s.store.Update(ctx, func(tx Tx) error {
		c, _, err := s.ownCoupon(ctx, tx, q.Caller, q.StockID, q.CouponCode)
		if err != nil {
			return err
		}
		// The return API has no replay: a return_request_no is good for one return, even a
		// retry of the same one.
		if _, err := tx.CouponRequest(ctx, q.Caller, RequestReturn, q.ReturnRequestNo); err == nil {
			return Errorf(CodeResourceAlreadyExists, msgReturnNoUsed)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.clock.Now()
		switch {
		case c.StateAt(now) == CouponSended:
			return Errorf(CodeRuleLimit, msgCouponUsable)
		case c.State == CouponDeactivated:
			return Errorf(CodeRuleLimit, "券已失效，不可退")
		case !c.validAt(now):
			// "若券过期状态下退款,可不用调用该退券API" (the return API).
			return Errorf(CodeRuleLimit, msgCouponOutOfValid)
		}
		c.State, c.ReturnRequestNo, c.ReturnTime = CouponSended, q.ReturnRequestNo, now
		out = c
		return s.recordRequest(ctx, tx, q.Caller, RequestReturn, q.ReturnRequestNo, c, now)
	})
	return out, err
}

// DeactivateRequest makes a usable coupon unusable for good.
type DeactivateRequest struct {
	Caller              string
	CouponCode          string
	StockID             string
	DeactivateRequestNo string
	Reason              string
}

// Deactivate moves a SENDED coupon to DEACTIVATED. A deactivate_request_no seen
// before answers as it did for the same coupon and RESOURCE_ALREADY_EXISTS for another.
func (s *Coupons) Deactivate(ctx context.Context, q DeactivateRequest) (*Coupon, error) {
	if err := firstError(
		required("coupon_code", q.CouponCode, 32),
		required("stock_id", q.StockID, 20),
		required("deactivate_request_no", q.DeactivateRequestNo, 128),
		maxRunes("deactivate_reason", q.Reason, 64),
	); err != nil {
		return nil, err
	}
	var out *Coupon
	err := s.store.Update(ctx, func(tx Tx) error {
		c, _, err := s.ownCoupon(ctx, tx, q.Caller, q.StockID, q.CouponCode)
		if err != nil {
			return err
		}
		if replay, err := s.seen(ctx, tx, q.Caller, RequestDeactivate, q.DeactivateRequestNo, c); replay || err != nil {
			out = c
			return err
		}
		now := s.clock.Now()
		// Deactivate doc (chapter9_2_14): "前置条件：券的状态为SENDED".
		if state := c.StateAt(now); state != CouponSended {
			return Errorf(CodeRuleLimit, "券当前状态为%s，仅可用状态的券可以失效", state)
		}
		c.State, c.DeactivateRequestNo, c.DeactivateTime, c.DeactivateReason = CouponDeactivated, q.DeactivateRequestNo, now, q.Reason
		out = c
		return s.recordRequest(ctx, tx, q.Caller, RequestDeactivate, q.DeactivateRequestNo, c, now)
	})
	return out, err
}

// CouponView is a coupon with its stock and its state at business now, as the query
// APIs show it.
type CouponView struct {
	*Coupon
	Stock *Stock
	State CouponState
}

// Query returns a user's coupon for the single-coupon query.
func (s *Coupons) Query(ctx context.Context, caller, openid, code, appid string) (*CouponView, error) {
	var out *CouponView
	err := s.store.View(ctx, func(tx Tx) error {
		c, st, err := s.ownCoupon(ctx, tx, caller, "", code)
		if err != nil {
			return err
		}
		if c.Openid != openid || c.Appid != appid {
			return Errorf(CodeResourceNotExists, msgCouponNotExist)
		}
		out = &CouponView{Coupon: c, Stock: st, State: c.StateAt(s.clock.Now())}
		return nil
	})
	return out, err
}

// ListRequest pages through a user's coupons.
type ListRequest struct {
	Caller string
	Filter CouponFilter
	State  CouponState // "" for any
	Offset int64
	Limit  int64 // 0 for the default, 20
}

// List lists the caller's coupons of a user, oldest first, and their total.
func (s *Coupons) List(ctx context.Context, q ListRequest) ([]*CouponView, int64, error) {
	if err := firstError(
		required("openid", q.Filter.Openid, 128),
		required("appid", q.Filter.Appid, 32),
		oneOf("coupon_state", string(q.State), string(CouponSended), string(CouponUsed), string(CouponExpired), string(CouponDeleted), string(CouponDeactivated)),
	); err != nil {
		return nil, 0, err
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 1 || q.Limit > 50 {
		return nil, 0, queryParamError("limit", "取值范围1–50", q.Limit)
	}
	if q.Offset < 0 {
		return nil, 0, queryParamError("offset", "不能小于0", q.Offset)
	}
	var all []*CouponView
	err := s.store.View(ctx, func(tx Tx) error {
		cs, err := tx.Coupons(ctx, q.Filter)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		stocks := map[string]*Stock{}
		for _, c := range cs {
			st, ok := stocks[c.StockID]
			if !ok {
				if st, err = tx.Stock(ctx, c.StockID); err != nil {
					return fmt.Errorf("find stock %s: %w", c.StockID, err)
				}
				stocks[c.StockID] = st
			}
			v := &CouponView{Coupon: c, Stock: st, State: c.StateAt(now)}
			if st.ownedBy(q.Caller) && (q.State == "" || v.State == q.State) {
				all = append(all, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	total := int64(len(all))
	page := all[min(q.Offset, total):min(q.Offset+q.Limit, total)]
	return slices.Clip(page), total, nil
}

func queryParamError(field, issue string, value any) *Error {
	e := ParamError(field, issue, value)
	e.Location = "query"
	e.Message = fmt.Sprintf("输入源“/query/%s”映射到值字段“%s”校验失败：%s", field, field, issue)
	return e
}

// Delete is the user deleting a coupon from their card package, for the sandbox.
func (s *Coupons) Delete(ctx context.Context, stockID, code string) (*Coupon, error) {
	var out *Coupon
	err := s.store.Update(ctx, func(tx Tx) error {
		c, err := tx.Coupon(ctx, stockID, code)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgCouponNotExist)
		}
		if err != nil {
			return err
		}
		c.State = CouponDeleted
		out = c
		return tx.UpdateCoupon(ctx, c)
	})
	return out, err
}

// consume uses the coupons a sandbox order's promotions name, in the order's
// transaction: the user paid with them. A coupon the merchant already verified through
// the use API is taken as it is.
func (s *Coupons) consume(ctx context.Context, tx Tx, t *Order) error {
	for i, p := range t.Promotions {
		if p.CouponCode == "" {
			continue
		}
		field := fmt.Sprintf("promotions[%d].coupon_code", i)
		c, st, err := s.ownCoupon(ctx, tx, t.Mchid, p.StockID, p.CouponCode)
		if err != nil {
			if e := (*Error)(nil); errors.As(err, &e) {
				return ParamError(field, e.Message, p.CouponCode)
			}
			return err
		}
		t.Promotions[i].StockID = st.ID
		if c.State == CouponUsed && c.TransactionID == "" {
			c.TransactionID = t.ID
		} else {
			if state := c.StateAt(t.SuccessTime); state != CouponSended || !c.validAt(t.SuccessTime) {
				return ParamError(field, "券当前不可用："+string(state), p.CouponCode)
			}
			c.State, c.UseRequestNo, c.UseTime, c.TransactionID = CouponUsed, t.ID, t.SuccessTime, t.ID
		}
		if err := tx.UpdateCoupon(ctx, c); err != nil {
			return fmt.Errorf("update coupon %s: %w", c.Code, err)
		}
	}
	return nil
}

// newStockID makes a 10-digit stock_id like the return API's example "1234567891".
func newStockID() string { return "1" + wxcrypto.Digits(9) }
