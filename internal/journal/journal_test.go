package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

func entry(i int) *pay.JournalEntry {
	return &pay.JournalEntry{At: time.Unix(1700000000+int64(i), 0), Node: "n1", RequestID: fmt.Sprintf("R-%d", i),
		Mchid: "1900000109", API: "refund.apply", Method: "POST", Target: "/v3/refund/domestic/refunds", Status: 200}
}

// Ensure the journal keeps the newest Keep entries, oldest dropped first, and reads back
// through Entries and Entry.
func TestRecorder_Keeps(t *testing.T) {
	ctx := t.Context()
	store := storetest.NewSQLite(t)
	r := New(store, Config{Keep: 5, Batch: 3})
	for i := range 12 {
		r.Record(entry(i))
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := r.Entries(ctx, pay.JournalFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range es {
		ids = append(ids, e.RequestID)
	}
	if got, want := strings.Join(ids, ","), "R-11,R-10,R-9,R-8,R-7"; got != want {
		t.Errorf("entries = %s, want %s", got, want)
	}
	e, err := r.Entry(ctx, es[0].ID)
	if err != nil || e.RequestID != "R-11" || e.Mchid != "1900000109" {
		t.Errorf("Entry(%d) = %+v, %v, want R-11", es[0].ID, e, err)
	}
	if _, err := r.Entry(ctx, es[len(es)-1].ID-1); !errors.Is(err, pay.ErrNotFound) {
		t.Errorf("Entry of a trimmed entry: %v, want ErrNotFound", err)
	}
}

// Ensure Record neither blocks nor grows the queue when the writer is behind: the excess
// is dropped and counted.
func TestRecorder_RecordNeverBlocks(t *testing.T) {
	store := storetest.NewSQLite(t)
	r := New(store, Config{Keep: 100, Queue: 4, Batch: 2})
	done := make(chan struct{})
	go func() {
		for i := range 10 {
			r.Record(entry(i)) // no Run: nothing drains the queue
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a full queue")
	}
	if got := r.Dropped(); got != 6 {
		t.Errorf("Dropped = %d, want 6", got)
	}
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if es, _ := r.Entries(t.Context(), pay.JournalFilter{Limit: 100}); len(es) != 4 {
		t.Errorf("%d entries written, want the 4 queued", len(es))
	}
}

// Ensure Run writes on its ticks and writes what is still queued when its context ends.
func TestRecorder_Run(t *testing.T) {
	store := storetest.NewSQLite(t)
	ticks := make(chan time.Time)
	r := New(store, Config{Keep: 100, Ticks: ticks})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	r.Record(entry(1))
	ticks <- time.Now()
	ticks <- time.Now() // the first tick's write is over once Run takes the second
	if es, _ := r.Entries(t.Context(), pay.JournalFilter{Limit: 10}); len(es) != 1 {
		t.Errorf("after a tick: %d entries, want 1", len(es))
	}
	r.Record(entry(2))
	cancel()
	<-done
	if es, _ := r.Entries(t.Context(), pay.JournalFilter{Limit: 10}); len(es) != 2 {
		t.Errorf("after Run returned: %d entries, want 2", len(es))
	}
}

// failingStore refuses every write.
type failingStore struct{ pay.Store }

func (failingStore) Update(context.Context, func(pay.Tx) error) error { return errors.New("disk full") }

// Ensure a failed write is logged once, not once per batch, and its entries dropped.
func TestRecorder_WriteFails(t *testing.T) {
	var logs strings.Builder
	r := New(failingStore{storetest.NewSQLite(t)}, Config{Keep: 10, Batch: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := range 3 {
		r.Record(entry(i))
	}
	if err := r.Flush(t.Context()); err == nil {
		t.Error("Flush: no error, want the store's")
	}
	r.Record(entry(4))
	r.Flush(t.Context())
	if n := strings.Count(logs.String(), "disk full"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, logs.String())
	}
	if len(r.queue) != 0 {
		t.Errorf("%d entries still queued, want them dropped", len(r.queue))
	}
}

// Ensure Capture records what the handler read and answered, masked, with what the
// handler put in the exchange, and leaves both untouched for the client and handler.
func TestCapture(t *testing.T) {
	store := storetest.NewSQLite(t)
	clock := time.Unix(1700000000, 0)
	r := New(store, Config{Keep: 10, Now: func() time.Time { clock = clock.Add(5 * time.Millisecond); return clock }})
	reqBody := `{"out_refund_no":"R-1","bank_account":"` + cipher + `"}`
	h := r.Capture(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if string(b) != reqBody {
			t.Errorf("handler read %q, want %q", b, reqBody)
		}
		ex := jsonapi.ExchangeOf(req)
		ex.API, ex.Mchid, ex.Code = "refund.abnormal", "1900000109", "SIGN_ERROR"
		ex.Diagnosis = &jsonapi.Diagnosis{Cause: "the body changed after signing", Reason: "message_mismatch"}
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"code":"SIGN_ERROR","message":"bad"}`)
	}))
	srv := httptest.NewServer(jsonapi.Common(h, slog.New(slog.DiscardHandler), "n1"))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v3/refund/domestic/refunds/1/apply-abnormal-refund?x=1", strings.NewReader(reqBody))
	req.Header.Set("Authorization", `WECHATPAY2-SHA256-RSA2048 mchid="1900000109",signature="`+signature+`"`)
	req.Header.Set("Cookie", "a=b")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || string(answer) != `{"code":"SIGN_ERROR","message":"bad"}` {
		t.Errorf("client got %d %s, want the handler's answer", resp.StatusCode, answer)
	}
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	es, _ := r.Entries(t.Context(), pay.JournalFilter{Limit: 10})
	if len(es) != 1 {
		t.Fatalf("%d entries, want 1", len(es))
	}
	e := es[0]
	if e.Node != "n1" || e.RequestID != resp.Header.Get("Request-ID") || e.API != "refund.abnormal" || e.Mchid != "1900000109" ||
		e.Method != "POST" || e.Target != "/v3/refund/domestic/refunds/1/apply-abnormal-refund?x=1" || e.Status != 401 || e.Code != "SIGN_ERROR" ||
		e.Latency != 5*time.Millisecond {
		t.Errorf("entry = %+v", e)
	}
	if !strings.Contains(e.Request, `"out_refund_no":"R-1"`) || strings.Contains(e.Request, cipher) || strings.Contains(e.Request, signature) ||
		strings.Contains(e.Request, "Cookie") || !strings.Contains(e.Request, `mchid="1900000109"`) {
		t.Errorf("request = %q, want the body and Authorization masked, no cookie", e.Request)
	}
	if e.Answer != `{"code":"SIGN_ERROR","message":"bad"}` {
		t.Errorf("answer = %q", e.Answer)
	}
	var d jsonapi.Diagnosis
	if err := json.Unmarshal([]byte(e.Diagnosis), &d); err != nil || d.Cause == "" {
		t.Errorf("diagnosis = %q (%v), want the cause", e.Diagnosis, err)
	}
}

// Ensure a handler's panic is recorded as a 500 SYSTEM_ERROR and still reaches Common,
// which answers it.
func TestCapture_Panic(t *testing.T) {
	store := storetest.NewSQLite(t)
	r := New(store, Config{Keep: 10})
	h := r.Capture(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { panic("boom") }))
	srv := httptest.NewServer(jsonapi.Common(h, slog.New(slog.DiscardHandler), ""))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/pay/refundquery")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want Common's 500", resp.StatusCode)
	}
	r.Flush(t.Context())
	es, _ := r.Entries(t.Context(), pay.JournalFilter{Limit: 10})
	if len(es) != 1 || es[0].Status != 500 || es[0].Code != "SYSTEM_ERROR" || es[0].Target != "/pay/refundquery" {
		t.Errorf("entries = %+v, want one 500 SYSTEM_ERROR", es)
	}
}

// Ensure an entry waits in the queue with its bodies raw only while they are small: a
// large one is masked before it is queued, so a full queue holds little.
func TestCapture_MasksLargeBodiesAtOnce(t *testing.T) {
	r := New(storetest.NewSQLite(t), Config{Keep: 10})
	for _, size := range []int{100, lazyLimit + 1} {
		body := `{"sign":"` + strings.Repeat("A", size) + `"}`
		h := r.Capture(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { io.ReadAll(req.Body) }))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v3/x", strings.NewReader(body)))
		q := <-r.queue
		if raw := q.req != nil; raw != (size <= lazyLimit) {
			t.Errorf("body of %d bytes queued raw = %t, want %t", len(body), raw, size <= lazyLimit)
		}
		q.mask()
		if strings.Contains(q.entry.Request, "AAAA") {
			t.Errorf("masked request %.80q keeps the secret", q.entry.Request)
		}
	}
}
