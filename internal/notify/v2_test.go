package notify_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/wechat"
	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/golden"
	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// The v2 merchants: a direct one, and a partner acting for its sub-merchant.
const (
	v2Mchid     = "1900000109"
	v2Appid     = "wx2421b1c4370ec43b"
	v2Key       = "192006250b4c09247ec02edce69f6a2d"
	spMchid     = "1900000200"
	spAppid     = "wx8888888888888888"
	spKey       = "8934e7d15453e97507ef794cf7b0519d"
	subMchid    = "1900000201"
	subAppid    = "wx9999999999999999"
	subKey      = "2ab9071b06b9f739b950ddb41db2690d"
	successBody = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
	failBody    = "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[参数格式校验错误]]></return_msg></xml>"
)

// newV2Fixture returns a service over a fresh SQLite store with the v2 merchants, each
// with its APIv2 key. v2 notifications need no platform identity.
func newV2Fixture(t *testing.T) *fixture {
	t.Helper()
	store := storetest.NewSQLite(t)
	storetest.Merchants(t, store,
		&pay.Merchant{Mchid: v2Mchid, Kind: pay.KindDirect, Appid: v2Appid, APIv3Key: apiv3Key, APIv2Key: v2Key},
		&pay.Merchant{Mchid: spMchid, Kind: pay.KindPartner, Appid: spAppid, APIv3Key: apiv3Key, APIv2Key: spKey},
		&pay.Merchant{Mchid: subMchid, Kind: pay.KindSub, SpMchid: spMchid, Appid: subAppid, APIv3Key: apiv3Key, APIv2Key: subKey},
	)
	return &fixture{svc: pay.NewService(store, pay.Simulated{}, pay.NewClock(nil))}
}

// oweV2 makes a v2 refund of 500 fen of orderMchid's 1000-fen card payment, 100 of which
// a no-pre-funding (DISCOUNT) promotion paid, and settles it to status, which owes a v2
// notification to q.NotifyURL. q names the caller and, for a partner, the sub-merchant.
func (f *fixture) oweV2(t *testing.T, orderMchid string, q pay.ApplyRequest, to pay.Status) (*pay.Order, *pay.Refund) {
	t.Helper()
	ctx := t.Context()
	n := fmt.Sprintf("%06d", seq.Add(1))
	tr, err := f.svc.Orders.Create(ctx, pay.OrderRequest{
		Mchid: orderMchid, OutTradeNo: "V2T" + n, Total: 1000, BankType: "CMB_DEBIT",
		Promotions: []pay.Promotion{{PromotionID: "900001", Scope: "GLOBAL", Type: "DISCOUNT", Amount: 100}},
	})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	q.API, q.TransactionID, q.OutRefundNo, q.Refund, q.Total = pay.APIV2, tr.ID, "V2R"+n, 500, 1000
	r, err := f.svc.Refunds.Apply(ctx, q)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if r, err = f.svc.Refunds.Settle(ctx, r.ID, to); err != nil {
		t.Fatalf("Settle(%s): %v", to, err)
	}
	return tr, r
}

// received is one v2 delivery as the merchant's endpoint saw it.
type received struct {
	header http.Header
	body   []byte
	bm     gopay.BodyMap // the envelope as go-pay's ParseNotifyToBodyMap reads it
}

// newV2Endpoint is a merchant's v2 notify_url: it passes each delivery to the returned
// channel and answers 200 with the next of replies, the last one repeating.
func newV2Endpoint(t *testing.T, replies ...string) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 32)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read notification: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		bm, err := wechat.ParseNotifyToBodyMap(r)
		if err != nil {
			t.Errorf("wechat.ParseNotifyToBodyMap(%s): %v", body, err)
		}
		mu.Lock()
		reply := replies[0]
		if len(replies) > 1 {
			replies = replies[1:]
		}
		mu.Unlock()
		io.WriteString(w, reply)
		got <- received{header: r.Header, body: body, bm: bm}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// next returns the endpoint's next delivery.
func next(t *testing.T, got <-chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no notification arrived within 5s")
		return received{}
	}
}

// check verifies a v2 delivery the way a merchant using go-pay reads it: no signature
// headers, the envelope's clear fields, and req_info decrypted under apiKey.
func (r received) check(t *testing.T, apiKey string, wantEnvelope map[string]string, want *wechat.RefundNotify) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", ct)
	}
	for k := range r.header {
		if strings.HasPrefix(k, "Wechatpay-") {
			t.Errorf("header %s = %q, want no Wechatpay-* headers on a v2 notification", k, r.header.Get(k))
		}
	}
	if n := r.bm.GetString("nonce_str"); len(n) != 32 {
		t.Errorf("nonce_str = %q, want 32 characters", n)
	}
	env := map[string]string{}
	for k := range r.bm {
		if k != "nonce_str" && k != "req_info" {
			env[k] = r.bm.GetString(k)
		}
	}
	if diff := cmp.Diff(wantEnvelope, env); diff != "" {
		t.Errorf("envelope mismatch (-want +got):\n%s", diff)
	}
	got, err := wechat.DecryptRefundNotifyReqInfo(r.bm.GetString("req_info"), apiKey)
	if err != nil {
		t.Fatalf("wechat.DecryptRefundNotifyReqInfo: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("req_info mismatch (-want +got):\n%s", diff)
	}
}

// wantReqInfo is the req_info of a refund made by oweV2.
func wantReqInfo(tr *pay.Order, r *pay.Refund, status, account string) *wechat.RefundNotify {
	want := &wechat.RefundNotify{
		TransactionId: tr.ID, OutTradeNo: tr.OutTradeNo, RefundId: r.ID, OutRefundNo: r.OutRefundNo,
		TotalFee: "1000", SettlementTotalFee: "900", RefundFee: "500", SettlementRefundFee: "450",
		RefundStatus: status, RefundRecvAccout: r.UserReceivedAccount, RefundAccount: account,
		RefundRequestSource: "API",
	}
	if status == "SUCCESS" {
		want.SuccessTime = r.SuccessTime.In(pay.Beijing).Format("2006-01-02 15:04:05")
	}
	return want
}

// Ensure a v2 refund's notification reaches a direct merchant as go-pay reads it, in each
// notified status, and the documented answer delivers it.
func TestDeliverer_V2(t *testing.T) {
	tests := []struct {
		name         string
		to           pay.Status
		fundsAccount string
		wantStatus   string
		wantAccount  string
	}{
		{"Success", pay.StatusSuccess, "", "SUCCESS", "REFUND_SOURCE_UNSETTLED_FUNDS"},
		{"Closed", pay.StatusClosed, "AVAILABLE", "REFUNDCLOSE", "REFUND_SOURCE_RECHARGE_FUNDS"},
		{"Abnormal", pay.StatusAbnormal, "", "CHANGE", "REFUND_SOURCE_UNSETTLED_FUNDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newV2Fixture(t)
			srv, got := newV2Endpoint(t, successBody)
			tr, r := f.oweV2(t, v2Mchid, pay.ApplyRequest{Caller: v2Mchid, NotifyURL: srv.URL, FundsAccount: tt.fundsAccount}, tt.to)
			run(t, notify.New(notify.Config{Service: f.svc}))
			if !strings.HasPrefix(r.UserReceivedAccount, "招商银行") {
				t.Fatalf("user received account = %q, want the CMB card's", r.UserReceivedAccount)
			}

			next(t, got).check(t, v2Key, map[string]string{
				"return_code": "SUCCESS", "return_msg": "OK", "appid": v2Appid, "mch_id": v2Mchid,
			}, wantReqInfo(tr, r, tt.wantStatus, tt.wantAccount))
			n, as := f.wait(t, r.ID, func(n *pay.Notification) bool { return n.Status != pay.NotifyPending })
			if n.Status != pay.NotifyDelivered || len(as) != 1 || as[0].StatusCode != 200 || as[0].Error != "" {
				t.Errorf("after the documented answer: %s, attempts %+v; want DELIVERED, one 200 without error", n.Status, as)
			}
		})
	}
}

// Ensure a partner's v2 notification carries the sub-merchant's ids in clear and is
// encrypted under the partner's APIv2 key, not the sub-merchant's.
func TestDeliverer_V2Partner(t *testing.T) {
	f := newV2Fixture(t)
	srv, got := newV2Endpoint(t, successBody)
	tr, r := f.oweV2(t, subMchid, pay.ApplyRequest{Caller: spMchid, SubMchid: subMchid, SubAppid: subAppid, NotifyURL: srv.URL}, pay.StatusSuccess)
	run(t, notify.New(notify.Config{Service: f.svc}))

	d := next(t, got)
	d.check(t, spKey, map[string]string{
		"return_code": "SUCCESS", "return_msg": "OK", "appid": spAppid, "mch_id": spMchid,
		"sub_appid": subAppid, "sub_mch_id": subMchid,
	}, wantReqInfo(tr, r, "SUCCESS", "REFUND_SOURCE_UNSETTLED_FUNDS"))
	if rn, err := wechat.DecryptRefundNotifyReqInfo(d.bm.GetString("req_info"), subKey); err == nil && rn.RefundId != "" {
		t.Errorf("req_info decrypts under the sub-merchant's key to %+v, want only the partner's", rn)
	}
	f.wait(t, r.ID, func(n *pay.Notification) bool { return n.Status == pay.NotifyDelivered })
}

// masked hides what changes from run to run in a v2 body: the nonce, the ciphertext, and
// the ids and times inside req_info.
var masked = regexp.MustCompile(`<(nonce_str|req_info|transaction_id|out_trade_no|refund_id|out_refund_no|success_time|refund_recv_accout)><!\[CDATA\[[^\]]*\]\]>`)

// Ensure the exact v2 wire body, envelope and decrypted req_info, of each shape.
func TestDeliverer_V2Golden(t *testing.T) {
	tests := []struct {
		name       string
		orderMchid string
		q          pay.ApplyRequest
		key        string
	}{
		{"direct", v2Mchid, pay.ApplyRequest{Caller: v2Mchid}, v2Key},
		{"partner", subMchid, pay.ApplyRequest{Caller: spMchid, SubMchid: subMchid, SubAppid: subAppid}, spKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newV2Fixture(t)
			srv, got := newV2Endpoint(t, successBody)
			tt.q.NotifyURL = srv.URL
			f.oweV2(t, tt.orderMchid, tt.q, pay.StatusSuccess)
			run(t, notify.New(notify.Config{Service: f.svc}))

			d := next(t, got)
			raw, err := base64.StdEncoding.DecodeString(d.bm.GetString("req_info"))
			if err != nil {
				t.Fatalf("req_info is not base64: %v", err)
			}
			plain, err := wxcrypto.DecryptECB(wxcrypto.V2NotifyKey(tt.key), raw)
			if err != nil {
				t.Fatalf("DecryptECB(req_info): %v", err)
			}
			out := masked.ReplaceAll(append(append(d.body, "\n\n"...), plain...), []byte("<$1><![CDATA[…]]>"))
			golden.Check(t, "v2_"+tt.name, append(out, '\n'))
		})
	}
}

// Ensure only an answer with return_code SUCCESS delivers a v2 notification: a 2xx that
// says anything else, or nothing, is a failed attempt that says why.
func TestDeliverer_V2Answer(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string // "" when the answer delivers
	}{
		{"GoPayNotifyResponse", 200, (&wechat.NotifyResponse{ReturnCode: gopay.SUCCESS, ReturnMsg: gopay.OK}).ToXmlString(), ""},
		{"PlainText", 200, "<xml><return_code>SUCCESS</return_code></xml>", ""},
		{"Fail", 200, failBody, `answer return_code "FAIL", want SUCCESS`},
		{"NoReturnCode", 200, "<xml><return_msg>OK</return_msg></xml>", `answer return_code "", want SUCCESS`},
		{"NotXML", 200, "success", "answer is not the v2 XML reply: EOF"},
		{"Empty", 200, "", "answer is not the v2 XML reply: EOF"},
		{"V3Answer", 204, "", "answer is not the v2 XML reply: EOF"},
		{"ServerError", 500, successBody, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newV2Fixture(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			_, r := f.oweV2(t, v2Mchid, pay.ApplyRequest{Caller: v2Mchid, NotifyURL: srv.URL}, pay.StatusSuccess)
			n, _ := f.notification(t, r.ID)

			a, n, err := notify.New(notify.Config{Service: f.svc}).Resend(t.Context(), n.ID)
			if err != nil {
				t.Fatalf("Resend: %v", err)
			}
			delivered := tt.status/100 == 2 && tt.wantErr == ""
			if got := n.Status == pay.NotifyDelivered; got != delivered || a.StatusCode != tt.status || a.Error != tt.wantErr {
				t.Errorf("answer %d %q: status %s, attempt %d %q; want delivered %v, %d %q",
					tt.status, tt.body, n.Status, a.StatusCode, a.Error, delivered, tt.status, tt.wantErr)
			}
		})
	}
}

// Ensure a merchant that answers FAIL is retried on v2's schedule, all 15 retries,
// and then given up on, every attempt saying why.
func TestDeliverer_V2Schedule(t *testing.T) {
	const scale = 0.00001 // v2's 24h4m of retries in 870ms
	f := newV2Fixture(t)
	srv, _ := newV2Endpoint(t, failBody)
	_, r := f.oweV2(t, v2Mchid, pay.ApplyRequest{Caller: v2Mchid, NotifyURL: srv.URL}, pay.StatusSuccess)
	run(t, notify.New(notify.Config{Service: f.svc, Scale: scale}))

	_, as := f.wait(t, r.ID, func(n *pay.Notification) bool { return n.Status == pay.NotifyFailed })
	if len(as) != len(pay.RetryScheduleV2)+1 {
		t.Fatalf("FAILED after %d attempts, want %d: one and v2's %d retries", len(as), len(pay.RetryScheduleV2)+1, len(pay.RetryScheduleV2))
	}
	for i, a := range as {
		if a.StatusCode != 200 || a.Error != `answer return_code "FAIL", want SUCCESS` || !strings.Contains(a.Response, "参数格式校验错误") {
			t.Errorf("attempt %d = %d %q %q, want 200, the FAIL reason, the answer", a.Number, a.StatusCode, a.Error, a.Response)
		}
		if i == 0 {
			continue
		}
		// Times are stored in milliseconds: allow for their rounding.
		wait := time.Duration(float64(pay.RetryScheduleV2[i-1]) * scale)
		if gap := a.At.Sub(as[i-1].At); gap < wait-2*time.Millisecond {
			t.Errorf("attempt %d came %v after attempt %d, want at least %v", a.Number, gap, i, wait)
		}
	}
}

// Ensure a merchant that answers FAIL and then SUCCESS gets the notification delivered
// by the retry, with the failed attempts on record.
func TestDeliverer_V2Retry(t *testing.T) {
	f := newV2Fixture(t)
	srv, _ := newV2Endpoint(t, failBody, "not xml", successBody)
	_, r := f.oweV2(t, v2Mchid, pay.ApplyRequest{Caller: v2Mchid, NotifyURL: srv.URL}, pay.StatusClosed)
	run(t, notify.New(notify.Config{Service: f.svc, Scale: 0.001}))

	_, as := f.wait(t, r.ID, func(n *pay.Notification) bool { return n.Status == pay.NotifyDelivered })
	var got []string
	for _, a := range as {
		got = append(got, strconv.Itoa(a.StatusCode)+" "+a.Error)
	}
	want := []string{`200 answer return_code "FAIL", want SUCCESS`, "200 answer is not the v2 XML reply: EOF", "200 "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts mismatch (-want +got):\n%s", diff)
	}
}
