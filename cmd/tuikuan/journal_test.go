package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-pay/gopay/wechat"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/journal"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Ensure a refund applied through wechatpay-go, a v2 refund query through gopay and a
// badly signed request are in the journal once the server has stopped: with their API,
// merchant, status and code, their bodies masked, the refused signature diagnosed; and
// that the sandbox API is not journaled.
func TestJournal(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})

	no := uniq("J")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	_, applied, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(no),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(300), Total: core.Int64(1000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, _, err := s.v2Client(t, m, "https", false).QueryRefund(ctx, v2QueryBody(wechat.SignType_HMAC_SHA256, "out_refund_no", no)); err != nil {
		t.Fatalf("QueryRefund: %v", err)
	}
	body := refundBody(o, uniq("JS"), 1)
	sg := s.signer(t, m)
	bad := s.send(t, "POST", refundsPath, body, map[string]string{
		"Authorization": sg.authorize(t, "POST", refundsPath, bytes.Replace(body, []byte(`"refund":1`), []byte(`"refund":2`), 1))})
	if bad.status != http.StatusUnauthorized {
		t.Fatalf("badly signed request = %d %s, want 401", bad.status, bad.body)
	}
	s.stop() // the journal is written by now, or never

	es := journalOf(t, s)
	byAPI := map[string][]*pay.JournalEntry{}
	for _, e := range es {
		if strings.HasPrefix(e.Target, "/sandbox/") {
			t.Errorf("the journal holds a sandbox request: %s %s", e.Method, e.Target)
		}
		byAPI[e.API] = append(byAPI[e.API], e)
	}
	apply := byAPI[endpoint.RefundApply]
	if len(apply) != 2 {
		t.Fatalf("%d refund.apply entries, want 2 (the refund and the badly signed one); all: %+v", len(apply), es)
	}
	ok, refused := apply[1], apply[0] // newest first
	if ok.Status != 200 || ok.Code != "" || ok.Mchid != m.Mchid || ok.Method != "POST" || ok.Target != refundsPath ||
		ok.RequestID != applied.Response.Header.Get("Request-ID") || ok.Node == "" || ok.Diagnosis != "" {
		t.Errorf("refund entry = %+v", ok)
	}
	if !strings.Contains(ok.Request, no) || !strings.Contains(ok.Request, `signature="***(`) || !strings.Contains(ok.Answer, no) {
		t.Errorf("refund entry request %q / answer %q, want the bodies and a hidden signature", ok.Request, ok.Answer)
	}
	if refused.Status != 401 || refused.Code != "SIGN_ERROR" || refused.Mchid != m.Mchid {
		t.Errorf("refused entry = %+v, want 401 SIGN_ERROR", refused)
	}
	var d jsonapi.Diagnosis
	if err := json.Unmarshal([]byte(refused.Diagnosis), &d); err != nil || d.Cause == "" {
		t.Errorf("refused entry's diagnosis = %q (%v), want a cause", refused.Diagnosis, err)
	}
	query := byAPI[endpoint.V2Query]
	if len(query) != 1 {
		t.Fatalf("%d v2.refundquery entries, want 1; all: %+v", len(query), es)
	}
	q := query[0]
	if q.Status != 200 || q.Mchid != m.Mchid || q.Target != "/pay/refundquery" || !strings.Contains(q.Request, no) ||
		!strings.Contains(q.Request, "<sign>***(") || !strings.Contains(q.Answer, "<return_code>SUCCESS</return_code>") ||
		!strings.Contains(q.Answer, "<sign>***(") {
		t.Errorf("v2 query entry = %+v", q)
	}
	for _, e := range es {
		for _, secret := range []string{m.APIv2Key, m.APIv3Key} {
			if strings.Contains(e.Request, secret) || strings.Contains(e.Answer, secret) || strings.Contains(e.Diagnosis, secret) {
				t.Errorf("entry %s %s holds a merchant key", e.Method, e.Target)
			}
		}
	}
}

// Ensure --journal 0 turns the journal off.
func TestJournal_Off(t *testing.T) {
	s := startServer(t, "--journal", "0")
	m := s.merchant(t, "direct")
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	if _, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("J0")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1), Total: core.Int64(1000), Currency: core.String("CNY")},
	}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	s.stop()
	if es := journalOf(t, s); len(es) != 0 {
		t.Errorf("%d journal entries, want none", len(es))
	}
}

// journalOf reads a stopped server's journal, newest first, through a Recorder on its
// store as the console does.
func journalOf(t *testing.T, s *testServer) []*pay.JournalEntry {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, s.dir, dbFor(t, s.dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	es, err := journal.New(store, journal.Config{Keep: 100}).Entries(ctx, pay.JournalFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return es
}
