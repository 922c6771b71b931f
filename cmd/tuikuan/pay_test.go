package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/app"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/h5"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
)

const payer = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" // an openid of the direct merchant's appid

// sandboxError is the sandbox's JSON error envelope.
type sandboxError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// payAs pays an order through POST /sandbox/v1/payments as the payer; it returns the
// status and the answer: the order as the query API shows it, or an error envelope.
func (s *testServer) payAs(t testing.TB, body map[string]any) (int, payments.Transaction, sandboxError) {
	t.Helper()
	var raw json.RawMessage
	st := s.sandbox(t, "POST", "/sandbox/v1/payments", body, &raw)
	var tx payments.Transaction
	var e sandboxError
	if st == http.StatusOK {
		err := json.Unmarshal(raw, &tx)
		if err != nil {
			t.Fatalf("pay %v: decode %s: %v", body, raw, err)
		}
	} else if err := json.Unmarshal(raw, &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("pay %v: %d %s, want the error envelope", body, st, raw)
	}
	return st, tx, e
}

// direct places orders of a direct merchant with the official SDK's four pay services.
type direct struct {
	m         identity.MerchantCredential
	c         *core.Client
	notifyURL string
}

// placed returns what placing an order answered, failing t if it failed; it takes a pay
// service's Prepay results whole.
func placed[R any](t *testing.T) func(R, *core.APIResult, error) R {
	return func(resp R, _ *core.APIResult, err error) R {
		t.Helper()
		if err != nil {
			t.Fatalf("prepay: %v", err)
		}
		return resp
	}
}

func (d direct) jsapi(t *testing.T, no string, total int64) string {
	return *placed[*jsapi.PrepayResponse](t)((&jsapi.JsapiApiService{Client: d.c}).Prepay(context.Background(), jsapi.PrepayRequest{
		Appid: core.String(d.m.Appid), Mchid: core.String(d.m.Mchid), Description: core.String("推宽-JSAPI"),
		OutTradeNo: core.String(no), Attach: core.String("a=1"), NotifyUrl: core.String(d.notifyURL),
		Amount: &jsapi.Amount{Total: core.Int64(total)}, Payer: &jsapi.Payer{Openid: core.String(payer)},
	})).PrepayId
}

func (d direct) native(t *testing.T, no string, total int64, expire *time.Time) string {
	return *placed[*native.PrepayResponse](t)((&native.NativeApiService{Client: d.c}).Prepay(context.Background(), native.PrepayRequest{
		Appid: core.String(d.m.Appid), Mchid: core.String(d.m.Mchid), Description: core.String("推宽-NATIVE"),
		OutTradeNo: core.String(no), NotifyUrl: core.String(d.notifyURL), TimeExpire: expire,
		Amount: &native.Amount{Total: core.Int64(total)},
	})).CodeUrl
}

func (d direct) h5(t *testing.T, no string, total int64) string {
	return *placed[*h5.PrepayResponse](t)((&h5.H5ApiService{Client: d.c}).Prepay(context.Background(), h5.PrepayRequest{
		Appid: core.String(d.m.Appid), Mchid: core.String(d.m.Mchid), Description: core.String("推宽-H5"),
		OutTradeNo: core.String(no), NotifyUrl: core.String(d.notifyURL), Amount: &h5.Amount{Total: core.Int64(total)},
		SceneInfo: &h5.SceneInfo{PayerClientIp: core.String("127.0.0.1"), H5Info: &h5.H5Info{Type: core.String("Wap")}},
	})).H5Url
}

func (d direct) app(t *testing.T, no string, total int64) string {
	return *placed[*app.PrepayResponse](t)((&app.AppApiService{Client: d.c}).Prepay(context.Background(), app.PrepayRequest{
		Appid: core.String(d.m.Appid), Mchid: core.String(d.m.Mchid), Description: core.String("推宽-APP"),
		OutTradeNo: core.String(no), NotifyUrl: core.String(d.notifyURL), Amount: &app.Amount{Total: core.Int64(total)},
	})).PrepayId
}

// query is the order by out_trade_no, through the SDK's query API.
func (d direct) query(t *testing.T, no string) payments.Transaction {
	t.Helper()
	tx, _, err := (&jsapi.JsapiApiService{Client: d.c}).QueryOrderByOutTradeNo(context.Background(),
		jsapi.QueryOrderByOutTradeNoRequest{OutTradeNo: core.String(no), Mchid: core.String(d.m.Mchid)})
	if err != nil {
		t.Fatalf("query %s: %v", no, err)
	}
	return *tx
}

// paidTransaction is the payment notification d carries, decrypted by the SDK's
// notify.Handler.
func paidTransaction(t *testing.T, d delivery, into any) {
	t.Helper()
	r := d.req
	if r.EventType != "TRANSACTION.SUCCESS" || r.ResourceType != "encrypt-resource" || r.Resource.OriginalType != "transaction" {
		t.Errorf("envelope = event %q resource_type %q original_type %q, want TRANSACTION.SUCCESS of a transaction", r.EventType, r.ResourceType, r.Resource.OriginalType)
	}
	if err := json.Unmarshal([]byte(r.Resource.Plaintext), into); err != nil {
		t.Fatalf("decrypted resource %s: %v", r.Resource.Plaintext, err)
	}
}

// Ensure an order placed each way — JSAPI, NATIVE, H5, APP — is NOTPAY until its payer pays
// it through the sandbox, named as that way's payer names it, and stays payable after a
// PAYERROR attempt; that the merchant then gets
// TRANSACTION.SUCCESS, which the official SDK verifies and decrypts; and that the paid order
// refunds and queries as REFUND.
func TestPay_EveryWay(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, m))
	d := direct{m: m, c: s.wechatpayClient(t, m), notifyURL: ep.URL}
	tests := []struct {
		tradeType string
		place     func(t *testing.T, no string) map[string]any
	}{
		{"JSAPI", func(t *testing.T, no string) map[string]any { return map[string]any{"prepay_id": d.jsapi(t, no, 1000)} }},
		{"NATIVE", func(t *testing.T, no string) map[string]any {
			return map[string]any{"code_url": d.native(t, no, 1000, nil), "openid": payer}
		}},
		{"MWEB", func(t *testing.T, no string) map[string]any {
			return map[string]any{"h5_url": d.h5(t, no, 1000), "openid": payer}
		}},
		{"APP", func(t *testing.T, no string) map[string]any {
			d.app(t, no, 1000)
			return map[string]any{"mchid": m.Mchid, "out_trade_no": no, "openid": payer, "bank_type": "CMB_CREDIT",
				"promotions": []any{map[string]any{"promotion_id": "109519", "scope": "GLOBAL", "type": "COUPON", "amount": 200}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.tradeType, func(t *testing.T) {
			no := uniq("P" + tt.tradeType)
			body := tt.place(t, no)
			if q := d.query(t, no); *q.TradeState != "NOTPAY" || q.TransactionId != nil {
				t.Fatalf("placed order = %s, want NOTPAY without a transaction_id", q)
			}
			// A failed attempt first: the order stays payable and nobody is notified.
			failed := maps.Clone(body)
			failed["outcome"] = "PAYERROR"
			if st, got, e := s.payAs(t, failed); st != http.StatusOK || *got.TradeState != "PAYERROR" {
				t.Fatalf("pay with outcome PAYERROR = %d %+v %s", st, e, got)
			}
			st, paid, e := s.payAs(t, body)
			if st != http.StatusOK || *paid.TradeState != "SUCCESS" || *paid.OutTradeNo != no {
				t.Fatalf("pay %v = %d %+v %s", body, st, e, paid)
			}

			var tx payments.Transaction
			paidTransaction(t, ep.next(t, 3*time.Second), &tx)
			wantBank := "OTHERS"
			if bt, ok := body["bank_type"].(string); ok {
				wantBank = bt
			}
			if *tx.Mchid != m.Mchid || *tx.Appid != m.Appid || *tx.OutTradeNo != no || *tx.TransactionId != *paid.TransactionId ||
				*tx.TradeType != tt.tradeType || *tx.TradeState != "SUCCESS" || *tx.Payer.Openid != payer || *tx.BankType != wantBank {
				t.Errorf("notified transaction = %s", tx)
			}
			wantPayer := int64(1000)
			if body["promotions"] != nil {
				wantPayer = 800
				if len(tx.PromotionDetail) != 1 || *tx.PromotionDetail[0].Amount != 200 {
					t.Errorf("promotion_detail = %v, want the 200-fen coupon", tx.PromotionDetail)
				}
			}
			if *tx.Amount.Total != 1000 || *tx.Amount.PayerTotal != wantPayer || *tx.Amount.Currency != "CNY" || *tx.Amount.PayerCurrency != "CNY" {
				t.Errorf("notified amount = %s", tx.Amount)
			}
			if tx.SuccessTime == nil {
				t.Error("notified transaction has no success_time")
			} else {
				mustTime(t, "success_time", *tx.SuccessTime)
			}
			if tt.tradeType == "JSAPI" && (tx.Attach == nil || *tx.Attach != "a=1") {
				t.Errorf("attach = %v, want the order's a=1", tx.Attach)
			}
			if q := d.query(t, no); q.String() != paid.String() {
				t.Errorf("query after paying = %s\nthe payment answered %s", q, paid)
			}

			r, _, err := (&refunddomestic.RefundsApiService{Client: d.c}).Create(context.Background(), refunddomestic.CreateRequest{
				OutTradeNo: core.String(no), OutRefundNo: core.String(uniq("R")),
				Amount: &refunddomestic.AmountReq{Refund: core.Int64(1000), Total: core.Int64(1000), Currency: core.String("CNY")},
			})
			if err != nil {
				t.Fatalf("refund: %v", err)
			}
			s.settleTo(t, *r.RefundId, "SUCCESS")
			if q := d.query(t, no); *q.TradeState != "REFUND" {
				t.Errorf("trade_state after a settled full refund = %s, want REFUND", *q.TradeState)
			}
		})
	}
}

// Ensure the payer cannot pay an order the merchant closed, one past its time_expire on
// the sandbox clock, or one already paid, and is told why.
func TestPay_Refused(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	d := direct{m: m, c: s.wechatpayClient(t, m), notifyURL: "http://127.0.0.1:1/notify"}
	ctx := context.Background()

	closedNo := uniq("C")
	closedURL := d.native(t, closedNo, 100, nil)
	res, err := (&native.NativeApiService{Client: d.c}).CloseOrder(ctx, native.CloseOrderRequest{OutTradeNo: core.String(closedNo), Mchid: core.String(m.Mchid)})
	if err != nil || res.Response.StatusCode != http.StatusNoContent {
		t.Fatalf("close = %v, %v; want 204", res, err)
	}

	expireNo := uniq("E")
	expire := time.Now().Add(10 * time.Minute)
	expireURL := d.native(t, expireNo, 100, &expire)
	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]any{"advance_seconds": 11 * 60}, nil); st != http.StatusOK {
		t.Fatalf("advance the clock: %d", st)
	}

	paidNo := uniq("D")
	paidURL := d.native(t, paidNo, 100, nil)
	if st, _, e := s.payAs(t, map[string]any{"code_url": paidURL}); st != http.StatusOK {
		t.Fatalf("first payment: %d %+v", st, e)
	}

	tests := []struct {
		name, codeURL, no, state, why string
	}{
		{"Closed", closedURL, closedNo, "CLOSED", "已关闭"},
		{"Expired", expireURL, expireNo, "NOTPAY", "过期"},
		{"Paid", paidURL, paidNo, "SUCCESS", "已支付"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, e := s.payAs(t, map[string]any{"code_url": tt.codeURL})
			if st != http.StatusConflict || e.Code != "INVALID_STATE" || !strings.Contains(e.Message, tt.why) {
				t.Errorf("pay = %d %+v, want 409 INVALID_STATE saying %s", st, e, tt.why)
			}
			if q := d.query(t, tt.no); *q.TradeState != tt.state {
				t.Errorf("trade_state after the refused payment = %s, want %s", *q.TradeState, tt.state)
			}
		})
	}
}

// Ensure the payer pays with what wechatpay-go's PrepayWithRequestPayment hands the front
// end — JSAPI's paySign and APP's sign, checked against the merchant's certificate — and
// that a tampered signature is refused and leaves the order unpaid.
func TestPay_RequestPayment(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	d := direct{m: m, c: s.wechatpayClient(t, m), notifyURL: "http://127.0.0.1:1/notify"}
	ctx := context.Background()
	tests := []struct {
		name    string
		signKey string
		place   func(no string) any
	}{
		{"JSAPI", "paySign", func(no string) any {
			resp, _, err := (&jsapi.JsapiApiService{Client: d.c}).PrepayWithRequestPayment(ctx, jsapi.PrepayRequest{
				Appid: core.String(m.Appid), Mchid: core.String(m.Mchid), Description: core.String("推宽"), OutTradeNo: core.String(no),
				NotifyUrl: core.String(d.notifyURL), Amount: &jsapi.Amount{Total: core.Int64(100)}, Payer: &jsapi.Payer{Openid: core.String(payer)},
			})
			if err != nil {
				t.Fatalf("jsapi PrepayWithRequestPayment: %v", err)
			}
			return resp
		}},
		{"APP", "sign", func(no string) any {
			resp, _, err := (&app.AppApiService{Client: d.c}).PrepayWithRequestPayment(ctx, app.PrepayRequest{
				Appid: core.String(m.Appid), Mchid: core.String(m.Mchid), Description: core.String("推宽"), OutTradeNo: core.String(no),
				NotifyUrl: core.String(d.notifyURL), Amount: &app.Amount{Total: core.Int64(100)},
			})
			if err != nil {
				t.Fatalf("app PrepayWithRequestPayment: %v", err)
			}
			return resp
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			no := uniq("S" + tt.name)
			var sign map[string]any
			data, _ := json.Marshal(tt.place(no))
			if err := json.Unmarshal(data, &sign); err != nil {
				t.Fatal(err)
			}
			good := sign[tt.signKey].(string)
			sign[tt.signKey] = strings.ToUpper(good[:8]) + good[8:]
			if st, _, e := s.payAs(t, map[string]any{"pay_sign": sign}); st == http.StatusOK || e.Code != "SIGN_ERROR" {
				t.Errorf("tampered %s: %d %+v, want SIGN_ERROR", tt.signKey, st, e)
			}
			if q := d.query(t, no); *q.TradeState != "NOTPAY" {
				t.Errorf("trade_state after a tampered signature = %s, want NOTPAY", *q.TradeState)
			}
			sign[tt.signKey] = good
			if st, paid, e := s.payAs(t, map[string]any{"pay_sign": sign, "openid": payer}); st != http.StatusOK || *paid.TradeState != "SUCCESS" {
				t.Errorf("pay with the SDK's %s = %d %+v %s", tt.signKey, st, e, paid)
			}
		})
	}
}

// Ensure placing the same out_trade_no again with the same content answers the same
// prepay_id, and with other content is refused with OUT_TRADE_NO_USED (下单, 错误码:
// https://pay.weixin.qq.com/doc/v3/merchant/4012791897).
func TestPay_PlaceTwice(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	d := direct{m: m, c: s.wechatpayClient(t, m), notifyURL: "http://127.0.0.1:1/notify"}
	no := uniq("T")
	first := d.jsapi(t, no, 100)
	if again := d.jsapi(t, no, 100); again != first {
		t.Errorf("same order placed again: prepay_id %s, want %s", again, first)
	}
	_, _, err := (&jsapi.JsapiApiService{Client: d.c}).Prepay(context.Background(), jsapi.PrepayRequest{
		Appid: core.String(m.Appid), Mchid: core.String(m.Mchid), Description: core.String("推宽-JSAPI"),
		OutTradeNo: core.String(no), Attach: core.String("a=1"), NotifyUrl: core.String(d.notifyURL),
		Amount: &jsapi.Amount{Total: core.Int64(200)}, Payer: &jsapi.Payer{Openid: core.String(payer)},
	})
	if ae := apiError(t, err); ae.StatusCode/100 != 4 || ae.Code != "OUT_TRADE_NO_USED" {
		t.Errorf("same out_trade_no, other total: %d %s %s", ae.StatusCode, ae.Code, ae.Message)
	}
}

// Ensure `tuikuan pay` pays a placed order and prints it.
func TestCLI_Pay(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	d := direct{m: m, c: s.wechatpayClient(t, m), notifyURL: "http://127.0.0.1:1/notify"}
	no := uniq("L")
	out, err := runCLI(t, "pay", "--data", s.dir, "--code-url", d.native(t, no, 100, nil), "--openid", payer, "--bank-type", "CMB_CREDIT")
	var tx payments.Transaction
	if err != nil || json.Unmarshal([]byte(out), &tx) != nil || *tx.TradeState != "SUCCESS" || *tx.BankType != "CMB_CREDIT" || *tx.OutTradeNo != no {
		t.Fatalf("pay printed %s (%v)", out, err)
	}
	if _, err := runCLI(t, "pay", "--data", s.dir, "--mchid", m.Mchid, "--out-trade-no", no); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("paying it again: err = %v, want a 409", err)
	}
}
