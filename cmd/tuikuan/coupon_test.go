package main

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	"github.com/google/go-cmp/cmp"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	mec "github.com/wechatpay-apiv3/wechatpay-go/services/merchantexclusivecoupon"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
)

const couponOpenid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

// couponClient holds the merchantexclusivecoupon services of one merchant.
type couponClient struct {
	stocks  mec.BusiFavorApiService
	coupons mec.CouponApiService
	m       identity.MerchantCredential
}

func (s *testServer) couponClient(t *testing.T, m identity.MerchantCredential) couponClient {
	c := s.wechatpayClient(t, m)
	return couponClient{stocks: mec.BusiFavorApiService{Client: c}, coupons: mec.CouponApiService{Client: c}, m: m}
}

// createStock creates a NORMAL stock of 10 yuan off 100, valid from now for validity.
func (cc couponClient) createStock(t *testing.T, validity time.Duration, mode mec.CouponCodeMode) string {
	t.Helper()
	now := time.Now()
	resp, _, err := cc.stocks.CreateBusifavorStock(context.Background(), mec.CreateBusifavorStockRequest{
		StockName: core.String("满100减10"), BelongMerchant: core.String(cc.m.Mchid), Comment: core.String("测试"),
		GoodsName: core.String("全场通用"), StockType: mec.BUSIFAVORSTOCKTYPE_NORMAL.Ptr(),
		CouponUseRule: &mec.CouponUseRule{
			CouponAvailableTime: &mec.FavorAvailableTime{AvailableBeginTime: core.Time(now), AvailableEndTime: core.Time(now.Add(validity))},
			FixedNormalCoupon:   &mec.FixedValueStockMsg{DiscountAmount: core.Int64(1000), TransactionMinimum: core.Int64(10000)},
			UseMethod:           mec.COUPONUSEMETHOD_OFF_LINE.Ptr(),
		},
		StockSendRule:      &mec.StockSendRule{MaxCoupons: core.Int64(3), MaxCouponsPerUser: core.Int64(2)},
		OutRequestNo:       core.String(uniq("S")),
		DisplayPatternInfo: &mec.DisplayPatternInfo{BackgroundColor: core.String("Color010")},
		CouponCodeMode:     mode.Ptr(),
	})
	if err != nil {
		t.Fatalf("CreateBusifavorStock: %v", err)
	}
	return *resp.StockId
}

func (cc couponClient) send(t *testing.T, stockID, outRequestNo string) string {
	t.Helper()
	resp, _, err := cc.coupons.SendCoupon(context.Background(), mec.SendCouponRequest{
		Openid: core.String(couponOpenid), Appid: core.String(cc.m.Appid), StockId: core.String(stockID), OutRequestNo: core.String(outRequestNo),
	})
	if err != nil {
		t.Fatalf("SendCoupon: %v", err)
	}
	return *resp.SendCouponResult.CouponCode
}

func (cc couponClient) use(t *testing.T, stockID, code string) {
	t.Helper()
	_, _, err := cc.coupons.UseCoupon(context.Background(), mec.UseCouponRequest{
		CouponCode: core.String(code), StockId: core.String(stockID), Appid: core.String(cc.m.Appid),
		UseTime: core.String(time.Now().Format(time.RFC3339)), UseRequestNo: core.String(uniq("U")),
	})
	if err != nil {
		t.Fatalf("UseCoupon: %v", err)
	}
}

func (cc couponClient) state(t *testing.T, code string) mec.CouponStatus {
	t.Helper()
	c, _, err := cc.coupons.QueryCoupon(context.Background(), mec.QueryCouponRequest{
		CouponCode: core.String(code), Appid: core.String(cc.m.Appid), Openid: core.String(couponOpenid),
	})
	if err != nil {
		t.Fatalf("QueryCoupon(%s): %v", code, err)
	}
	return *c.CouponState
}

func (cc couponClient) returnCoupon(stockID, code, no string) (*mec.ReturnCouponResponse, error) {
	resp, _, err := cc.coupons.ReturnCoupon(context.Background(), mec.ReturnCouponRequest{
		CouponCode: core.String(code), StockId: core.String(stockID), ReturnRequestNo: core.String(no),
	})
	return resp, err
}

// wantCouponError checks an SDK error's status, code and message.
func wantCouponError(t *testing.T, call string, err error, status int, code, message string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want %d %s %s", call, status, code, message)
		return
	}
	ae := apiError(t, err)
	if ae.StatusCode != status || ae.Code != code || (message != "" && ae.Message != message) {
		t.Errorf("%s = %d %s %q, want %d %s %q", call, ae.StatusCode, ae.Code, ae.Message, status, code, message)
	}
}

// TestCoupon_WechatpayGo drives a coupon's life through wechatpay-go, hitting every error
// of the coupon return's error table (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html).
func TestCoupon_WechatpayGo(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	cc := s.couponClient(t, s.merchant(t, "direct"))
	stockID := cc.createStock(t, 2*time.Hour, mec.COUPONCODEMODE_WECHATPAY_MODE)

	st, _, err := cc.stocks.QueryStock(ctx, mec.QueryStockRequest{StockId: core.String(stockID)})
	if err != nil {
		t.Fatalf("QueryStock: %v", err)
	}
	if *st.StockId != stockID || *st.StockType != mec.BUSIFAVORSTOCKTYPE_NORMAL || *st.CouponUseRule.FixedNormalCoupon.DiscountAmount != 1000 ||
		*st.DisplayPatternInfo.BackgroundColor != "Color010" || *st.StockState != mec.STOCKSTATUS_RUNNING {
		t.Errorf("QueryStock = %v", st)
	}

	sendNo := uniq("O")
	code := cc.send(t, stockID, sendNo)
	if again := cc.send(t, stockID, sendNo); again != code {
		t.Errorf("SendCoupon replay = %s, want %s", again, code)
	}
	if got := cc.state(t, code); got != mec.COUPONSTATUS_SENDED {
		t.Errorf("state after send = %s, want SENDED", got)
	}

	_, err = cc.returnCoupon(stockID, code, uniq("RT"))
	wantCouponError(t, "ReturnCoupon(SENDED)", err, 403, "RULE_LIMIT", "券当前是可用的")

	cc.use(t, stockID, code)
	if got := cc.state(t, code); got != mec.COUPONSTATUS_USED {
		t.Errorf("state after use = %s, want USED", got)
	}

	other := s.couponClient(t, s.merchant(t, "partner"))
	_, err = other.returnCoupon(stockID, code, uniq("RT"))
	wantCouponError(t, "ReturnCoupon(another merchant)", err, 403, "NO_AUTH", "商户无权限操作该券")
	_, err = cc.returnCoupon(stockID, "999999999999", uniq("RT"))
	wantCouponError(t, "ReturnCoupon(unknown)", err, 404, "RESOURCE_NOT_EXISTS", "券不存在")

	returnNo := uniq("RT")
	resp, err := cc.returnCoupon(stockID, code, returnNo)
	if err != nil {
		t.Fatalf("ReturnCoupon: %v", err)
	}
	if resp.WechatpayReturnTime == nil || time.Since(*resp.WechatpayReturnTime) > time.Minute {
		t.Errorf("wechatpay_return_time = %v", resp.WechatpayReturnTime)
	}
	if got := cc.state(t, code); got != mec.COUPONSTATUS_SENDED {
		t.Errorf("state after return = %s, want SENDED", got)
	}
	cc.use(t, stockID, code)
	_, err = cc.returnCoupon(stockID, code, returnNo)
	wantCouponError(t, "ReturnCoupon(same return_request_no)", err, 400, "RESOURCE_ALREADY_EXISTS", "已使用过此单号退券")

	list, _, err := cc.coupons.ListCouponsByFilter(ctx, mec.ListCouponsByFilterRequest{
		Openid: core.String(couponOpenid), Appid: core.String(cc.m.Appid), StockId: core.String(stockID),
		CouponState: mec.COUPONSTATUS_USED.Ptr(), Limit: core.Int64(10), Offset: core.Int64(0),
	})
	if err != nil {
		t.Fatalf("ListCouponsByFilter: %v", err)
	}
	if *list.TotalCount != 1 || len(list.Data) != 1 || *list.Data[0].CouponCode != code {
		t.Errorf("ListCouponsByFilter = total %d, %d coupons", *list.TotalCount, len(list.Data))
	}

	second := cc.send(t, stockID, uniq("O"))
	_, _, err = cc.coupons.SendCoupon(ctx, mec.SendCouponRequest{
		Openid: core.String(couponOpenid), Appid: core.String(cc.m.Appid), StockId: core.String(stockID), OutRequestNo: core.String(uniq("O")),
	})
	wantCouponError(t, "SendCoupon(over max_coupons_per_user)", err, 403, "RULE_LIMIT", "")

	deactivateNo := uniq("D")
	d, _, err := cc.coupons.DeactivateCoupon(ctx, mec.DeactivateCouponRequest{
		CouponCode: core.String(second), StockId: core.String(stockID), DeactivateRequestNo: core.String(deactivateNo), DeactivateReason: core.String("测试"),
	})
	if err != nil {
		t.Fatalf("DeactivateCoupon: %v", err)
	}
	if d.WechatpayDeactivateTime == nil {
		t.Error("wechatpay_deactivate_time missing")
	}
	if got := cc.state(t, second); got != mec.COUPONSTATUS_DEACTIVATED {
		t.Errorf("state after deactivate = %s, want DEACTIVATED", got)
	}
	_, _, err = cc.coupons.DeactivateCoupon(ctx, mec.DeactivateCouponRequest{
		CouponCode: core.String(code), StockId: core.String(stockID), DeactivateRequestNo: core.String(uniq("D")),
	})
	wantCouponError(t, "DeactivateCoupon(USED)", err, 403, "RULE_LIMIT", "")

	if st := s.sandbox(t, "POST", "/sandbox/v1/coupons/"+code+"/delete", map[string]string{"stock_id": stockID}, nil); st != http.StatusOK {
		t.Fatalf("delete coupon: status %d", st)
	}
	_, err = cc.returnCoupon(stockID, code, uniq("RT"))
	wantCouponError(t, "ReturnCoupon(deleted)", err, 404, "RESOURCE_NOT_EXISTS", "券已被删除")
}

// TestCoupon_Expiry moves the sandbox clock past a stock's validity: a used coupon can no
// longer be returned and an unused one reads EXPIRED.
func TestCoupon_Expiry(t *testing.T) {
	s := startServer(t)
	cc := s.couponClient(t, s.merchant(t, "direct"))
	stockID := cc.createStock(t, time.Hour, mec.COUPONCODEMODE_WECHATPAY_MODE)
	used, unused := cc.send(t, stockID, uniq("O")), cc.send(t, stockID, uniq("O"))
	cc.use(t, stockID, used)

	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": 2 * 3600}, nil); st != http.StatusOK {
		t.Fatalf("advance clock: status %d", st)
	}
	_, err := cc.returnCoupon(stockID, used, uniq("RT"))
	wantCouponError(t, "ReturnCoupon(after validity)", err, 403, "RULE_LIMIT", "券已不在使用有效期")
	if got := cc.state(t, unused); got != mec.COUPONSTATUS_EXPIRED {
		t.Errorf("unused coupon after validity = %s, want EXPIRED", got)
	}
	_, err = cc.returnCoupon(stockID, unused, uniq("RT"))
	wantCouponError(t, "ReturnCoupon(expired, never used)", err, 403, "RULE_LIMIT", "券已不在使用有效期")
}

// TestCoupon_PayRefundReturn is the flow 申请退券 describes: the user pays with a merchant
// coupon, the merchant refunds the order and then returns the coupon, through wechatpay-go
// and go-pay. https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html
func TestCoupon_PayRefundReturn(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	m := s.merchant(t, "direct")
	cc := s.couponClient(t, m)
	stockID := cc.createStock(t, 24*time.Hour, mec.COUPONCODEMODE_MERCHANT_API)
	code := uniq("C")
	resp, _, err := cc.coupons.SendCoupon(ctx, mec.SendCouponRequest{
		Openid: core.String(couponOpenid), Appid: core.String(m.Appid), StockId: core.String(stockID),
		OutRequestNo: core.String(uniq("O")), CouponCode: core.String(code),
	})
	if err != nil {
		t.Fatalf("SendCoupon(MERCHANT_API): %v", err)
	}
	if *resp.SendCouponResult.CouponCode != code {
		t.Errorf("coupon_code = %s, want the merchant's %s", *resp.SendCouponResult.CouponCode, code)
	}

	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 10000, "promotions": []map[string]any{{
		"promotion_id": "900001", "scope": "GLOBAL", "type": "COUPON", "amount": 1000, "coupon_code": code, "stock_id": stockID,
	}}})
	if got := cc.state(t, code); got != mec.COUPONSTATUS_USED {
		t.Fatalf("state after paying with the coupon = %s, want USED", got)
	}

	refunds := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := refunds.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("R")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(10000), Total: core.Int64(10000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, nil); st != http.StatusOK {
		t.Fatalf("settle: status %d", st)
	}

	gp := s.gopayClient(t, m)
	bm := make(gopay.BodyMap)
	bm.Set("coupon_code", code).Set("stock_id", stockID).Set("return_request_no", uniq("RT"))
	rsp, err := gp.V3BusiFavorReturn(ctx, bm)
	if err != nil {
		t.Fatalf("V3BusiFavorReturn: %v", err)
	}
	if rsp.Code != 0 || rsp.Response.WechatpayReturnTime == "" {
		t.Fatalf("V3BusiFavorReturn = code %d %s", rsp.Code, rsp.Error)
	}
	if got := cc.state(t, code); got != mec.COUPONSTATUS_SENDED {
		t.Errorf("state after return = %s, want SENDED", got)
	}
	rsp, err = gp.V3BusiFavorReturn(ctx, bm)
	if err != nil || rsp.Code != http.StatusBadRequest || rsp.ErrResponse.Code != "RESOURCE_ALREADY_EXISTS" {
		t.Errorf("V3BusiFavorReturn replay = %v, code %d %s", err, rsp.Code, rsp.Error)
	}
}

// stockBody is a CreateBusifavorStock body of stockType with the coupon_use_rule objects
// given, valid from now for an hour.
func stockBody(t *testing.T, m identity.MerchantCredential, stockType string, rules map[string]any) json.RawMessage {
	t.Helper()
	now := time.Now()
	useRule := map[string]any{
		"coupon_available_time": map[string]string{
			"available_begin_time": now.Format(time.RFC3339), "available_end_time": now.Add(time.Hour).Format(time.RFC3339),
		},
		"use_method": "OFF_LINE",
	}
	maps.Copy(useRule, rules)
	b, err := json.Marshal(map[string]any{
		"stock_name": "换购", "belong_merchant": m.Mchid, "goods_name": "全场通用", "stock_type": stockType,
		"coupon_use_rule": useRule, "stock_send_rule": map[string]int64{"max_coupons": 3, "max_coupons_per_user": 1},
		"out_request_no": uniq("S"), "coupon_code_mode": "WECHATPAY_MODE",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Ensure a stock reads only the rule object its stock_type names: in strict mode another
// object, or a field of another kind inside the named one, is a PARAM_ERROR; in lenient
// mode they are ignored, never added to the stock's amounts.
func TestCoupon_StockRuleObjects(t *testing.T) {
	normal := map[string]any{"fixed_normal_coupon": map[string]int64{"discount_amount": 1000, "transaction_minimum": 10000}}
	tests := []struct {
		name      string
		stockType string
		rules     map[string]any
		// wantStrict and wantLenient are the status in each mode; a 200 is checked against
		// want, the rule object the stock shows.
		wantStrict, wantLenient int
		want                    map[string]map[string]int64
	}{
		{"Normal", "NORMAL", normal, 200, 200, map[string]map[string]int64{
			"fixed_normal_coupon": {"discount_amount": 1000, "transaction_minimum": 10000}}},
		{"ExchangeWithDiscountAmount", "EXCHANGE", map[string]any{
			"exchange_coupon": map[string]int64{"exchange_price": 100, "discount_amount": 500}}, 400, 200,
			map[string]map[string]int64{"exchange_coupon": {"exchange_price": 100, "transaction_minimum": 0}}},
		{"ExchangeWithNormalObject", "EXCHANGE", map[string]any{
			"exchange_coupon":     map[string]int64{"exchange_price": 100},
			"fixed_normal_coupon": map[string]int64{"discount_amount": 500, "transaction_minimum": 700}}, 400, 200,
			map[string]map[string]int64{"exchange_coupon": {"exchange_price": 100, "transaction_minimum": 0}}},
		{"NormalSplitOverTwoObjects", "NORMAL", map[string]any{
			"fixed_normal_coupon": map[string]int64{"discount_amount": 600},
			"discount_coupon":     map[string]int64{"discount_percent": 80}}, 400, 200,
			map[string]map[string]int64{"fixed_normal_coupon": {"discount_amount": 600, "transaction_minimum": 0}}},
		// The exchange price sits in an object EXCHANGE does not read: missing either way.
		{"ExchangePriceInNormalObject", "EXCHANGE", map[string]any{
			"fixed_normal_coupon": map[string]int64{"exchange_price": 100}}, 400, 400, nil},
		// Summed in int64, MaxInt64 + MaxInt64 + 82 wraps to a valid 80%.
		{"DiscountPercentWraps", "DISCOUNT", map[string]any{
			"discount_coupon":     map[string]int64{"discount_percent": math.MaxInt64},
			"fixed_normal_coupon": map[string]int64{"discount_percent": math.MaxInt64},
			"exchange_coupon":     map[string]int64{"discount_percent": 82}}, 400, 400, nil},
	}
	for _, mode := range []struct {
		name string
		args []string
	}{{"Strict", nil}, {"Lenient", []string{"--lenient"}}} {
		t.Run(mode.name, func(t *testing.T) {
			s := startServer(t, mode.args...)
			m := s.merchant(t, "direct")
			c := s.wechatpayClient(t, m)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					want := tt.wantStrict
					if mode.args != nil {
						want = tt.wantLenient
					}
					body := stockBody(t, m, tt.stockType, tt.rules)
					resp, err := c.Post(context.Background(), "https://api.mch.weixin.qq.com/v3/marketing/busifavor/stocks", body)
					if err != nil {
						ae := apiError(t, err)
						if ae.StatusCode != want || want == 200 || ae.Code != "PARAM_ERROR" {
							t.Fatalf("create stock %s = %d %s %q, want %d", body, ae.StatusCode, ae.Code, ae.Message, want)
						}
						return
					}
					var created struct {
						StockID string `json:"stock_id"`
					}
					err = json.NewDecoder(resp.Response.Body).Decode(&created)
					resp.Response.Body.Close()
					if err != nil || want != 200 {
						t.Fatalf("create stock %s = 200 %+v (%v), want %d", body, created, err, want)
					}
					q, err := c.Get(context.Background(), "https://api.mch.weixin.qq.com/v3/marketing/busifavor/stocks/"+created.StockID)
					if err != nil {
						t.Fatalf("query stock %s: %v", created.StockID, err)
					}
					defer q.Response.Body.Close()
					var got struct {
						CouponUseRule map[string]json.RawMessage `json:"coupon_use_rule"`
					}
					if err := json.NewDecoder(q.Response.Body).Decode(&got); err != nil {
						t.Fatal(err)
					}
					rules := map[string]map[string]int64{}
					for _, k := range []string{"fixed_normal_coupon", "discount_coupon", "exchange_coupon"} {
						if v, ok := got.CouponUseRule[k]; ok {
							var r map[string]int64
							if err := json.Unmarshal(v, &r); err != nil {
								t.Fatal(err)
							}
							rules[k] = r
						}
					}
					if diff := cmp.Diff(tt.want, rules); diff != "" {
						t.Errorf("stock rule objects mismatch (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}
