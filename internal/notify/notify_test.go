package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

const (
	mchid    = "1900000101"
	apiv3Key = "0123456789abcdef0123456789abcdef"
)

type fixture struct {
	svc      *pay.Service
	platform *identity.Platform
}

// newFixture returns a service over a fresh SQLite store with one direct merchant and
// the platform identity.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureOver(t, func(s pay.Store) pay.Store { return s })
}

// newFixtureOver is newFixture with the service's store wrapped by wrap.
func newFixtureOver(t testing.TB, wrap func(pay.Store) pay.Store) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	store := storetest.NewSQLite(t)
	p, _, err := identity.EnsureInstallation(ctx, dir, store, time.Now())
	if err != nil {
		t.Fatalf("EnsureInstallation: %v", err)
	}
	storetest.Merchants(t, store, &pay.Merchant{Mchid: mchid, Kind: pay.KindDirect, Appid: "wx1111111111111111", APIv3Key: apiv3Key})
	return &fixture{svc: pay.NewService(wrap(store), pay.Simulated{}, pay.NewClock(nil)), platform: p}
}

var seq atomic.Int64

// owe makes a refund that settles SUCCESS and so owes a notification to url; it
// returns the refund's id.
func (f *fixture) owe(t testing.TB, url string) string {
	t.Helper()
	ctx := t.Context()
	tr, err := f.svc.Orders.Create(ctx, pay.OrderRequest{Mchid: mchid, Total: 100})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	r, err := f.svc.Refunds.Apply(ctx, pay.ApplyRequest{
		API: pay.APIDomestic, Caller: mchid, TransactionID: tr.ID,
		OutRefundNo: "R" + strconv.FormatInt(seq.Add(1), 10), NotifyURL: url, Refund: 100, Total: 100,
	})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, err := f.svc.Refunds.Settle(ctx, r.ID, pay.StatusSuccess); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	return r.ID
}

// notification returns refundID's only notification and its attempts.
func (f *fixture) notification(t *testing.T, refundID string) (*pay.Notification, []*pay.Attempt) {
	t.Helper()
	ns, as, err := f.svc.Notifications.OfRefund(t.Context(), refundID)
	if err != nil || len(ns) != 1 {
		t.Fatalf("Notifications(%s) = %d, %v; want one", refundID, len(ns), err)
	}
	return ns[0], as[ns[0].ID]
}

// wait polls until refundID's notification satisfies ok.
func (f *fixture) wait(t *testing.T, refundID string, ok func(*pay.Notification) bool) (*pay.Notification, []*pay.Attempt) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, as := f.notification(t, refundID)
		if ok(n) {
			return n, as
		}
		if time.Now().After(deadline) {
			t.Fatalf("notification of %s = %+v, still not as wanted", refundID, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run starts d until the test ends, and returns a func that stops it and waits.
func run(t *testing.T, d *notify.Deliverer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Error("Run did not return within 2s of its context's end")
		}
	})
	t.Cleanup(stop)
	return stop
}

// checkSigned verifies a delivery the way a merchant must: the platform signature over
// "ts\nnonce\nbody\n" and the resource under the merchant's APIv3 key.
func checkSigned(t *testing.T, p *identity.Platform, r *http.Request, body []byte) {
	t.Helper()
	ts, err := strconv.ParseInt(r.Header.Get("Wechatpay-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Errorf("Wechatpay-Timestamp = %q, want the real time now", r.Header.Get("Wechatpay-Timestamp"))
	}
	msg := wxcrypto.ResponseMessage(ts, r.Header.Get("Wechatpay-Nonce"), body)
	if err := wxcrypto.Verify(&p.Key.PublicKey, msg, r.Header.Get("Wechatpay-Signature")); err != nil {
		t.Errorf("signature: %v", err)
	}
	var env struct {
		Resource wxcrypto.Resource `json:"resource"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Errorf("body %s: %v", body, err)
	}
	if _, err := wxcrypto.Decrypt(apiv3Key, env.Resource); err != nil {
		t.Errorf("decrypt resource: %v", err)
	}
}

// newServer is a merchant endpoint running h, which must return once release is
// closed: the test's end closes it before closing the server.
func newServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, release <-chan struct{})) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server notice the client hanging up
		// and cancel r.Context().
		io.Copy(io.Discard, r.Body)
		h(w, r, release)
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

// Ensure an endpoint that does not answer within the timeout is a failed attempt, and
// the notification is scheduled for the first retry.
func TestDeliverer_Timeout(t *testing.T) {
	f := newFixture(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	id := f.owe(t, srv.URL)
	run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform, Timeout: 50 * time.Millisecond}))

	n, as := f.wait(t, id, func(n *pay.Notification) bool { return n.Attempts == 1 })
	if n.Status != pay.NotifyPending || len(as) != 1 {
		t.Fatalf("after a timeout: status %s, %d attempts; want PENDING, 1", n.Status, len(as))
	}
	if a := as[0]; a.StatusCode != 0 || a.Error != "no answer within 50ms" || a.Latency < 50*time.Millisecond {
		t.Errorf("attempt = %+v, want no status, error %q, latency at least the timeout", a, "no answer within 50ms")
	}
	if wait := time.Until(n.NextAttemptAt); wait < 14*time.Second || wait > 15*time.Second {
		t.Errorf("next attempt in %v, want the first retry in 15s", wait)
	}
}

// Ensure one URL never has more than PerURL deliveries in flight, and its backlog does
// not hold up a notification to another URL.
func TestDeliverer_PerURL(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	active, peak, slowDone := 0, 0, 0
	slowHits := map[string]int{}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		checkSigned(t, f.platform, r, body)
		mu.Lock()
		active++
		peak = max(peak, active)
		var env struct{ ID string }
		json.Unmarshal(body, &env)
		slowHits[env.ID]++
		mu.Unlock()
		time.Sleep(150 * time.Millisecond)
		mu.Lock()
		active--
		slowDone++
		mu.Unlock()
	}))
	t.Cleanup(slow.Close)
	fastDoneAfter := make(chan int, 1)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fastDoneAfter <- slowDone
	}))
	t.Cleanup(fast.Close)

	var slowIDs []string
	for range 5 {
		slowIDs = append(slowIDs, f.owe(t, slow.URL))
	}
	fastID := f.owe(t, fast.URL)
	run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform, Workers: 3, PerURL: 2}))

	select {
	case n := <-fastDoneAfter:
		if n >= 4 {
			t.Errorf("other URL delivered after %d of the slow URL's 5, want it not to wait for them", n)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("other URL not delivered")
	}
	for _, id := range append(slowIDs, fastID) {
		f.wait(t, id, func(n *pay.Notification) bool { return n.Status == pay.NotifyDelivered })
	}
	mu.Lock()
	defer mu.Unlock()
	if peak != 2 {
		t.Errorf("peak deliveries in flight to one URL = %d, want PerURL = 2", peak)
	}
	for id, hits := range slowHits {
		if hits != 1 {
			t.Errorf("notification %s delivered %d times, want once", id, hits)
		}
	}
}

type failFirst struct{ calls atomic.Int64 }

func (f *failFirst) NotifyFault(n *pay.Notification) (string, bool) {
	if f.calls.Add(1) == 1 {
		return "fault rule 7", true
	}
	return "", false
}

// Ensure a delivery a fault rule fails is still sent, counts as failed with the rule's
// reason, and is retried.
func TestDeliverer_Faults(t *testing.T) {
	f := newFixture(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	id := f.owe(t, srv.URL)
	run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform, Scale: 0.001, Faults: &failFirst{}}))

	_, as := f.wait(t, id, func(n *pay.Notification) bool { return n.Status == pay.NotifyDelivered })
	got := ""
	for _, a := range as {
		got += fmt.Sprintf("%d:%d:%s ", a.Number, a.StatusCode, a.Error)
	}
	if want := "1:200:fault rule 7 2:200: "; got != want {
		t.Errorf("attempts = %q, want %q", got, want)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("endpoint hit %d times, want 2: a faulted delivery is still sent", n)
	}
}

// Ensure a delivery cut off by a stop is not recorded, and its lease brings it back to
// the next run: at least once.
func TestDeliverer_StopAbandons(t *testing.T) {
	f := newFixture(t)
	var hang atomic.Bool
	hang.Store(true)
	arrived := make(chan struct{}, 10)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		arrived <- struct{}{}
		if hang.Load() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	id := f.owe(t, srv.URL)

	stop := run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform}))
	<-arrived
	stop()
	n, as := f.notification(t, id)
	if n.Status != pay.NotifyPending || len(as) != 0 || !n.NextAttemptAt.After(f.svc.Time.Clock().Now()) {
		t.Fatalf("after a stop mid-delivery: %s, %d attempts, next %v; want PENDING, none, leased", n.Status, len(as), n.NextAttemptAt)
	}

	hang.Store(false)
	if _, err := f.svc.Time.Advance(t.Context(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform}))
	_, as = f.wait(t, id, func(n *pay.Notification) bool { return n.Status == pay.NotifyDelivered })
	if len(as) != 1 || as[0].StatusCode != 200 {
		t.Errorf("attempts after the lease ran out = %+v, want one 200", as)
	}
}

// Ensure the lease that brings back a delivery cut off by a stop (or a crash) follows the
// time scale, as retries do, but never runs out while a delivery may still be waiting
// for its answer: never under the 5 s timeout plus a second.
func TestDeliverer_LeaseScales(t *testing.T) {
	tests := []struct {
		scale float64
		lease time.Duration
	}{
		{1, 10 * time.Second},
		{3, 30 * time.Second},
		{0.5, 6 * time.Second},
		{0.001, 6 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scale), func(t *testing.T) {
			f := newFixture(t)
			arrived := make(chan struct{}, 1)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			})
			id := f.owe(t, srv.URL)
			before := f.svc.Time.Clock().Now().Truncate(time.Millisecond) // as stored
			stop := run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform, Scale: tt.scale}))
			<-arrived
			after := f.svc.Time.Clock().Now()
			stop()
			n, _ := f.notification(t, id)
			if n.NextAttemptAt.Before(before.Add(tt.lease)) || n.NextAttemptAt.After(after.Add(tt.lease)) {
				t.Errorf("claimed between %v and %v, due again at %v; want a lease of %v", before, after, n.NextAttemptAt, tt.lease)
			}
		})
	}
}
