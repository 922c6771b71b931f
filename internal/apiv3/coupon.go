package apiv3

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// The request bodies list every field wechatpay-go's merchantexclusivecoupon models send,
// so that strict decoding accepts them all. Fields no rule reads are json.RawMessage and
// are kept as sent, for the queries to show back.

type availableTimeBody struct {
	AvailableBeginTime       *string         `json:"available_begin_time"`
	AvailableEndTime         *string         `json:"available_end_time"`
	AvailableDayAfterReceive *int64          `json:"available_day_after_receive"`
	AvailableWeek            json.RawMessage `json:"available_week"`
	IrregularyAvaliableTime  json.RawMessage `json:"irregulary_avaliable_time"`
	WaitDaysAfterReceive     *int64          `json:"wait_days_after_receive"`
}

// The three rule objects have the fields of GO FixedValueStockMsg, DiscountMsg and
// ExchangeMsg, each its own, so that strict decoding refuses a field of one kind of
// coupon inside the object of another.

type fixedNormalBody struct {
	DiscountAmount     *int64 `json:"discount_amount"`
	TransactionMinimum *int64 `json:"transaction_minimum"`
}

type discountBody struct {
	DiscountPercent    *int64 `json:"discount_percent"`
	TransactionMinimum *int64 `json:"transaction_minimum"`
}

type exchangeBody struct {
	ExchangePrice      *int64 `json:"exchange_price"`
	TransactionMinimum *int64 `json:"transaction_minimum"`
}

type useRuleBody struct {
	CouponAvailableTime *availableTimeBody `json:"coupon_available_time"`
	FixedNormalCoupon   *fixedNormalBody   `json:"fixed_normal_coupon"`
	DiscountCoupon      *discountBody      `json:"discount_coupon"`
	ExchangeCoupon      *exchangeBody      `json:"exchange_coupon"`
	UseMethod           *string            `json:"use_method"`
	MiniProgramsAppid   json.RawMessage    `json:"mini_programs_appid"`
	MiniProgramsPath    json.RawMessage    `json:"mini_programs_path"`
}

// amountRule reads into st the rule object that the stock's type names. Strict, another
// object present is a PARAM_ERROR; lenient, it is ignored. An unknown type reads nothing
// and is refused by pay.Service.
func (u *useRuleBody) amountRule(st *pay.Stock, strict bool) error {
	present := []struct {
		name string
		kind pay.StockType
		set  bool
	}{
		{"fixed_normal_coupon", pay.StockNormal, u.FixedNormalCoupon != nil},
		{"discount_coupon", pay.StockDiscount, u.DiscountCoupon != nil},
		{"exchange_coupon", pay.StockExchange, u.ExchangeCoupon != nil},
	}
	switch st.Type {
	case pay.StockNormal, pay.StockDiscount, pay.StockExchange:
	default:
		return nil
	}
	for _, o := range present {
		if strict && o.set && o.kind != st.Type {
			return pay.ParamError("coupon_use_rule."+o.name, fmt.Sprintf("stock_type为%s的批次不能填写%s", st.Type, o.name), nil)
		}
	}
	switch {
	case st.Type == pay.StockNormal && u.FixedNormalCoupon != nil:
		st.DiscountAmount, st.TransactionMinimum = num(u.FixedNormalCoupon.DiscountAmount), num(u.FixedNormalCoupon.TransactionMinimum)
	case st.Type == pay.StockDiscount && u.DiscountCoupon != nil:
		st.DiscountPercent, st.TransactionMinimum = num(u.DiscountCoupon.DiscountPercent), num(u.DiscountCoupon.TransactionMinimum)
	case st.Type == pay.StockExchange && u.ExchangeCoupon != nil:
		st.ExchangePrice, st.TransactionMinimum = num(u.ExchangeCoupon.ExchangePrice), num(u.ExchangeCoupon.TransactionMinimum)
	}
	return nil
}

type sendRuleBody struct {
	MaxAmount          json.RawMessage `json:"max_amount"`
	MaxCoupons         *int64          `json:"max_coupons"`
	MaxCouponsPerUser  *int64          `json:"max_coupons_per_user"`
	MaxAmountByDay     json.RawMessage `json:"max_amount_by_day"`
	MaxCouponsByDay    json.RawMessage `json:"max_coupons_by_day"`
	NaturalPersonLimit json.RawMessage `json:"natural_person_limit"`
	PreventAPIAbuse    json.RawMessage `json:"prevent_api_abuse"`
	Transferable       *bool           `json:"transferable"`
	Shareable          *bool           `json:"shareable"`
}

// createStockBody is POST /v3/marketing/busifavor/stocks (GO CreateBusiFavorStockRequest).
type createStockBody struct {
	StockName          *string         `json:"stock_name"`
	BelongMerchant     *string         `json:"belong_merchant"`
	Comment            *string         `json:"comment"`
	GoodsName          *string         `json:"goods_name"`
	StockType          *string         `json:"stock_type"`
	CouponUseRule      *useRuleBody    `json:"coupon_use_rule"`
	StockSendRule      *sendRuleBody   `json:"stock_send_rule"`
	OutRequestNo       *string         `json:"out_request_no"`
	CustomEntrance     json.RawMessage `json:"custom_entrance"`
	DisplayPatternInfo json.RawMessage `json:"display_pattern_info"`
	CouponCodeMode     *string         `json:"coupon_code_mode"`
	NotifyConfig       json.RawMessage `json:"notify_config"`
	Subsidy            json.RawMessage `json:"subsidy"`
}

func (a *api) createStock(c *call) (any, error) {
	var b createStockBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	st, err := b.stock(a.strict)
	if err != nil {
		return nil, err
	}
	st, err = a.svc.Coupons.CreateStock(c.Context(), c.merchant.Mchid, st)
	if err != nil {
		return nil, err
	}
	return map[string]string{"stock_id": st.ID, "create_time": timeString(st.CreateTime)}, nil
}

// stock turns the body into a pay.Stock; pay.Service checks the rules.
func (b *createStockBody) stock(strict bool) (*pay.Stock, error) {
	st := &pay.Stock{
		Name: str(b.StockName), BelongMerchant: str(b.BelongMerchant), Comment: str(b.Comment),
		GoodsName: str(b.GoodsName), Type: pay.StockType(str(b.StockType)), OutRequestNo: str(b.OutRequestNo),
		CodeMode: pay.CodeMode(str(b.CouponCodeMode)), Display: map[string]json.RawMessage{},
	}
	keep := func(key string, v json.RawMessage) {
		if len(v) > 0 && string(v) != "null" {
			st.Display[key] = v
		}
	}
	keep("custom_entrance", b.CustomEntrance)
	keep("display_pattern_info", b.DisplayPatternInfo)
	keep("notify_config", b.NotifyConfig)
	keep("subsidy", b.Subsidy)
	u := b.CouponUseRule
	if u == nil {
		return nil, pay.ParamError("coupon_use_rule", "字段必填", nil)
	}
	st.UseMethod = str(u.UseMethod)
	if st.UseMethod == "" {
		return nil, pay.ParamError("coupon_use_rule.use_method", "字段必填", nil)
	}
	keep("mini_programs_appid", u.MiniProgramsAppid)
	keep("mini_programs_path", u.MiniProgramsPath)
	if err := u.amountRule(st, strict); err != nil {
		return nil, err
	}
	if t := u.CouponAvailableTime; t != nil {
		var err error
		if st.BeginTime, err = parseTime("coupon_use_rule.coupon_available_time.available_begin_time", t.AvailableBeginTime); err != nil {
			return nil, err
		}
		if st.EndTime, err = parseTime("coupon_use_rule.coupon_available_time.available_end_time", t.AvailableEndTime); err != nil {
			return nil, err
		}
		st.DaysAfterReceive, st.WaitDays = num(t.AvailableDayAfterReceive), num(t.WaitDaysAfterReceive)
		keep("available_week", t.AvailableWeek)
		keep("irregulary_avaliable_time", t.IrregularyAvaliableTime)
	}
	s := b.StockSendRule
	if s == nil {
		return nil, pay.ParamError("stock_send_rule", "字段必填", nil)
	}
	st.MaxCoupons, st.MaxCouponsPerUser = num(s.MaxCoupons), num(s.MaxCouponsPerUser)
	st.Transferable, st.Shareable = s.Transferable != nil && *s.Transferable, s.Shareable != nil && *s.Shareable
	keep("max_amount", s.MaxAmount)
	keep("max_amount_by_day", s.MaxAmountByDay)
	keep("max_coupons_by_day", s.MaxCouponsByDay)
	keep("natural_person_limit", s.NaturalPersonLimit)
	keep("prevent_api_abuse", s.PreventAPIAbuse)
	return st, nil
}

func num(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// parseTime reads an RFC3339 time field; absent is the zero time (the rules say whether
// it is required).
func parseTime(field string, p *string) (time.Time, error) {
	if p == nil || *p == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, *p)
	if err != nil {
		return time.Time{}, pay.ParamError(field, "时间格式应为RFC3339，例如2015-05-20T13:29:35+08:00", *p)
	}
	return t, nil
}

// stockJSON is GO StockGetResponse.
type stockJSON struct {
	StockName          string          `json:"stock_name"`
	BelongMerchant     string          `json:"belong_merchant"`
	Comment            string          `json:"comment,omitempty"`
	GoodsName          string          `json:"goods_name"`
	StockType          string          `json:"stock_type"`
	CouponUseRule      useRuleJSON     `json:"coupon_use_rule"`
	StockSendRule      sendRuleJSON    `json:"stock_send_rule"`
	CustomEntrance     json.RawMessage `json:"custom_entrance,omitempty"`
	DisplayPatternInfo json.RawMessage `json:"display_pattern_info,omitempty"`
	StockState         string          `json:"stock_state"`
	CouponCodeMode     string          `json:"coupon_code_mode"`
	StockID            string          `json:"stock_id"`
	NotifyConfig       json.RawMessage `json:"notify_config,omitempty"`
	SendCount          map[string]any  `json:"send_count_information"`
	Subsidy            json.RawMessage `json:"subsidy,omitempty"`
}

type availableTimeJSON struct {
	AvailableBeginTime       string          `json:"available_begin_time"`
	AvailableEndTime         string          `json:"available_end_time"`
	AvailableDayAfterReceive int64           `json:"available_day_after_receive,omitempty"`
	AvailableWeek            json.RawMessage `json:"available_week,omitempty"`
	IrregularyAvaliableTime  json.RawMessage `json:"irregulary_avaliable_time,omitempty"`
	WaitDaysAfterReceive     int64           `json:"wait_days_after_receive,omitempty"`
}

type useRuleJSON struct {
	CouponAvailableTime availableTimeJSON `json:"coupon_available_time"`
	FixedNormalCoupon   map[string]int64  `json:"fixed_normal_coupon,omitempty"`
	DiscountCoupon      map[string]int64  `json:"discount_coupon,omitempty"`
	ExchangeCoupon      map[string]int64  `json:"exchange_coupon,omitempty"`
	UseMethod           string            `json:"use_method"`
	MiniProgramsAppid   json.RawMessage   `json:"mini_programs_appid,omitempty"`
	MiniProgramsPath    json.RawMessage   `json:"mini_programs_path,omitempty"`
}

type sendRuleJSON struct {
	MaxAmount          json.RawMessage `json:"max_amount,omitempty"`
	MaxCoupons         int64           `json:"max_coupons"`
	MaxCouponsPerUser  int64           `json:"max_coupons_per_user"`
	MaxAmountByDay     json.RawMessage `json:"max_amount_by_day,omitempty"`
	MaxCouponsByDay    json.RawMessage `json:"max_coupons_by_day,omitempty"`
	NaturalPersonLimit json.RawMessage `json:"natural_person_limit,omitempty"`
	PreventAPIAbuse    json.RawMessage `json:"prevent_api_abuse,omitempty"`
	Transferable       bool            `json:"transferable"`
	Shareable          bool            `json:"shareable"`
}

func useRule(st *pay.Stock) useRuleJSON {
	u := useRuleJSON{
		CouponAvailableTime: availableTimeJSON{
			AvailableBeginTime: timeString(st.BeginTime), AvailableEndTime: timeString(st.EndTime),
			AvailableDayAfterReceive: st.DaysAfterReceive, WaitDaysAfterReceive: st.WaitDays,
			AvailableWeek: st.Display["available_week"], IrregularyAvaliableTime: st.Display["irregulary_avaliable_time"],
		},
		UseMethod:         st.UseMethod,
		MiniProgramsAppid: st.Display["mini_programs_appid"],
		MiniProgramsPath:  st.Display["mini_programs_path"],
	}
	switch st.Type {
	case pay.StockNormal:
		u.FixedNormalCoupon = map[string]int64{"discount_amount": st.DiscountAmount, "transaction_minimum": st.TransactionMinimum}
	case pay.StockDiscount:
		u.DiscountCoupon = map[string]int64{"discount_percent": st.DiscountPercent, "transaction_minimum": st.TransactionMinimum}
	case pay.StockExchange:
		u.ExchangeCoupon = map[string]int64{"exchange_price": st.ExchangePrice, "transaction_minimum": st.TransactionMinimum}
	}
	return u
}

func stockView(st *pay.Stock) stockJSON {
	d := st.Display
	return stockJSON{
		StockName: st.Name, BelongMerchant: st.BelongMerchant, Comment: st.Comment, GoodsName: st.GoodsName,
		StockType: string(st.Type), CouponUseRule: useRule(st),
		StockSendRule: sendRuleJSON{
			MaxAmount: d["max_amount"], MaxCoupons: st.MaxCoupons, MaxCouponsPerUser: st.MaxCouponsPerUser,
			MaxAmountByDay: d["max_amount_by_day"], MaxCouponsByDay: d["max_coupons_by_day"],
			NaturalPersonLimit: d["natural_person_limit"], PreventAPIAbuse: d["prevent_api_abuse"],
			Transferable: st.Transferable, Shareable: st.Shareable,
		},
		CustomEntrance: d["custom_entrance"], DisplayPatternInfo: d["display_pattern_info"],
		// The sandbox audits nothing: a stock runs from its creation.
		StockState: "RUNNING", CouponCodeMode: string(st.CodeMode), StockID: st.ID,
		NotifyConfig: d["notify_config"], SendCount: map[string]any{"total_send_num": st.Sent}, Subsidy: d["subsidy"],
	}
}

func (a *api) queryStock(c *call) (any, error) {
	st, err := a.svc.Coupons.QueryStock(c.Context(), c.merchant.Mchid, c.PathValue("stock_id"))
	if err != nil {
		return nil, err
	}
	return stockView(st), nil
}

// sendBody is POST /v3/marketing/busifavor/coupons/send (GO SendCouponRequest).
type sendBody struct {
	Openid       *string `json:"openid"`
	Appid        *string `json:"appid"`
	StockID      *string `json:"stock_id"`
	OutRequestNo *string `json:"out_request_no"`
	CouponCode   *string `json:"coupon_code"`
}

func (a *api) sendCoupon(c *call) (any, error) {
	var b sendBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	cp, err := a.svc.Coupons.Send(c.Context(), pay.SendRequest{
		Caller: c.merchant.Mchid, StockID: str(b.StockID), Openid: str(b.Openid), Appid: str(b.Appid),
		OutRequestNo: str(b.OutRequestNo), CouponCode: str(b.CouponCode),
	})
	if err != nil {
		return nil, err
	}
	// GO SendCouponResponse: the result is wrapped in send_coupon_result.
	return map[string]any{"send_coupon_result": map[string]string{
		"stock_id": cp.StockID, "out_request_no": cp.SendRequestNo, "coupon_code": cp.Code,
	}}, nil
}

// useBody is POST /v3/marketing/busifavor/coupons/use (GO UseCouponRequest).
type useBody struct {
	CouponCode   *string `json:"coupon_code"`
	StockID      *string `json:"stock_id"`
	Appid        *string `json:"appid"`
	UseTime      *string `json:"use_time"`
	UseRequestNo *string `json:"use_request_no"`
	Openid       *string `json:"openid"`
}

func (a *api) useCoupon(c *call) (any, error) {
	var b useBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	useTime, err := parseTime("use_time", b.UseTime)
	if err != nil {
		return nil, err
	}
	cp, err := a.svc.Coupons.Use(c.Context(), pay.UseRequest{
		Caller: c.merchant.Mchid, CouponCode: str(b.CouponCode), StockID: str(b.StockID), Appid: str(b.Appid),
		Openid: str(b.Openid), UseTime: useTime, UseRequestNo: str(b.UseRequestNo),
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"stock_id": cp.StockID, "openid": cp.Openid, "wechatpay_use_time": timeString(cp.UseTime)}, nil
}

// couponJSON is GO CouponEntity. associate_out_trade_no is never sent: wechatpay-go
// declares it *time.Time, and an order number there breaks QueryCoupon
// (docs/wire.md#sdk-models).
type couponJSON struct {
	BelongMerchant      string          `json:"belong_merchant"`
	StockName           string          `json:"stock_name"`
	Comment             string          `json:"comment,omitempty"`
	GoodsName           string          `json:"goods_name"`
	StockType           string          `json:"stock_type"`
	Transferable        bool            `json:"transferable"`
	Shareable           bool            `json:"shareable"`
	CouponState         string          `json:"coupon_state"`
	DisplayPatternInfo  json.RawMessage `json:"display_pattern_info,omitempty"`
	CouponUseRule       useRuleJSON     `json:"coupon_use_rule"`
	CustomEntrance      json.RawMessage `json:"custom_entrance,omitempty"`
	CouponCode          string          `json:"coupon_code"`
	StockID             string          `json:"stock_id"`
	AvailableStartTime  *string         `json:"available_start_time,omitempty"`
	ExpireTime          *string         `json:"expire_time,omitempty"`
	ReceiveTime         *string         `json:"receive_time,omitempty"`
	SendRequestNo       string          `json:"send_request_no,omitempty"`
	UseRequestNo        string          `json:"use_request_no,omitempty"`
	UseTime             *string         `json:"use_time,omitempty"`
	ReturnRequestNo     string          `json:"return_request_no,omitempty"`
	ReturnTime          *string         `json:"return_time,omitempty"`
	DeactivateRequestNo string          `json:"deactivate_request_no,omitempty"`
	DeactivateTime      *string         `json:"deactivate_time,omitempty"`
	DeactivateReason    string          `json:"deactivate_reason,omitempty"`
}

func couponView(v *pay.CouponView) couponJSON {
	st, c := v.Stock, v.Coupon
	return couponJSON{
		BelongMerchant: st.BelongMerchant, StockName: st.Name, Comment: st.Comment, GoodsName: st.GoodsName,
		StockType: string(st.Type), Transferable: st.Transferable, Shareable: st.Shareable,
		CouponState: string(v.State), DisplayPatternInfo: st.Display["display_pattern_info"],
		CouponUseRule: useRule(st), CustomEntrance: st.Display["custom_entrance"],
		CouponCode: c.Code, StockID: c.StockID,
		AvailableStartTime: optTime(c.AvailableStartTime), ExpireTime: optTime(c.ExpireTime), ReceiveTime: optTime(c.ReceiveTime),
		SendRequestNo: c.SendRequestNo, UseRequestNo: c.UseRequestNo, UseTime: optTime(c.UseTime),
		ReturnRequestNo: c.ReturnRequestNo, ReturnTime: optTime(c.ReturnTime),
		DeactivateRequestNo: c.DeactivateRequestNo, DeactivateTime: optTime(c.DeactivateTime), DeactivateReason: c.DeactivateReason,
	}
}

func (a *api) queryCoupon(c *call) (any, error) {
	v, err := a.svc.Coupons.Query(c.Context(), c.merchant.Mchid, c.PathValue("openid"), c.PathValue("coupon_code"), c.PathValue("appid"))
	if err != nil {
		return nil, err
	}
	return couponView(v), nil
}

// listCoupons is GET /v3/marketing/busifavor/users/{openid}/coupons with GO
// ListCouponsByFilterRequest's query parameters.
func (a *api) listCoupons(c *call) (any, error) {
	q := c.URL.Query()
	req := pay.ListRequest{
		Caller: c.merchant.Mchid,
		Filter: pay.CouponFilter{
			Openid: c.PathValue("openid"), Appid: q.Get("appid"), StockID: q.Get("stock_id"),
			Creator: q.Get("creator_merchant"), BelongMerchant: q.Get("belong_merchant"), Sender: q.Get("sender_merchant"),
		},
		State: pay.CouponState(q.Get("coupon_state")),
	}
	var err error
	if req.Offset, err = queryInt(q.Get("offset"), "offset"); err != nil {
		return nil, err
	}
	if req.Limit, err = queryInt(q.Get("limit"), "limit"); err != nil {
		return nil, err
	}
	vs, total, err := a.svc.Coupons.List(c.Context(), req)
	if err != nil {
		return nil, err
	}
	data := make([]couponJSON, 0, len(vs))
	for _, v := range vs {
		data = append(data, couponView(v))
	}
	limit := req.Limit
	if limit == 0 {
		limit = 20
	}
	return map[string]any{"data": data, "total_count": total, "limit": limit, "offset": req.Offset}, nil
}

func queryInt(v, field string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		e := pay.ParamError(field, "应为整数", v)
		e.Location = "query"
		return 0, e
	}
	return n, nil
}

// deactivateBody is POST /v3/marketing/busifavor/coupons/deactivate (GO
// DeactivateCouponRequest).
type deactivateBody struct {
	CouponCode          *string `json:"coupon_code"`
	StockID             *string `json:"stock_id"`
	DeactivateRequestNo *string `json:"deactivate_request_no"`
	DeactivateReason    *string `json:"deactivate_reason"`
}

func (a *api) deactivateCoupon(c *call) (any, error) {
	var b deactivateBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	cp, err := a.svc.Coupons.Deactivate(c.Context(), pay.DeactivateRequest{
		Caller: c.merchant.Mchid, CouponCode: str(b.CouponCode), StockID: str(b.StockID),
		DeactivateRequestNo: str(b.DeactivateRequestNo), Reason: str(b.DeactivateReason),
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"wechatpay_deactivate_time": timeString(cp.DeactivateTime)}, nil
}

// returnBody is POST /v3/marketing/busifavor/coupons/return
// (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html).
type returnBody struct {
	CouponCode      *string `json:"coupon_code"`
	StockID         *string `json:"stock_id"`
	ReturnRequestNo *string `json:"return_request_no"`
}

func (a *api) returnCoupon(c *call) (any, error) {
	var b returnBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	cp, err := a.svc.Coupons.Return(c.Context(), pay.ReturnRequest{
		Caller: c.merchant.Mchid, CouponCode: str(b.CouponCode), StockID: str(b.StockID), ReturnRequestNo: str(b.ReturnRequestNo),
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"wechatpay_return_time": timeString(cp.ReturnTime)}, nil
}
