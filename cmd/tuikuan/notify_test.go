package main

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// refundResult is the decrypted refund notification (docs/wire.md#notifications); wechatpay-go
// v0.2.20 has no model for it.
type refundResult struct {
	Mchid               string     `json:"mchid"`
	SpMchid             string     `json:"sp_mchid"`
	SubMchid            string     `json:"sub_mchid"`
	TransactionID       string     `json:"transaction_id"`
	OutTradeNo          string     `json:"out_trade_no"`
	RefundID            string     `json:"refund_id"`
	OutRefundNo         string     `json:"out_refund_no"`
	RefundStatus        string     `json:"refund_status"`
	SuccessTime         *time.Time `json:"success_time"`
	UserReceivedAccount string     `json:"user_received_account"`
	Amount              struct {
		Total       int64 `json:"total"`
		Refund      int64 `json:"refund"`
		PayerTotal  int64 `json:"payer_total"`
		PayerRefund int64 `json:"payer_refund"`
	} `json:"amount"`
}

// delivery is one notification as the merchant's server saw it.
type delivery struct {
	at     time.Time
	serial string
	req    *notify.Request
	result refundResult
	err    error // what the SDK said, if it refused the notification
}

// notifyEndpoint is a merchant's notify_url. It checks every notification with the official
// SDK's notify.Handler (signature, 5-minute window, decryption) and answers with the next
// of its scripted statuses, 200 when they run out.
type notifyEndpoint struct {
	URL     string
	handler *notify.Handler
	got     chan delivery

	mu      sync.Mutex
	answers []int
	block   chan struct{} // while open, a hanging endpoint never answers
}

func newNotifyEndpoint(t *testing.T, h *notify.Handler, answers ...int) *notifyEndpoint {
	t.Helper()
	e := &notifyEndpoint{handler: h, got: make(chan delivery, 100), answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	e.URL = srv.URL + "/wxpay/refund-notify"
	t.Cleanup(func() {
		e.mu.Lock()
		if e.block != nil {
			close(e.block)
			e.block = nil
		}
		e.mu.Unlock()
		srv.Close()
	})
	return e
}

func (e *notifyEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	rec := delivery{at: time.Now(), serial: r.Header.Get("Wechatpay-Serial")}
	rec.req, rec.err = e.handler.ParseNotifyRequest(r.Context(), r, &rec.result)
	e.mu.Lock()
	block := e.block
	status := http.StatusOK
	if rec.err != nil {
		status = http.StatusBadRequest
	} else if len(e.answers) > 0 {
		status, e.answers = e.answers[0], e.answers[1:]
	}
	e.mu.Unlock()
	e.got <- rec
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status/100 != 2 {
		// What a merchant answers when it could not handle one (docs/wire.md#notifications).
		io.WriteString(w, `{"code":"FAIL","message":"失败"}`)
	}
}

// answer scripts the statuses of the next deliveries.
func (e *notifyEndpoint) answer(statuses ...int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.answers = statuses
}

// hang makes the endpoint take every delivery and never answer.
func (e *notifyEndpoint) hang() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.block = make(chan struct{})
}

// unhang makes the endpoint answer again, the deliveries it holds included.
func (e *notifyEndpoint) unhang() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.block != nil {
		close(e.block)
		e.block = nil
	}
}

// next waits for the next delivery and fails the test if the SDK refused it.
func (e *notifyEndpoint) next(t *testing.T, within time.Duration) delivery {
	t.Helper()
	select {
	case rec := <-e.got:
		if rec.err != nil {
			t.Fatalf("notify.Handler refused a notification: %v", rec.err)
		}
		return rec
	case <-time.After(within):
		t.Fatalf("no notification within %v", within)
	}
	return delivery{}
}

// quiet fails the test if a delivery comes within d.
func (e *notifyEndpoint) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case rec := <-e.got:
		t.Errorf("unexpected notification %+v", rec.result)
	case <-time.After(d):
	}
}

// publicKeyHandler verifies as a merchant in public-key mode does, WeChat Pay's
// recommended setup, and decrypts with m's APIv3 key.
func (s *testServer) publicKeyHandler(t *testing.T, m identity.MerchantCredential) *notify.Handler {
	t.Helper()
	pub, err := utils.LoadPublicKeyWithPath(s.path(s.creds.Platform.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	h, err := notify.NewRSANotifyHandler(m.APIv3Key, verifiers.NewSHA256WithRSAPubkeyVerifier(s.creds.Platform.PublicKeyID, *pub))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// certificateHandler verifies with the platform certificate, as a merchant still in
// certificate mode does.
func (s *testServer) certificateHandler(t *testing.T, m identity.MerchantCredential) *notify.Handler {
	t.Helper()
	cert, err := utils.LoadCertificateWithPath(s.path(s.creds.Platform.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	certs := core.NewCertificateMapWithList([]*x509.Certificate{cert})
	h, err := notify.NewRSANotifyHandler(m.APIv3Key, verifiers.NewSHA256WithRSAVerifier(certs))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// refund makes a 300-fen refund of a fresh 1000-fen order of payer through m's client,
// naming notifyURL if it is not "", and returns its refund_id and out_refund_no.
func (s *testServer) refundFor(t *testing.T, m identity.MerchantCredential, payer, notifyURL string) (string, string) {
	t.Helper()
	o := s.pay(t, map[string]any{"mchid": payer, "total": 1000})
	req := refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("N")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(300), Total: core.Int64(1000), Currency: core.String("CNY")},
	}
	if notifyURL != "" {
		req.NotifyUrl = core.String(notifyURL)
	}
	if m.Kind == "partner" {
		req.SubMchid = core.String(payer)
	}
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("create refund: %v", err)
	}
	return *r.RefundId, *r.OutRefundNo
}

func (s *testServer) settleTo(t *testing.T, refundID, status string) {
	t.Helper()
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+refundID+"/settle", map[string]string{"status": status}, nil); st != http.StatusOK {
		t.Fatalf("settle %s %s: status %d", refundID, status, st)
	}
}

func (s *testServer) patchMerchant(t *testing.T, mchid string, body map[string]string) merchantSettings {
	t.Helper()
	var m merchantSettings
	if st := s.sandbox(t, "PATCH", "/sandbox/v1/merchants/"+mchid, body, &m); st != http.StatusOK {
		t.Fatalf("PATCH merchant %s %v: status %d", mchid, body, st)
	}
	return m
}

type merchantSettings struct {
	Mchid           string `json:"mchid"`
	Kind            string `json:"kind"`
	SpMchid         string `json:"sp_mchid"`
	NotifyURL       string `json:"notify_url"`
	NotifyMode      string `json:"notify_mode"`
	PlatformKeyMode string `json:"platform_key_mode"`
	RateLimit       string `json:"rate_limit"`
}

type notificationView struct {
	ID              string `json:"id"`
	EventType       string `json:"event_type"`
	URL             string `json:"url"`
	Status          string `json:"status"`
	Attempts        int    `json:"attempts"`
	NextAttemptTime string `json:"next_attempt_time"`
	CreateTime      string `json:"create_time"`
	Deliveries      []struct {
		Number     int     `json:"number"`
		Time       string  `json:"time"`
		StatusCode int     `json:"status_code"`
		Response   string  `json:"response"`
		LatencyMS  float64 `json:"latency_ms"`
		Error      string  `json:"error"`
	} `json:"deliveries"`
}

func (s *testServer) notifications(t *testing.T, refundID string) []notificationView {
	t.Helper()
	var out struct {
		Data []notificationView `json:"data"`
	}
	if st := s.sandbox(t, "GET", "/sandbox/v1/refunds/"+refundID+"/notifications", nil, &out); st != http.StatusOK {
		t.Fatalf("list notifications of %s: status %d", refundID, st)
	}
	return out.Data
}

// waitNotification polls the sandbox API until refundID's only notification satisfies ok.
func (s *testServer) waitNotification(t *testing.T, refundID string, within time.Duration, ok func(notificationView) bool) notificationView {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ns := s.notifications(t, refundID)
		if len(ns) == 1 && ok(ns[0]) {
			return ns[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications of %s = %+v, still not as wanted after %v", refundID, ns, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// untilNext is about how long, in business time, until n's next attempt: the clock
// shows whole seconds.
func (s *testServer) untilNext(t *testing.T, n notificationView) time.Duration {
	t.Helper()
	var clock struct {
		Now string `json:"now"`
	}
	if st := s.sandbox(t, "GET", "/sandbox/v1/clock", nil, &clock); st != http.StatusOK {
		t.Fatalf("GET clock: status %d", st)
	}
	now, err1 := time.Parse(time.RFC3339, clock.Now)
	next, err2 := time.Parse(time.RFC3339, n.NextAttemptTime)
	if err1 != nil || err2 != nil {
		t.Fatalf("clock %q, next_attempt_time %q: %v, %v", clock.Now, n.NextAttemptTime, err1, err2)
	}
	return next.Sub(now)
}

func statusCodes(n notificationView) []int {
	var out []int
	for _, d := range n.Deliveries {
		out = append(out, d.StatusCode)
	}
	return out
}

// Ensure each final status notifies a direct merchant with the right event, verifiable
// and decryptable by the official SDK, within about a second of the change.
func TestNotify_Events(t *testing.T) {
	s := startServer(t)
	direct := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct))

	tests := []struct {
		status, event, summary string
	}{
		{"SUCCESS", "REFUND.SUCCESS", "退款成功"},
		{"ABNORMAL", "REFUND.ABNORMAL", "退款异常"},
		{"CLOSED", "REFUND.CLOSED", "退款关闭"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			id, no := s.refundFor(t, direct, direct.Mchid, ep.URL)
			settled := time.Now()
			s.settleTo(t, id, tt.status)
			got := ep.next(t, 3*time.Second)
			if d := got.at.Sub(settled); d > 1500*time.Millisecond {
				t.Errorf("first delivery %v after the change, want within about a second", d)
			}
			if got.serial != s.creds.Platform.PublicKeyID {
				t.Errorf("Wechatpay-Serial = %q, want the public key ID %q", got.serial, s.creds.Platform.PublicKeyID)
			}
			r := got.req
			if r.EventType != tt.event || r.Summary != tt.summary || r.ResourceType != "encrypt-resource" || r.ID == "" || r.CreateTime == nil {
				t.Errorf("envelope = id %q event %q summary %q resource_type %q create_time %v", r.ID, r.EventType, r.Summary, r.ResourceType, r.CreateTime)
			}
			if r.Resource.OriginalType != "refund" || r.Resource.AssociatedData != "refund" || len(r.Resource.Nonce) != 12 {
				t.Errorf("resource = original_type %q associated_data %q nonce %q", r.Resource.OriginalType, r.Resource.AssociatedData, r.Resource.Nonce)
			}
			res := got.result
			if res.RefundStatus != tt.status || res.RefundID != id || res.OutRefundNo != no || res.Mchid != direct.Mchid || res.SpMchid != "" || res.SubMchid != "" {
				t.Errorf("resource = %+v, want refund %s (%s) of %s, status %s", res, id, no, direct.Mchid, tt.status)
			}
			if res.Amount.Refund != 300 || res.Amount.Total != 1000 || res.Amount.PayerRefund != 300 || res.UserReceivedAccount == "" || res.TransactionID == "" {
				t.Errorf("resource amounts / account = %+v", res)
			}
			if (res.SuccessTime != nil) != (tt.status == "SUCCESS") {
				t.Errorf("success_time = %v for %s, want it only for SUCCESS", res.SuccessTime, tt.status)
			}
			n := s.waitNotification(t, id, 2*time.Second, func(n notificationView) bool { return n.Status == "DELIVERED" })
			if n.ID != r.ID || n.EventType != tt.event || n.URL != ep.URL || n.Attempts != 1 || n.NextAttemptTime != "" || len(n.Deliveries) != 1 {
				t.Errorf("sandbox view = %+v", n)
			}
		})
	}
}

// Ensure a partner's refund of its sub-merchant notifies the partner's default URL in
// the partner shape (sp_mchid + sub_mchid), sealed under the partner's APIv3 key.
func TestNotify_PartnerShape(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, partner))
	if m := s.patchMerchant(t, partner.Mchid, map[string]string{"notify_url": ep.URL}); m.NotifyURL != ep.URL {
		t.Fatalf("PATCH notify_url answered %+v", m)
	}

	id, no := s.refundFor(t, partner, sub.Mchid, "")
	s.settleTo(t, id, "SUCCESS")
	res := ep.next(t, 3*time.Second).result
	if res.SpMchid != partner.Mchid || res.SubMchid != sub.Mchid || res.Mchid != "" {
		t.Errorf("payload merchants = mchid %q sp_mchid %q sub_mchid %q, want sp_mchid %s sub_mchid %s", res.Mchid, res.SpMchid, res.SubMchid, partner.Mchid, sub.Mchid)
	}
	if res.RefundID != id || res.OutRefundNo != no || res.RefundStatus != "SUCCESS" || res.SuccessTime == nil {
		t.Errorf("payload = %+v", res)
	}
}

// Ensure the request's notify_url wins over the merchant's default, the default serves
// refunds that name none, and a merchant with neither gets no notification.
func TestNotify_URLChoice(t *testing.T) {
	s := startServer(t)
	direct := s.merchant(t, "direct")
	h := s.publicKeyHandler(t, direct)
	byRequest, byDefault := newNotifyEndpoint(t, h), newNotifyEndpoint(t, h)

	none, _ := s.refundFor(t, direct, direct.Mchid, "")
	s.settleTo(t, none, "SUCCESS")
	if ns := s.notifications(t, none); len(ns) != 0 {
		t.Errorf("merchant without notify_url: notifications = %+v, want none", ns)
	}

	s.patchMerchant(t, direct.Mchid, map[string]string{"notify_url": byDefault.URL})
	named, _ := s.refundFor(t, direct, direct.Mchid, byRequest.URL)
	s.settleTo(t, named, "SUCCESS")
	if got := byRequest.next(t, 3*time.Second).result.RefundID; got != named {
		t.Errorf("request's notify_url got refund %s, want %s", got, named)
	}
	unnamed, _ := s.refundFor(t, direct, direct.Mchid, "")
	s.settleTo(t, unnamed, "CLOSED")
	if got := byDefault.next(t, 3*time.Second).result.RefundID; got != unnamed {
		t.Errorf("merchant's default URL got refund %s, want %s", got, unnamed)
	}
	byDefault.quiet(t, 300*time.Millisecond)
	if ns := s.notifications(t, named); len(ns) != 1 || ns[0].URL != byRequest.URL {
		t.Errorf("notifications of the refund naming a URL = %+v, want one to %s", ns, byRequest.URL)
	}
}

// Ensure a merchant switched to certificate mode gets notifications named by the
// platform certificate serial, which a certificate verifier accepts; and that the
// settings view shows the switch and no keys.
func TestNotify_CertificateMode(t *testing.T) {
	s := startServer(t)
	direct := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.certificateHandler(t, direct))
	if m := s.patchMerchant(t, direct.Mchid, map[string]string{"notify_mode": "certificate"}); m.NotifyMode != "certificate" || m.PlatformKeyMode != "certificate" {
		t.Fatalf("PATCH notify_mode answered %+v", m)
	}
	var raw map[string]any
	if st := s.sandbox(t, "GET", "/sandbox/v1/merchants/"+direct.Mchid, nil, &raw); st != http.StatusOK {
		t.Fatalf("GET merchant: status %d", st)
	}
	if raw["notify_mode"] != "certificate" || raw["mchid"] != direct.Mchid || raw["kind"] != "direct" || raw["rate_limit"] != "sandbox" {
		t.Errorf("GET merchant = %v", raw)
	}
	for k, v := range raw {
		// platform_key_mode names a setting, not a key.
		if (strings.Contains(k, "key") && k != "platform_key_mode") || v == direct.APIv3Key || v == direct.APIv2Key {
			t.Errorf("GET merchant shows %s = %v; keys must never appear", k, v)
		}
	}

	id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
	s.settleTo(t, id, "SUCCESS")
	got := ep.next(t, 3*time.Second)
	if got.serial != s.creds.Platform.CertSerial {
		t.Errorf("Wechatpay-Serial = %q, want the certificate serial %q", got.serial, s.creds.Platform.CertSerial)
	}
	if got.result.RefundID != id {
		t.Errorf("refund_id = %s, want %s", got.result.RefundID, id)
	}

	// Back to public-key mode.
	back := s.patchMerchant(t, direct.Mchid, map[string]string{"notify_mode": "public_key", "rate_limit": "off"})
	if back.NotifyMode != "public_key" || back.PlatformKeyMode != "public_key" || back.RateLimit != "off" || back.NotifyURL != "" {
		t.Errorf("PATCH back answered %+v", back)
	}
}

// Ensure the merchant settings API refuses what it cannot apply.
func TestNotify_MerchantSettingsErrors(t *testing.T) {
	s := startServer(t)
	direct := s.merchant(t, "direct")
	tests := []struct {
		name   string
		mchid  string
		body   any
		status int
		code   string
	}{
		{"BadMode", direct.Mchid, map[string]string{"notify_mode": "rsa"}, 400, "PARAM_ERROR"},
		{"BadPlatformKeyMode", direct.Mchid, map[string]string{"platform_key_mode": "rsa"}, 400, "PARAM_ERROR"},
		{"ModeNamesDisagree", direct.Mchid, map[string]string{"platform_key_mode": "certificate", "notify_mode": "public_key"}, 400, "PARAM_ERROR"},
		{"BadProfile", direct.Mchid, map[string]string{"rate_limit": "fast"}, 400, "PARAM_ERROR"},
		{"BadURL", direct.Mchid, map[string]string{"notify_url": "ftp://x/y"}, 400, "PARAM_ERROR"},
		{"UnknownField", direct.Mchid, map[string]string{"notify": "x"}, 400, "PARAM_ERROR"},
		{"UnknownMerchant", "1999999999", map[string]string{"notify_url": "http://127.0.0.1/n"}, 400, "MCH_NOT_EXISTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e struct{ Code string }
			if st := s.sandbox(t, "PATCH", "/sandbox/v1/merchants/"+tt.mchid, tt.body, &e); st != tt.status || e.Code != tt.code {
				t.Errorf("PATCH %v = %d %s, want %d %s", tt.body, st, e.Code, tt.status, tt.code)
			}
		})
	}
	var e struct{ Code string }
	if st := s.sandbox(t, "GET", "/sandbox/v1/merchants/1999999999", nil, &e); st != 400 || e.Code != "MCH_NOT_EXISTS" {
		t.Errorf("GET unknown merchant = %d %s, want 400 MCH_NOT_EXISTS", st, e.Code)
	}
	if st := s.sandbox(t, "GET", "/sandbox/v1/refunds/50300000000000000000000000000/notifications", nil, &e); st != 404 || e.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("notifications of an unknown refund = %d %s, want 404 RESOURCE_NOT_EXISTS", st, e.Code)
	}
}

// Ensure a failed notification is retried, signed and encrypted afresh each time, and
// stops once delivered.
func TestNotify_Retry(t *testing.T) {
	s := startServer(t, "--notify-time-scale", "0.001")
	direct := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct), 500, 500)

	id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
	s.settleTo(t, id, "SUCCESS")
	nonces := map[string]bool{}
	for range 3 {
		got := ep.next(t, 3*time.Second)
		nonces[got.req.Resource.Nonce] = true
	}
	if len(nonces) != 3 {
		t.Errorf("resource nonces over 3 deliveries = %v, want each encrypted afresh", nonces)
	}
	n := s.waitNotification(t, id, 2*time.Second, func(n notificationView) bool { return n.Status == "DELIVERED" })
	if got := statusCodes(n); n.Attempts != 3 || len(got) != 3 || got[0] != 500 || got[1] != 500 || got[2] != 200 {
		t.Fatalf("deliveries = %v (attempts %d), want 500, 500, 200", got, n.Attempts)
	}
	if d := n.Deliveries[0]; d.Number != 1 || !strings.Contains(d.Response, `"FAIL"`) || d.Time == "" || d.LatencyMS <= 0 {
		t.Errorf("first delivery = %+v, want number 1 with the answer's body, time and latency", d)
	}
	ep.quiet(t, 300*time.Millisecond)
	if n := s.notifications(t, id)[0]; n.Attempts != 3 {
		t.Errorf("attempts after delivery = %d, want it to stop at 3", n.Attempts)
	}
}

// Ensure a dead-slow notifyEndpoint holds no more than its share of the workers: another
// merchant's notification goes out on time.
func TestNotify_SlowEndpoint(t *testing.T) {
	s := startServer(t)
	direct, partner, sub := s.merchant(t, "direct"), s.merchant(t, "partner"), s.merchant(t, "sub")
	slow := newNotifyEndpoint(t, s.publicKeyHandler(t, direct))
	slow.hang()
	fast := newNotifyEndpoint(t, s.publicKeyHandler(t, partner))

	for range 4 {
		id, _ := s.refundFor(t, direct, direct.Mchid, slow.URL)
		s.settleTo(t, id, "SUCCESS")
	}
	slow.next(t, 3*time.Second) // the slow notifyEndpoint is busy from here on

	id, _ := s.refundFor(t, partner, sub.Mchid, fast.URL)
	settled := time.Now()
	s.settleTo(t, id, "SUCCESS")
	got := fast.next(t, 3*time.Second)
	if d := got.at.Sub(settled); d > 1500*time.Millisecond {
		t.Errorf("fast notifyEndpoint notified %v after the change, want within about a second", d)
	}
	if got.result.RefundID != id {
		t.Errorf("refund_id = %s, want %s", got.result.RefundID, id)
	}
}

// Ensure a notification nobody accepts is tried 16 times (the first and 15 retries) on
// the documented schedule, then FAILED; a re-send through the sandbox API then delivers it.
// The test moves business time itself, one retry at a time, so no step races the wall
// clock however slow the machine.
func TestNotify_ScheduleRunsOut(t *testing.T) {
	s := startServer(t)
	direct := s.merchant(t, "direct")
	fails := make([]int, 100)
	for i := range fails {
		fails[i] = http.StatusServiceUnavailable
	}
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct), fails...)

	id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
	s.settleTo(t, id, "ABNORMAL")
	schedule := []time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
		10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
		30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
		3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
	}
	for i, wait := range schedule {
		ep.next(t, 3*time.Second)
		n := s.waitNotification(t, id, 3*time.Second, func(n notificationView) bool { return n.Attempts == i+1 })
		if got := s.untilNext(t, n); n.Status != "PENDING" || got > wait+time.Second || got < wait-2*time.Second {
			t.Fatalf("after attempt %d: %s, next in %v; want PENDING, next in %v", i+1, n.Status, got, wait)
		}
		if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": int64(wait.Seconds())}, nil); st != http.StatusOK {
			t.Fatalf("advance clock: status %d", st)
		}
	}
	ep.next(t, 3*time.Second)
	n := s.waitNotification(t, id, 3*time.Second, func(n notificationView) bool { return n.Status == "FAILED" })
	if n.Attempts != 16 || len(n.Deliveries) != 16 || n.NextAttemptTime != "" {
		t.Fatalf("FAILED after %d attempts, %d deliveries, next %q; want 16, 16, none", n.Attempts, len(n.Deliveries), n.NextAttemptTime)
	}
	for i, d := range n.Deliveries {
		if d.Number != i+1 || d.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("delivery %d = %+v", i, d)
		}
	}
	ep.quiet(t, 300*time.Millisecond)

	ep.answer()
	var resent struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Attempts int    `json:"attempts"`
		Delivery struct {
			Number     int `json:"number"`
			StatusCode int `json:"status_code"`
		} `json:"delivery"`
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/notifications/"+n.ID+"/resend", nil, &resent); st != http.StatusOK {
		t.Fatalf("resend: status %d", st)
	}
	if resent.ID != n.ID || resent.Status != "DELIVERED" || resent.Attempts != 17 || resent.Delivery.Number != 17 || resent.Delivery.StatusCode != 200 {
		t.Errorf("resend = %+v, want attempt 17 answered 200 and DELIVERED", resent)
	}
	if got := ep.next(t, time.Second).result; got.RefundID != id || got.RefundStatus != "ABNORMAL" {
		t.Errorf("re-sent notification = %+v", got)
	}

	var e struct{ Code string }
	if st := s.sandbox(t, "POST", "/sandbox/v1/notifications/unknown/resend", nil, &e); st != 404 || e.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("resend unknown = %d %s, want 404 RESOURCE_NOT_EXISTS", st, e.Code)
	}
}

// Ensure a notification pending after a failure survives a restart, and that advancing
// the business clock makes its retry fire — signed with real time, so that the SDK's
// 5-minute window still accepts it an hour of business time later.
func TestNotify_Restart(t *testing.T) {
	s := startServer(t)
	direct := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct), 500)

	id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
	s.settleTo(t, id, "SUCCESS")
	ep.next(t, 3*time.Second)
	s.waitNotification(t, id, 2*time.Second, func(n notificationView) bool { return n.Attempts == 1 && n.Status == "PENDING" })
	s.stop()

	s2 := startServerIn(t, s.dir)
	if st := s2.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": 3600}, nil); st != http.StatusOK {
		t.Fatalf("advance clock: status %d", st)
	}
	if got := ep.next(t, 3*time.Second).result; got.RefundID != id {
		t.Errorf("after restart, refund_id = %s, want %s", got.RefundID, id)
	}
	n := s2.waitNotification(t, id, 2*time.Second, func(n notificationView) bool { return n.Status == "DELIVERED" })
	if got := statusCodes(n); len(got) != 2 || got[0] != 500 || got[1] != 200 {
		t.Errorf("deliveries across the restart = %v, want 500, 200", got)
	}
}

// Ensure a notification in flight when the server stops is delivered again after a
// restart once its lease runs out, and that with --notify-time-scale the lease shrinks
// to its floor: longer than the 5 s a merchant has to answer, so a slow answer is never
// overtaken by a second delivery, but well under the 10 s of the real scale.
func TestNotify_RestartMidDelivery(t *testing.T) {
	s := startServer(t, "--notify-time-scale", "0.001")
	direct := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct))
	ep.hang()

	id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
	s.settleTo(t, id, "SUCCESS")
	first := ep.next(t, 3*time.Second)
	s.stop()
	ep.unhang()

	s2 := startServerIn(t, s.dir, "--notify-time-scale", "0.001")
	second := ep.next(t, 15*time.Second)
	d := second.at.Sub(first.at)
	t.Logf("delivered again %v after the cut-off delivery", d.Round(time.Millisecond))
	if d < 5*time.Second || d > 8*time.Second {
		t.Errorf("delivered again %v after the delivery the stop cut off, want between the 5 s timeout and 8 s (a lease of 6 s)", d.Round(time.Millisecond))
	}
	if second.result.RefundID != id {
		t.Errorf("refund_id = %s, want %s", second.result.RefundID, id)
	}
	n := s2.waitNotification(t, id, 3*time.Second, func(n notificationView) bool { return n.Status == "DELIVERED" })
	if got := statusCodes(n); len(got) != 1 || got[0] != 200 {
		t.Errorf("deliveries = %v, want one 200: the cut-off one is never recorded", got)
	}
}
