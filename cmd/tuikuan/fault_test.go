package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// faultRule is a rule as the sandbox API shows it.
type faultRule struct {
	ID        string `json:"id"`
	API       string `json:"api"`
	Fired     int    `json:"fired"`
	Remaining *int   `json:"remaining"`
	Seed      uint64 `json:"seed"`
	Sequence  []struct {
		Error     string `json:"error"`
		LatencyMs int64  `json:"latency_ms"`
		Pass      bool   `json:"pass"`
	} `json:"sequence"`
}

// addFault adds a rule through the sandbox API, and removes every rule when the test ends.
func (s *testServer) addFault(t *testing.T, body map[string]any) faultRule {
	t.Helper()
	var r faultRule
	if st := s.sandbox(t, "POST", "/sandbox/v1/faults", body, &r); st != http.StatusOK || r.ID == "" {
		t.Fatalf("POST /sandbox/v1/faults %v = %d %+v", body, st, r)
	}
	t.Cleanup(func() { s.sandbox(t, "DELETE", "/sandbox/v1/faults", nil, nil) })
	return r
}

func (s *testServer) faults(t *testing.T) []faultRule {
	t.Helper()
	var list struct{ Data []faultRule }
	if st := s.sandbox(t, "GET", "/sandbox/v1/faults", nil, &list); st != http.StatusOK {
		t.Fatalf("GET /sandbox/v1/faults = %d", st)
	}
	return list.Data
}

// refunder applies for domestic refunds through the official SDK.
type refunder struct {
	svc refunddomestic.RefundsApiService
}

func (s *testServer) refunder(t *testing.T, kind string) refunder {
	return refunder{refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, s.merchant(t, kind))}}
}

// apply refunds amount of o under no, naming the order by out_trade_no so that its magic
// prefix, if any, is seen.
func (r refunder) apply(o paidOrder, no string, amount int64) (*refunddomestic.Refund, error) {
	got, _, err := r.svc.Create(context.Background(), refunddomestic.CreateRequest{
		OutTradeNo: core.String(o.OutTradeNo), OutRefundNo: core.String(no),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(amount), Total: core.Int64(o.Total), Currency: core.String("CNY")},
	})
	return got, err
}

func (r refunder) query(no string) (*refunddomestic.Refund, error) {
	got, _, err := r.svc.QueryByOutRefundNo(context.Background(), refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(no)})
	return got, err
}

// wantAPIError checks that err is the SDK's *core.APIError with status and code.
func wantAPIError(t *testing.T, call string, err error, status int, code string) *core.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want %d %s", call, status, code)
	}
	ae := apiError(t, err)
	if ae.StatusCode != status || ae.Code != code {
		t.Fatalf("%s = %d %s %q, want %d %s", call, ae.StatusCode, ae.Code, ae.Message, status, code)
	}
	return ae
}

// wantDropped checks that err is a transport error, the connection closed unanswered.
func wantDropped(t *testing.T, call string, err error) {
	t.Helper()
	var ae *core.APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("%s = %v, want a transport error", call, err)
	}
}

// Ensure a rule answers its documented error the chosen number of times, then lets the
// request through, and the failed requests created nothing.
func TestFault_Errors(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	m := s.merchant(t, "direct")
	tests := []struct {
		code    string
		status  int
		message string
	}{
		{"SYSTEM_ERROR", 500, "系统异常，请稍后重试"},
		{"FREQUENCY_LIMITED", 429, "频率限制，请降低频率后重试"},
		{"NOT_ENOUGH", 403, "基本账户余额不足，请充值后重新发起"},
		{"USER_ACCOUNT_ABNORMAL", 403, "退款请求失败"},
		{"NO_AUTH", 403, "没有退款权限"},
		{"REQUEST_BLOCKED", 403, "请求受阻"},
		{"INVALID_REQUEST", 400, "请求参数符合参数格式，但不符合业务规则"},
		{"RESOURCE_NOT_EXISTS", 404, "订单不存在"},
		{"PARAM_ERROR", 400, "参数错误"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
			no := uniq("FE")
			rule := s.addFault(t, map[string]any{"api": "refund.apply", "mchid": m.Mchid, "error": tt.code, "times": 2})
			if rule.Remaining == nil || *rule.Remaining != 2 {
				t.Errorf("new rule remaining = %v, want 2", rule.Remaining)
			}
			for i := range 2 {
				_, err := r.apply(o, no, 100)
				ae := wantAPIError(t, "apply", err, tt.status, tt.code)
				if ae.Message != tt.message {
					t.Errorf("apply %d message = %q, want %q", i+1, ae.Message, tt.message)
				}
			}
			if got := s.order(t, o.TransactionID); got.Refunded != 0 || len(got.Refunds) != 0 {
				t.Errorf("after two faults the order refunded %d in %d refunds, want nothing", got.Refunded, len(got.Refunds))
			}
			if _, err := r.apply(o, no, 100); err != nil {
				t.Fatalf("third apply: %v, want the rule spent", err)
			}
			if got := s.faults(t); len(got) != 1 || got[0].Fired != 2 || got[0].Remaining == nil || *got[0].Remaining != 0 {
				t.Errorf("rules after = %+v, want one, fired 2, remaining 0", got)
			}
		})
	}
}

// Ensure a sequence scripted for one out_refund_no plays out in order while another
// out_refund_no is untouched.
func TestFault_Sequence(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	s.addFault(t, map[string]any{"api": "refund.apply", "out_refund_no": "SEQ-A", "sequence": []any{
		map[string]any{"error": "FREQUENCY_LIMITED"}, map[string]any{"error": "FREQUENCY_LIMITED"}, map[string]any{"pass": true},
	}})
	for i := range 2 {
		_, err := r.apply(o, "SEQ-A", 10)
		wantAPIError(t, "apply SEQ-A", err, 429, "FREQUENCY_LIMITED")
		if _, err := r.apply(o, "SEQ-B-"+string(rune('0'+i)), 10); err != nil {
			t.Fatalf("apply of another out_refund_no: %v", err)
		}
	}
	a, err := r.apply(o, "SEQ-A", 10)
	if err != nil {
		t.Fatalf("third apply of SEQ-A: %v, want the pass step", err)
	}
	if again, err := r.apply(o, "SEQ-A", 10); err != nil || *again.RefundId != *a.RefundId {
		t.Fatalf("replay after the sequence = %v, want the same refund", err)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 30 {
		t.Errorf("order refunded = %d, want 30", got)
	}
}

// Ensure latency delays the answer and then the request is handled normally.
func TestFault_Latency(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	o := s.pay(t, map[string]any{"mchid": s.merchant(t, "direct").Mchid, "total": 100})
	s.addFault(t, map[string]any{"api": "refund.apply", "latency_ms": 300})
	start := time.Now()
	if _, err := r.apply(o, "LAT-1", 100); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("apply took %v, want at least 300ms", d)
	}
}

// Ensure drop closes the connection before handling: a transport error, nothing created.
func TestFault_Drop(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	o := s.pay(t, map[string]any{"mchid": s.merchant(t, "direct").Mchid, "total": 100})
	s.addFault(t, map[string]any{"api": "refund.apply", "drop": true})
	_, err := r.apply(o, "DROP-1", 100)
	wantDropped(t, "apply", err)
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("order refunded = %d after a drop, want 0", got)
	}
	_, err = r.query("DROP-1")
	wantAPIError(t, "query", err, 404, "RESOURCE_NOT_EXISTS")
}

// Ensure drop_after creates the refund without answering, and the retry with the same
// out_refund_no that the docs ask for gets that refund: the order is refunded once.
func TestFault_DropAfter(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	o := s.pay(t, map[string]any{"mchid": s.merchant(t, "direct").Mchid, "total": 100})
	s.addFault(t, map[string]any{"api": "refund.apply", "drop_after": true})
	_, err := r.apply(o, "DA-1", 60)
	wantDropped(t, "apply", err)
	if got := s.order(t, o.TransactionID).Refunded; got != 60 {
		t.Errorf("order refunded = %d after drop_after, want 60", got)
	}
	retry, err := r.apply(o, "DA-1", 60)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	q, err := r.query("DA-1")
	if err != nil {
		t.Fatal(err)
	}
	if *retry.RefundId != *q.RefundId {
		t.Errorf("retry refund_id = %s, want the dropped request's %s", *retry.RefundId, *q.RefundId)
	}
	if got := s.order(t, o.TransactionID); got.Refunded != 60 || len(got.Refunds) != 1 {
		t.Errorf("order refunded %d in %d refunds, want 60 in one", got.Refunded, len(got.Refunds))
	}
}

// Ensure a probability rule with a seed fails the same requests on every run.
func TestFault_Probability(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	run := func() []int {
		rule := s.addFault(t, map[string]any{"api": "refund.query", "out_refund_no": "PROB-1", "error": "SYSTEM_ERROR", "probability": 0.5, "seed": 42})
		if rule.Seed != 42 || rule.Remaining != nil {
			t.Errorf("rule seed %d remaining %v, want 42 and no end", rule.Seed, rule.Remaining)
		}
		var statuses []int
		for range 16 {
			_, err := r.query("PROB-1")
			statuses = append(statuses, apiError(t, err).StatusCode)
		}
		s.sandbox(t, "DELETE", "/sandbox/v1/faults", nil, nil)
		return statuses
	}
	first := run()
	if diff := cmp.Diff(first, run()); diff != "" {
		t.Errorf("seeded run differs (-first +second):\n%s", diff)
	}
	count := map[int]int{}
	for _, st := range first {
		count[st]++
	}
	if count[500] == 0 || count[404] == 0 || count[500]+count[404] != 16 {
		t.Errorf("statuses %v: want both SYSTEM_ERROR (fault) and RESOURCE_NOT_EXISTS (no such refund)", first)
	}
}

// Ensure rules are listed with what remains of them, removed one by one or all at once,
// and refused when they cannot work.
func TestFault_ListRemove(t *testing.T) {
	s := startServer(t)
	a := s.addFault(t, map[string]any{"api": "refund.apply", "error": "SYSTEM_ERROR", "times": 3})
	b := s.addFault(t, map[string]any{"api": "notify", "mchid": s.merchant(t, "direct").Mchid})
	if got := s.faults(t); len(got) != 2 || got[0].ID != a.ID || *got[0].Remaining != 3 || got[1].ID != b.ID || *got[1].Remaining != 1 {
		t.Fatalf("list = %+v, want a (3 remaining) then b (once)", got)
	}
	if st := s.sandbox(t, "DELETE", "/sandbox/v1/faults/"+a.ID, nil, nil); st != http.StatusNoContent {
		t.Errorf("DELETE rule %s = %d, want 204", a.ID, st)
	}
	var e errorJSON
	if st := s.sandbox(t, "DELETE", "/sandbox/v1/faults/"+a.ID, nil, &e); st != 404 || e.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("DELETE rule %s again = %d %s, want 404 RESOURCE_NOT_EXISTS", a.ID, st, e.Code)
	}
	if got := s.faults(t); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("list after removing %s = %+v", a.ID, got)
	}
	if st := s.sandbox(t, "DELETE", "/sandbox/v1/faults", nil, nil); st != http.StatusNoContent {
		t.Errorf("DELETE all = %d, want 204", st)
	}
	if got := s.faults(t); len(got) != 0 {
		t.Errorf("list after clearing = %+v", got)
	}
	for _, body := range []map[string]any{
		{"api": "refund.apply"},
		{"api": "refunds", "drop": true},
		{"api": "refund.apply", "error": "TIMEOUT"},
		{"api": "refund.apply", "drop": true, "drop_after": true},
		{"api": "refund.apply", "latency_ms": -1},
		{"api": "refund.apply", "sequence": []any{map[string]any{"pass": true, "drop": true}}},
		{"api": "refund.apply", "drop": true, "probability": 2},
		{"api": "refund.apply", "drop": true, "when": "now"},
	} {
		var e errorJSON
		if st := s.sandbox(t, "POST", "/sandbox/v1/faults", body, &e); st != 400 || e.Code != "PARAM_ERROR" {
			t.Errorf("POST /sandbox/v1/faults %v = %d %s, want 400 PARAM_ERROR", body, st, e.Code)
		}
	}
}

// Ensure each magic prefix, on out_refund_no or on out_trade_no, answers its error with
// nothing created, through the domestic and the e-commerce API.
func TestFault_Magic(t *testing.T) {
	s := startServer(t)
	r := s.refunder(t, "direct")
	m := s.merchant(t, "direct")
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	partnerClient := s.wechatpayClient(t, partner)
	tests := []struct {
		prefix string
		status int
		code   string
	}{
		{"SANDBOX_NOT_ENOUGH_", 403, "NOT_ENOUGH"},
		{"SANDBOX_ACCOUNT_ABNORMAL_", 403, "USER_ACCOUNT_ABNORMAL"},
		{"SANDBOX_SYSTEM_ERROR_", 500, "SYSTEM_ERROR"},
		{"SANDBOX_FREQUENCY_LIMITED_", 429, "FREQUENCY_LIMITED"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
			_, err := r.apply(o, uniq(tt.prefix), 100)
			wantAPIError(t, "apply with magic out_refund_no", err, tt.status, tt.code)

			// out_trade_no has 32 bytes at most: the longest prefix leaves room for two.
			magicOrder := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100, "out_trade_no": tt.prefix + "1"})
			_, err = r.apply(magicOrder, uniq("R"), 100)
			wantAPIError(t, "apply with magic out_trade_no", err, tt.status, tt.code)

			so := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 100})
			body := map[string]any{
				"sub_mchid": sub.Mchid, "sp_appid": partner.Appid, "out_trade_no": so.OutTradeNo, "out_refund_no": uniq(tt.prefix),
				"amount": map[string]any{"refund": 100, "total": 100, "currency": "CNY"},
			}
			_, err = partnerClient.Post(context.Background(), "https://api.mch.weixin.qq.com/v3/ecommerce/refunds/apply", body)
			wantAPIError(t, "e-commerce apply with magic out_refund_no", err, tt.status, tt.code)

			for _, id := range []string{o.TransactionID, magicOrder.TransactionID, so.TransactionID} {
				if got := s.order(t, id).Refunded; got != 0 {
					t.Errorf("order %s refunded %d, want nothing", id, got)
				}
			}
		})
	}
	t.Run("TIMEOUT", func(t *testing.T) {
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		no := uniq("SANDBOX_TIMEOUT_")
		_, err := r.apply(o, no, 100)
		wantDropped(t, "first apply", err)
		retry, err := r.apply(o, no, 100)
		if err != nil {
			t.Fatalf("retry with the same out_refund_no: %v", err)
		}
		if got := s.order(t, o.TransactionID); got.Refunded != 100 || len(got.Refunds) != 1 || got.Refunds[0].RefundID != *retry.RefundId {
			t.Errorf("order = %+v, want one refund of 100, the retry's %s", got, *retry.RefundId)
		}
	})
}

// Ensure the wechat profile refuses the 7th failing apply within a second, and then every
// apply until the bucket refills, without touching the order; successes pass and do not
// count.
func TestRateLimit_WechatFailures(t *testing.T) {
	// The limiter's time stands still but for the moves the test makes.
	start := time.Now()
	var moved atomic.Int64
	s := startServerClocked(t, func() time.Time { return start.Add(time.Duration(moved.Load())) }, "--rate-limit", "wechat")
	r := s.refunder(t, "direct")
	m := s.merchant(t, "direct")
	for i := range 8 {
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		if _, err := r.apply(o, uniq("OK"), 100); err != nil {
			t.Fatalf("success %d: %v", i+1, err)
		}
	}
	fresh := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	missing := paidOrder{OutTradeNo: "NO-SUCH-ORDER", Total: 100}
	for range 6 {
		_, err := r.apply(missing, uniq("F"), 100)
		wantAPIError(t, "failing apply", err, 404, "RESOURCE_NOT_EXISTS")
	}
	_, err := r.apply(fresh, "RL-7", 100)
	ae := wantAPIError(t, "7th apply", err, 429, "FREQUENCY_LIMITED")
	if !strings.HasPrefix(ae.Message, "频率限制") {
		t.Errorf("message = %q, want 频率限制…", ae.Message)
	}
	if got := s.order(t, fresh.TransactionID); got.Refunded != 0 || len(got.Refunds) != 0 {
		t.Errorf("refused apply refunded %d in %d refunds, want nothing", got.Refunded, len(got.Refunds))
	}
	_, err = r.query("RL-7")
	wantAPIError(t, "query of the refused refund", err, 404, "RESOURCE_NOT_EXISTS")

	moved.Add(int64(time.Second / 3))
	if _, err := r.apply(fresh, "RL-7", 100); err != nil {
		t.Errorf("apply after the failure bucket refilled: %v", err)
	}
}

// Ensure a node told it is one of two (--nodes 2) lets a merchant have half of each
// per-second limit: 150 of the 300 successful queries, 3 of the 6 failing applies.
func TestRateLimit_NodeShare(t *testing.T) {
	start := time.Now()
	var moved atomic.Int64
	s := startServerClocked(t, func() time.Time { return start.Add(time.Duration(moved.Load())) }, "--rate-limit", "wechat", "--nodes", "2")
	r := s.refunder(t, "direct")
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	if _, err := r.apply(o, "NS-1", 100); err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		if _, err := r.query("NS-1"); err != nil {
			t.Fatalf("query %d of the node's 150: %v", i+1, err)
		}
	}
	_, err := r.query("NS-1")
	wantAPIError(t, "151st query", err, 429, "FREQUENCY_LIMITED")

	missing := paidOrder{OutTradeNo: "NO-SUCH-ORDER", Total: 100}
	for range 3 {
		_, err := r.apply(missing, uniq("F"), 100)
		wantAPIError(t, "failing apply", err, 404, "RESOURCE_NOT_EXISTS")
	}
	_, err = r.apply(missing, uniq("F"), 100)
	wantAPIError(t, "4th failing apply", err, 429, "FREQUENCY_LIMITED")
}

// Ensure the wechat profile's one minute between refunds of an order answers 429 through
// the SDK, changes nothing, and passes once business time has moved on.
func TestRateLimit_WechatSpacing(t *testing.T) {
	s := startServer(t, "--rate-limit", "wechat")
	r := s.refunder(t, "direct")
	o := s.pay(t, map[string]any{"mchid": s.merchant(t, "direct").Mchid, "total": 100})
	if _, err := r.apply(o, "SP-1", 40); err != nil {
		t.Fatal(err)
	}
	_, err := r.apply(o, "SP-2", 40)
	ae := wantAPIError(t, "second refund within a minute", err, 429, "FREQUENCY_LIMITED")
	if !strings.Contains(ae.Message, "1分钟") {
		t.Errorf("message = %q, want the one-minute rule", ae.Message)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 40 {
		t.Errorf("order refunded = %d, want 40", got)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]any{"advance_seconds": 61}, nil); st != http.StatusOK {
		t.Fatalf("advance clock: %d", st)
	}
	if _, err := r.apply(o, "SP-2", 40); err != nil {
		t.Fatalf("refund after 61 s: %v", err)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 80 {
		t.Errorf("order refunded = %d, want 80", got)
	}
}

// Ensure the off profile never limits, and a merchant's own profile overrides the
// server's.
func TestRateLimit_Off(t *testing.T) {
	s := startServer(t, "--rate-limit", "off")
	r := s.refunder(t, "direct")
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	missing := paidOrder{OutTradeNo: "NO-SUCH-ORDER", Total: 100}
	for i := range 20 {
		_, err := r.apply(missing, uniq("F"), 100)
		wantAPIError(t, "failing apply", err, 404, "RESOURCE_NOT_EXISTS")
		if _, err := r.apply(o, uniq("OK"), 10); err != nil {
			t.Fatalf("apply %d on one order, no spacing: %v", i+1, err)
		}
	}

	var settings struct {
		RateLimit string `json:"rate_limit"`
	}
	if st := s.sandbox(t, "PATCH", "/sandbox/v1/merchants/"+m.Mchid, map[string]any{"rate_limit": "wechat"}, &settings); st != http.StatusOK || settings.RateLimit != "wechat" {
		t.Fatalf("PATCH rate_limit = %d %+v", st, settings)
	}
	if _, err := r.apply(o, uniq("SP"), 10); err == nil || apiError(t, err).Code != "FREQUENCY_LIMITED" {
		t.Errorf("apply under the merchant's wechat profile = %v, want the one-minute rule's 429", err)
	}
}

// Ensure the CLI adds, lists and removes rules, and a rule it adds takes effect.
func TestCLI_Fault(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	out, err := runCLI(t, "fault", "add", "--data", s.dir, "--api", "refund.apply", "--error", "SYSTEM_ERROR", "--times", "2", "--mchid", m.Mchid, "--out-refund-no", "CLI-F-1")
	if err != nil {
		t.Fatalf("fault add: %v", err)
	}
	var rule faultRule
	if err := json.Unmarshal([]byte(out), &rule); err != nil || rule.ID == "" || rule.Remaining == nil || *rule.Remaining != 2 {
		t.Fatalf("fault add printed %s (%v)", out, err)
	}
	r := s.refunder(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	_, err = r.apply(o, "CLI-F-1", 100)
	wantAPIError(t, "apply under the CLI's rule", err, 500, "SYSTEM_ERROR")

	out, err = runCLI(t, "fault", "add", "--data", s.dir, "--api", "refund.query", "--sequence", "FREQUENCY_LIMITED, pass,2s+SYSTEM_ERROR")
	if err != nil {
		t.Fatalf("fault add --sequence: %v", err)
	}
	var seq faultRule
	json.Unmarshal([]byte(out), &seq)
	if len(seq.Sequence) != 3 || seq.Sequence[0].Error != "FREQUENCY_LIMITED" || !seq.Sequence[1].Pass ||
		seq.Sequence[2].LatencyMs != 2000 || seq.Sequence[2].Error != "SYSTEM_ERROR" {
		t.Errorf("fault add --sequence printed %s", out)
	}
	if out, err = runCLI(t, "fault", "add", "--data", s.dir, "--api", "refund.apply", "--out-refund-no", "OTHER", "--drop", "--probability", "0.3", "--seed", "1"); err != nil || !strings.Contains(out, `"seed": 1`) {
		t.Errorf("fault add --probability = %s, %v", out, err)
	}
	if out, err = runCLI(t, "fault", "add", "--data", s.dir, "--api", "refund.apply", "--out-refund-no", "OTHER", "--latency", "2s", "--drop-after"); err != nil || !strings.Contains(out, `"latency_ms": 2000`) || !strings.Contains(out, `"drop_after": true`) {
		t.Errorf("fault add --latency --drop-after = %s, %v", out, err)
	}
	if _, err = runCLI(t, "fault", "add", "--data", s.dir, "--api", "refunds", "--drop"); err == nil || !strings.Contains(err.Error(), "PARAM_ERROR") {
		t.Errorf("fault add --api refunds: err = %v, want PARAM_ERROR", err)
	}

	out, err = runCLI(t, "fault", "list", "--data", s.dir)
	var list struct{ Data []faultRule }
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list.Data) != 4 || list.Data[0].Fired != 1 {
		t.Fatalf("fault list = %s, %v; want 4 rules, the first fired once", out, err)
	}
	if out, err = runCLI(t, "fault", "rm", "--data", s.dir, rule.ID); err != nil || !strings.Contains(out, "removed fault rule "+rule.ID) {
		t.Errorf("fault rm %s = %q, %v", rule.ID, out, err)
	}
	if _, err = runCLI(t, "fault", "rm", "--data", s.dir, rule.ID); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("fault rm %s twice: err = %v, want 404", rule.ID, err)
	}
	if _, err = r.apply(o, "CLI-F-1", 100); err != nil {
		t.Errorf("apply after fault rm: %v", err)
	}
	if _, err = runCLI(t, "fault", "rm", "--data", s.dir, "--all"); err != nil {
		t.Errorf("fault rm --all: %v", err)
	}
	if got := s.faults(t); len(got) != 0 {
		t.Errorf("rules after rm --all = %+v", got)
	}
	if _, err = runCLI(t, "fault", "rm", "--data", s.dir); err == nil {
		t.Error("fault rm with neither an id nor --all succeeded")
	}
}

// Ensure --sequence steps read as the sandbox API's actions.
func TestParseSequence(t *testing.T) {
	tests := []struct {
		in      string
		want    []map[string]any
		wantErr bool
	}{
		{"FREQUENCY_LIMITED,FREQUENCY_LIMITED,pass", []map[string]any{{"error": "FREQUENCY_LIMITED"}, {"error": "FREQUENCY_LIMITED"}, {"pass": true}}, false},
		{"drop, drop_after, drop-after", []map[string]any{{"drop": true}, {"drop_after": true}, {"drop_after": true}}, false},
		{"500ms+SYSTEM_ERROR,2s", []map[string]any{{"latency_ms": int64(500), "error": "SYSTEM_ERROR"}, {"latency_ms": int64(2000)}}, false},
		{"pass,,pass", nil, true},
		{"2x", nil, true},
	}
	for _, tt := range tests {
		got, err := parseSequence(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSequence(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
			t.Errorf("parseSequence(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}
