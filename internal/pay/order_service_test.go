package pay_test

import (
	"crypto/rsa"
	"regexp"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

var (
	prepayIDPattern = regexp.MustCompile(`^wx\d{14}[0-9a-f]{20}$`)
	codeURLPattern  = regexp.MustCompile(`^weixin://wxpay/bizpayurl\?pr=[0-9A-Za-z]{7}$`)
	h5URLPattern    = regexp.MustCompile(`^https://wx\.tenpay\.com/cgi-bin/mmpayweb-bin/checkmweb\?prepay_id=wx\d{14}[0-9a-f]{20}&package=\d{10}$`)
)

func mustPlace(tb testing.TB, svc *pay.Service, q pay.PlaceRequest) *pay.Order {
	tb.Helper()
	o, err := svc.Orders.Place(tb.Context(), q)
	if err != nil {
		tb.Fatalf("Place(%s) = %v, want nil", q.OutTradeNo, err)
	}
	return o
}

func mustPayOrder(tb testing.TB, svc *pay.Service, q pay.PayRequest) *pay.Order {
	tb.Helper()
	o, err := svc.Orders.Pay(tb.Context(), q)
	if err != nil {
		tb.Fatalf("Pay(%+v) = %v, want nil", q, err)
	}
	return o
}

func TestOrders_Place(t *testing.T) {
	ctx := t.Context()
	t.Run("NATIVE", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPlace(t, svc, directPlace())
		if o.TradeState != pay.TradeNotPay || !prepayIDPattern.MatchString(o.PrepayID) || !codeURLPattern.MatchString(o.CodeURL) || o.H5URL != "" {
			t.Errorf("Place = state %s, prepay_id %q, code_url %q, h5_url %q; want NOTPAY with a prepay_id and code_url",
				o.TradeState, o.PrepayID, o.CodeURL, o.H5URL)
		}
		if want := now0.Add(pay.DefaultExpiry); !o.TimeExpire.Equal(want) {
			t.Errorf("TimeExpire = %v, want %v (the default validity)", o.TimeExpire, want)
		}
		// The same content again is the same order; other content is refused.
		again := mustPlace(t, svc, directPlace())
		if again.ID != o.ID || again.PrepayID != o.PrepayID {
			t.Errorf("Place again = %s/%s, want %s/%s", again.ID, again.PrepayID, o.ID, o.PrepayID)
		}
		other := directPlace()
		other.Total = 101
		_, err := svc.Orders.Place(ctx, other)
		wantError(t, "Place(other content)", err, pay.CodeOutTradeNoUsed, "")
	})
	t.Run("MWEB", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		q := directPlace()
		q.TradeType, q.PayerClientIP, q.H5Type = pay.TradeH5, "203.0.113.7", "Wap"
		o := mustPlace(t, svc, q)
		if !h5URLPattern.MatchString(o.H5URL) || o.CodeURL != "" || !regexp.MustCompile(o.PrepayID).MatchString(o.H5URL) {
			t.Errorf("Place(MWEB) h5_url = %q, code_url = %q; want an h5_url naming prepay_id %s", o.H5URL, o.CodeURL, o.PrepayID)
		}
	})
	t.Run("Partner", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPlace(t, svc, partnerPlace())
		if o.Mchid != subMchid || o.SpMchid != partnerMchid || o.Appid != partnerAppid || o.SubAppid != subAppid {
			t.Errorf("Place(partner) = mchid %s sp %s appid %s sub_appid %s", o.Mchid, o.SpMchid, o.Appid, o.SubAppid)
		}
	})
	errs := []struct {
		name string
		q    func() pay.PlaceRequest
		code string
	}{
		{"unknown caller", func() pay.PlaceRequest { q := directPlace(); q.Caller, q.Mchid = "1900009999", "1900009999"; return q }, pay.CodeMchNotExists},
		{"appid of another merchant", func() pay.PlaceRequest { q := directPlace(); q.Appid = partnerAppid; return q }, pay.CodeAppidMchidNotMatch},
		{"mchid not the signer", func() pay.PlaceRequest { q := directPlace(); q.Mchid = subMchid; return q }, pay.CodeInvalidRequest},
		{"partner on the direct API", func() pay.PlaceRequest {
			q := directPlace()
			q.Caller, q.Mchid, q.Appid = partnerMchid, partnerMchid, partnerAppid
			return q
		}, pay.CodeNoAuth},
		{"direct merchant on the partner API", func() pay.PlaceRequest {
			q := partnerPlace()
			q.Caller, q.SpMchid = directMchid, directMchid
			return q
		}, pay.CodeNoAuth},
		{"another partner's sub-merchant", func() pay.PlaceRequest { q := partnerPlace(); q.SubMchid = otherSubMchid; return q }, pay.CodeNoAuth},
		{"unknown sub-merchant", func() pay.PlaceRequest { q := partnerPlace(); q.SubMchid = "1900009999"; return q }, pay.CodeMchNotExists},
		{"sp_appid not the partner's", func() pay.PlaceRequest { q := partnerPlace(); q.SpAppid = subAppid; return q }, pay.CodeAppidMchidNotMatch},
		{"sub_appid not the sub-merchant's", func() pay.PlaceRequest { q := partnerPlace(); q.SubAppid = partnerAppid; return q }, pay.CodeAppidMchidNotMatch},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newService(t, pay.Simulated{}).Orders.Place(ctx, tt.q())
			wantError(t, "Place", err, tt.code, "")
		})
	}
}

// Ensure an order is found by its merchant only, and by transaction_id only once paid.
func TestOrders_Query(t *testing.T) {
	ctx := t.Context()
	svc := newService(t, pay.Simulated{})
	o := mustPlace(t, svc, partnerPlace())
	if got, err := svc.Orders.QueryByOutTradeNo(ctx, partnerMchid, subMchid, o.OutTradeNo); err != nil || got.ID != o.ID {
		t.Errorf("QueryByOutTradeNo = %v, %v; want %s", got, err, o.ID)
	}
	_, err := svc.Orders.QueryByID(ctx, partnerMchid, subMchid, o.ID)
	wantError(t, "QueryByID(unpaid)", err, pay.CodeOrderNotExist, "")
	_, err = svc.Orders.QueryByOutTradeNo(ctx, subMchid, "", o.OutTradeNo)
	wantError(t, "QueryByOutTradeNo(the sub-merchant itself)", err, pay.CodeOrderNotExist, "")
	_, err = svc.Orders.QueryByOutTradeNo(ctx, otherPartner, otherSubMchid, o.OutTradeNo)
	wantError(t, "QueryByOutTradeNo(another partner)", err, pay.CodeOrderNotExist, "")

	mustPayOrder(t, svc, pay.PayRequest{PrepayID: o.PrepayID})
	got, err := svc.Orders.QueryByID(ctx, partnerMchid, subMchid, o.ID)
	if err != nil || got.TradeState != pay.TradeSuccess {
		t.Errorf("QueryByID(paid) = %v, %v; want SUCCESS", got, err)
	}
}

func TestOrders_Close(t *testing.T) {
	ctx := t.Context()
	svc := newService(t, pay.Simulated{})
	o := mustPlace(t, svc, directPlace())
	for range 2 { // closing a closed order again succeeds
		if err := svc.Orders.Close(ctx, directMchid, "", o.OutTradeNo); err != nil {
			t.Fatalf("Close = %v, want nil", err)
		}
	}
	if got, _ := svc.Orders.QueryByOutTradeNo(ctx, directMchid, "", o.OutTradeNo); got.TradeState != pay.TradeClosed {
		t.Errorf("state after Close = %s, want CLOSED", got.TradeState)
	}
	_, err := svc.Orders.Place(ctx, directPlace())
	wantError(t, "Place(closed order again)", err, pay.CodeOrderClosed, "")
	_, err = svc.Orders.Pay(ctx, pay.PayRequest{CodeURL: o.CodeURL})
	if e := wantError(t, "Pay(closed)", err, pay.CodeInvalidState, ""); e.Reason != pay.ReasonOrderClosed {
		t.Errorf("Pay(closed) reason = %q, want %q", e.Reason, pay.ReasonOrderClosed)
	}

	err = svc.Orders.Close(ctx, directMchid, "", "no-such-order")
	wantError(t, "Close(unknown)", err, pay.CodeOrderNotExist, "")
	paid := mustPay(t, svc, directMchid, 100)
	err = svc.Orders.Close(ctx, directMchid, "", paid.OutTradeNo)
	if e := wantError(t, "Close(paid)", err, pay.CodeTradeError, ""); e.Reason != pay.ReasonOrderPaid {
		t.Errorf("Close(paid) reason = %q, want %q", e.Reason, pay.ReasonOrderPaid)
	}
}

// Ensure paying settles the order and owes TRANSACTION.SUCCESS to its notify_url, encrypted
// for the partner that placed it; and that an order is paid once, and only while payable.
func TestOrders_Pay(t *testing.T) {
	ctx := t.Context()
	svc := newService(t, pay.Simulated{})
	o := mustPlace(t, svc, partnerPlace())
	failed := mustPayOrder(t, svc, pay.PayRequest{PrepayID: o.PrepayID, Outcome: pay.TradePayError})
	if failed.TradeState != pay.TradePayError {
		t.Errorf("Pay(PAYERROR) state = %s", failed.TradeState)
	}
	paid := mustPayOrder(t, svc, pay.PayRequest{Mchid: subMchid, OutTradeNo: o.OutTradeNo, BankType: "CMB_CREDIT",
		Promotions: []pay.Promotion{{PromotionID: "1", Scope: "GLOBAL", Type: "DISCOUNT", Amount: 10}}})
	if paid.TradeState != pay.TradeSuccess || !paid.SuccessTime.Equal(now0) || paid.PayerTotal != 90 || paid.BankType != "CMB_CREDIT" {
		t.Errorf("Pay = state %s, success_time %v, payer_total %d, bank_type %s", paid.TradeState, paid.SuccessTime, paid.PayerTotal, paid.BankType)
	}
	ns, err := svc.Notifications.Claim(ctx, 10, time.Minute)
	if err != nil || len(ns) != 1 {
		t.Fatalf("Claim = %d notifications, %v; want the payment's", len(ns), err)
	}
	if n := ns[0]; n.OrderID != o.ID || n.Mchid != partnerMchid || n.EventType != "TRANSACTION.SUCCESS" ||
		n.URL != o.NotifyURL || n.Order == nil || n.Order.PayerTotal != 90 || n.Order.SubOpenid != o.SubOpenid {
		t.Errorf("notification = %+v, order %+v", n, n.Order)
	}
	_, err = svc.Orders.Pay(ctx, pay.PayRequest{PrepayID: o.PrepayID})
	if e := wantError(t, "Pay(paid)", err, pay.CodeInvalidState, ""); e.Reason != pay.ReasonOrderPaid {
		t.Errorf("Pay(paid) reason = %q", e.Reason)
	}

	expiring := mustPlace(t, svc, directPlace())
	mustAdvance(t, svc, pay.DefaultExpiry+time.Second)
	_, err = svc.Orders.Pay(ctx, pay.PayRequest{CodeURL: expiring.CodeURL})
	if e := wantError(t, "Pay(expired)", err, pay.CodeInvalidState, ""); e.Reason != pay.ReasonOrderExpired {
		t.Errorf("Pay(expired) reason = %q", e.Reason)
	}
	if got, _ := svc.Orders.QueryByOutTradeNo(ctx, directMchid, "", expiring.OutTradeNo); got.TradeState != pay.TradeNotPay {
		t.Errorf("expired order state = %s, want NOTPAY until closed", got.TradeState)
	}

	for name, q := range map[string]pay.PayRequest{
		"no name":              {},
		"two names":            {PrepayID: o.PrepayID, CodeURL: expiring.CodeURL},
		"out_trade_no alone":   {OutTradeNo: o.OutTradeNo},
		"unknown outcome":      {PrepayID: o.PrepayID, Outcome: pay.TradeRevoked},
		"another payer":        {PrepayID: mustPlace(t, svc, partnerPlace2()).PrepayID, Openid: "o-someone-else"},
		"promotions too large": {CodeURL: mustPlace(t, svc, directPlace2()).CodeURL, Promotions: []pay.Promotion{{PromotionID: "1", Scope: "GLOBAL", Type: "COUPON", Amount: 100}}},
	} {
		_, err := svc.Orders.Pay(ctx, q)
		wantError(t, "Pay("+name+")", err, pay.CodeParamError, "")
	}
	_, err = svc.Orders.Pay(ctx, pay.PayRequest{PrepayID: "wx0"})
	wantError(t, "Pay(unknown prepay_id)", err, pay.CodeOrderNotExist, "")
}

func partnerPlace2() pay.PlaceRequest {
	q := partnerPlace()
	q.OutTradeNo = "partner-order-2"
	return q
}
func directPlace2() pay.PlaceRequest { q := directPlace(); q.OutTradeNo = "direct-order-2"; return q }

// Ensure a paySign is checked against the merchant's API certificate and this order.
func TestOrders_PaySign(t *testing.T) {
	ctx := t.Context()
	key, err := wxcrypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	_, certPEM, err := wxcrypto.SelfSign(key, "1900000301", "tuikuan", now0, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := mustOpenStore(t)
	storetest.Merchants(t, s, &pay.Merchant{Mchid: "1900000301", Kind: pay.KindDirect, Appid: "wx4444444444444444", CertPEM: string(certPEM), CreateTime: now0})
	svc := pay.NewService(s, pay.Simulated{}, pay.NewClock(func() time.Time { return now0 }))
	q := directPlace()
	q.Caller, q.Mchid, q.Appid, q.TradeType, q.PayerOpenid = "1900000301", "1900000301", "wx4444444444444444", pay.TradeJSAPI, "o1"
	o := mustPlace(t, svc, q)

	sign := func(k *rsa.PrivateKey, p pay.PaySign) *pay.PaySign {
		v, err := wxcrypto.Sign(k, p.AppID+"\n"+p.TimeStamp+"\n"+p.NonceStr+"\n"+p.Package+"\n")
		if err != nil {
			t.Fatal(err)
		}
		p.PaySign = v
		return &p
	}
	good := pay.PaySign{AppID: o.Appid, TimeStamp: "1414561699", NonceStr: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", Package: "prepay_id=" + o.PrepayID, SignType: "RSA"}
	otherKey, _ := wxcrypto.NewKey()
	otherOrder, otherApp := good, good
	otherOrder.Package, otherApp.AppID = "prepay_id=wx0", "wx1111111111111111"
	for name, tt := range map[string]struct {
		p    *pay.PaySign
		code string
	}{
		"other key":   {sign(otherKey, good), pay.CodeSignError},
		"other order": {sign(key, otherOrder), pay.CodeParamError},
		"other app":   {sign(key, otherApp), pay.CodeParamError},
	} {
		_, err := svc.Orders.Pay(ctx, pay.PayRequest{PrepayID: o.PrepayID, PaySign: tt.p})
		wantError(t, "Pay("+name+")", err, tt.code, "")
	}
	mustPayOrder(t, svc, pay.PayRequest{PrepayID: o.PrepayID, PaySign: sign(key, good)})
}

// Ensure an unpaid order can be neither refunded nor complained about, and a refund's
// success turns a paid order to REFUND.
func TestOrders_Interplay(t *testing.T) {
	ctx := t.Context()
	svc := newService(t, pay.Simulated{})
	o := mustPlace(t, svc, directPlace())
	_, err := svc.Refunds.Apply(ctx, refundOf(o, "refund-1", 10))
	wantError(t, "Apply(unpaid)", err, pay.CodeResourceNotExists, "")
	_, err = svc.Complaints.Create(ctx, pay.ComplaintRequest{TransactionID: o.ID, ProblemType: "REFUND", Detail: "x"})
	wantError(t, "Complaints.Create(unpaid)", err, pay.CodeInvalidState, "")

	mustPayOrder(t, svc, pay.PayRequest{CodeURL: o.CodeURL})
	r := mustApply(t, svc, refundOf(o, "refund-1", 10))
	if _, err := svc.Refunds.Settle(ctx, r.ID, pay.StatusSuccess); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	if got, _ := svc.Orders.QueryByOutTradeNo(ctx, directMchid, "", o.OutTradeNo); got.TradeState != pay.TradeRefund {
		t.Errorf("state after a refund's success = %s, want REFUND", got.TradeState)
	}
}
