package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// buildTuikuan builds this command into a temporary dir and returns the binary's path.
func buildTuikuan(t *testing.T) string {
	t.Helper()
	bin := t.TempDir() + "/tuikuan"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childServer is `tuikuan serve` as a process of its own, so that a test can kill it
// as a machine dies: no deferred function, no shutdown, no last write.
type childServer struct {
	*testServer
	cmd  *exec.Cmd
	dead chan struct{} // closed once the process has exited
}

var listening = regexp.MustCompile(`is listening on (http://\S+)`)

// startNodeProcess runs bin serve on dir and database db and waits until it listens. Several
// children may share dir and db, as nodes on PostgreSQL do.
func startNodeProcess(t *testing.T, bin, dir, db, node string, args ...string) *childServer {
	t.Helper()
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--db", db,
		"--node", node, "--log-level", "error"}, args...)
	cmd := exec.Command(bin, all...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TUIKUAN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	logs := &lockedWriter{w: new(strings.Builder)}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childServer{cmd: cmd, dead: make(chan struct{})}
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
		cmd.Wait()
		close(c.dead)
	}()
	t.Cleanup(c.kill)
	select {
	case u := <-base:
		creds, err := identity.ReadCredentials(dir)
		if err != nil {
			t.Fatal(err)
		}
		c.testServer = &testServer{dir: dir, logs: logs, base: u, creds: creds, stop: c.kill,
			transport: http.DefaultTransport.(*http.Transport).Clone()}
		return c
	case <-c.dead:
		t.Fatalf("node %s exited: %v\n%s", node, cmd.ProcessState, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s did not start listening\n%s", node, logs.String())
	}
	return nil
}

// kill sends SIGKILL and waits for the process to go.
func (c *childServer) kill() {
	c.cmd.Process.Kill()
	<-c.dead
}

// notifyCounter is a merchant's notify_url that counts the REFUND.SUCCESS deliveries of
// each refund.
type notifyCounter struct {
	URL     string
	handler *notify.Handler
	wake    chan struct{}

	mu   sync.Mutex
	got  map[string]int // refund_id → deliveries
	bad  []error
	seen int
}

func newNotifyCounter(t *testing.T, h *notify.Handler) *notifyCounter {
	t.Helper()
	c := &notifyCounter{handler: h, wake: make(chan struct{}, 1), got: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.URL = srv.URL + "/notify"
	return c
}

func (c *notifyCounter) serve(w http.ResponseWriter, r *http.Request) {
	var res refundResult
	req, err := c.handler.ParseNotifyRequest(r.Context(), r, &res)
	c.mu.Lock()
	switch {
	case err != nil:
		c.bad = append(c.bad, err)
	case req.EventType == "REFUND.SUCCESS":
		c.got[res.RefundID]++
		c.seen++
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// missing lists the refunds of ids not yet notified; dups counts deliveries beyond the
// first of each.
func (c *notifyCounter) missing(ids []string) (missing []string, dups, deliveries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if c.got[id] == 0 {
			missing = append(missing, id)
		}
	}
	for _, k := range c.got {
		dups += max(k-1, 0)
	}
	return missing, dups, c.seen
}

// applyJob is one refund a client applies for.
type applyJob struct {
	order  paidOrder
	no     string
	amount int64
}

// applyOutcome is what the client saw.
type applyOutcome struct {
	applyJob
	id       string // the refund_id of a 200
	status   int    // 200, the API error's status, or 0 when no answer came
	code     string
	err      error
	took     time.Duration
	failover bool // sent again to another node after the first gave no answer
}

func (o applyOutcome) ok() bool { return o.status == http.StatusOK }

func apply(svc refunddomestic.RefundsApiService, j applyJob, notifyURL string) applyOutcome {
	began := time.Now()
	req := refunddomestic.CreateRequest{
		TransactionId: core.String(j.order.TransactionID), OutRefundNo: core.String(j.no),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(j.amount), Total: core.Int64(j.order.Total), Currency: core.String("CNY")},
	}
	if notifyURL != "" {
		req.NotifyUrl = core.String(notifyURL)
	}
	r, _, err := svc.Create(context.Background(), req)
	out := applyOutcome{applyJob: j, err: err, took: time.Since(began)}
	var ae *core.APIError
	switch {
	case err == nil:
		out.status, out.id = http.StatusOK, *r.RefundId
	case errors.As(err, &ae):
		out.status, out.code = ae.StatusCode, ae.Code
	}
	return out
}

// checkStored checks that every acknowledged refund is stored with its amount, and
// that no order is refunded beyond what was paid; it returns the refunds stored.
func checkStored(t *testing.T, s *testServer, svc refunddomestic.RefundsApiService, outcomes []applyOutcome) (stored []string) {
	t.Helper()
	orders := map[string]paidOrder{}
	for _, o := range outcomes {
		orders[o.order.TransactionID] = o.order
		if !o.ok() {
			continue
		}
		r, _, err := svc.QueryByOutRefundNo(context.Background(), refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(o.no)})
		if err != nil {
			t.Errorf("refund %s acknowledged with 200, then: %v", o.no, err)
			continue
		}
		if *r.RefundId != o.id || *r.Amount.Refund != o.amount {
			t.Errorf("refund %s: stored as %s of %d, acknowledged as %s of %d", o.no, *r.RefundId, *r.Amount.Refund, o.id, o.amount)
		}
	}
	for tx, paid := range orders {
		o := s.order(t, tx)
		var sum int64
		for _, r := range o.Refunds {
			sum += r.Amount.Refund
			stored = append(stored, r.RefundID)
		}
		if sum > paid.Total || o.Refunded > paid.Total {
			t.Errorf("order %s: %d refunded (%d by its refunds) of %d paid", tx, o.Refunded, sum, paid.Total)
		}
	}
	return stored
}

// Ensure that two nodes on one database, one of them killed (SIGKILL) in the middle of
// a load of refunds, lose nothing: every refund acknowledged with 200 by either is
// stored with its amount, no order is refunded beyond what was paid, and every refund
// that succeeds is notified at least once, by the node left.
func TestCrash_KillNode(t *testing.T) {
	requirePostgres(t)
	began := time.Now()
	bin := buildTuikuan(t)
	dir := copyTemplate(t)
	db := dbFor(t, dir)
	args := []string{"--rate-limit", "off", "--settle-delay", "200ms"}
	nodes := [2]*childServer{startNodeProcess(t, bin, dir, db, "a", args...), startNodeProcess(t, bin, dir, db, "b", args...)}
	a, b := nodes[0], nodes[1]
	t.Logf("built and started two nodes in %v", time.Since(began))
	m := b.merchant(t, "direct")
	counter := newNotifyCounter(t, b.publicKeyHandler(t, m))
	svcs := [2]refunddomestic.RefundsApiService{{Client: a.wechatpayClient(t, m)}, {Client: b.wechatpayClient(t, m)}}

	// 18 × 70 > 1000: each order takes 14 refunds and refuses the other 4.
	const orders, paid, each, perOrder, workers, killAfter = 6, 1000, 70, 18, 8, 30
	var paidOrders []paidOrder
	for range orders {
		paidOrders = append(paidOrders, b.pay(t, map[string]any{"mchid": m.Mchid, "total": paid}))
	}
	jobs := make(chan applyJob, orders*perOrder)
	for k := range perOrder {
		for i, o := range paidOrders {
			jobs <- applyJob{order: o, no: fmt.Sprintf("K%d-%02d", i, k), amount: each}
		}
	}
	close(jobs)

	var killed atomic.Bool
	var oks atomic.Int64
	killNow, killDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(killDone)
		select {
		case <-killNow:
		case <-time.After(30 * time.Second):
		}
		a.kill()
		killed.Store(true)
	}()
	results := make(chan applyOutcome, orders*perOrder)
	var wg sync.WaitGroup
	load := time.Now()
	for w := range workers {
		wg.Go(func() {
			n := w
			for j := range jobs {
				n++
				node := n % 2
				if killed.Load() {
					node = 1
				}
				out := apply(svcs[node], j, counter.URL)
				if node == 0 && out.status == 0 {
					// No answer from a: as a client behind a load balancer would, send
					// the same out_refund_no to the node left.
					out = apply(svcs[1], j, counter.URL)
					out.failover = true
				}
				if out.ok() && oks.Add(1) == killAfter {
					close(killNow)
				}
				results <- out
			}
		})
	}
	wg.Wait()
	close(results)
	select {
	case <-killDone:
	case <-time.After(40 * time.Second):
		t.Fatal("node a was never killed")
	}
	loadTook := time.Since(load)

	var outcomes []applyOutcome
	codes := map[string]int{}
	failovers := 0
	for o := range results {
		outcomes = append(outcomes, o)
		switch {
		case o.ok():
			codes["200"]++
		case o.status == 0:
			t.Errorf("refund %s: no answer from node b: %v", o.no, o.err)
		default:
			codes[fmt.Sprintf("%d %s", o.status, o.code)]++
			// The order's refusal of a refund beyond what is left of it.
			if o.status != http.StatusBadRequest || o.code != "INVALID_REQUEST" {
				t.Errorf("refund %s: %d %s, want 200 or 400 INVALID_REQUEST", o.no, o.status, o.code)
			}
		}
		if o.failover {
			failovers++
		}
	}
	stored := checkStored(t, b.testServer, svcs[1], outcomes)
	if want := orders * (paid / each); codes["200"] != want || len(stored) != want {
		t.Errorf("%d refunds acknowledged, %d stored; want %d of each (%d orders × %d)", codes["200"], len(stored), want, orders, paid/each)
	}

	// Settle everything, and let the leases of notifications the dead node held run out
	// (business time), so that the node left delivers them.
	if st := b.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": 60}, nil); st != http.StatusOK {
		t.Fatalf("advance the clock: %d", st)
	}
	deadline := time.After(20 * time.Second)
	for {
		missing, dups, deliveries := counter.missing(stored)
		if len(missing) == 0 {
			t.Logf("%d applies in %v, node a killed after %d 200s: %v, %d sent again to b after a gave no answer; "+
				"%d refunds stored; %d REFUND.SUCCESS deliveries, %d of them duplicates; %v in all",
				len(outcomes), loadTook.Round(time.Millisecond), killAfter, codes, failovers,
				len(stored), deliveries, dups, time.Since(began).Round(time.Millisecond))
			break
		}
		select {
		case <-counter.wake:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d refunds never notified, e.g. %s\nnode b's log:\n%s", len(missing), len(stored), missing[0], b.logs.String())
		}
	}
	counter.mu.Lock()
	for _, err := range counter.bad {
		t.Errorf("a notification the SDK refused: %v", err)
	}
	counter.mu.Unlock()
}

// ownPostgres starts a PostgreSQL cluster for the test alone with .ci/postgres, so
// that stopping it leaves the other tests' databases alone, and returns the script, the
// cluster's dir and its URL. It needs the server binaries that TUIKUAN_PG_DIR's cluster
// shows are here.
func ownPostgres(t *testing.T) (script, dir, url string) {
	t.Helper()
	if os.Getenv("TUIKUAN_PG_DIR") == "" {
		t.Skip("TUIKUAN_PG_DIR is not set: the test stops and starts a PostgreSQL cluster of its own with .ci/postgres, " +
			"which needs a server installed as for `eval \"$(.ci/postgres start)\"`")
	}
	script, err := filepath.Abs("../../.ci/postgres")
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(script, "start")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf(".ci/postgres start: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		switch v = strings.Trim(v, "'"); k {
		case "TUIKUAN_PG_DIR":
			dir = v
		case "TUIKUAN_TEST_DB":
			url = v
		}
	}
	if dir == "" || url == "" {
		t.Fatalf(".ci/postgres start said:\n%s", out)
	}
	t.Cleanup(func() { pgctl(t, script, "stop", dir) })
	return script, dir, url
}

// pgctl runs .ci/postgres verb dir.
func pgctl(t *testing.T, script, verb, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, script, verb, dir).CombinedOutput(); err != nil {
		t.Errorf(".ci/postgres %s: %v\n%s", verb, err, out)
	}
}

// loadTally is what a refund load has seen so far.
type loadTally struct {
	mu       sync.Mutex
	outcomes []applyOutcome
	oks      int
	errs     int // 500 SYSTEM_ERROR
	wake     chan struct{}
}

func (l *loadTally) add(o applyOutcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	switch {
	case o.ok():
		l.oks++
	case o.status == http.StatusInternalServerError:
		l.errs++
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// await waits until cond holds of the counts of 200s and 500s, failing the test after
// within.
func (l *loadTally) await(t *testing.T, what string, within time.Duration, cond func(oks, errs int) bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		l.mu.Lock()
		oks, errs := l.oks, l.errs
		l.mu.Unlock()
		if cond(oks, errs) {
			return
		}
		select {
		case <-l.wake:
		case <-deadline:
			t.Fatalf("%s: not within %v (%d 200s, %d 500s so far)", what, within, oks, errs)
		}
	}
}

// Ensure that a PostgreSQL stopped and started again under a load of refunds loses
// nothing and stalls nobody: requests while it is down fail with 500 SYSTEM_ERROR within
// the store timeout, every 200 is stored, and the node serves again by itself once the
// database is back.
func TestCrash_DatabaseRestart(t *testing.T) {
	requirePostgres(t)
	began := time.Now()
	script, pgDir, db := ownPostgres(t)
	const timeout = 2 * time.Second
	s := startServerIn(t, t.TempDir(), "--db", db, "--store-timeout", timeout.String(), "--rate-limit", "off")
	t.Logf("own PostgreSQL and a first start in %v", time.Since(began))
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	// Spread over orders: an order takes at most 50 partial refunds.
	const orders, workers, each = 20, 4, 10
	var paid []paidOrder
	for range orders {
		paid = append(paid, s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1_000_000}))
	}
	tally := &loadTally{wake: make(chan struct{}, 1)}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := paid[(i*workers+w)%orders]
				tally.add(apply(svc, applyJob{order: o, no: fmt.Sprintf("D%d-%04d", w, i), amount: each}, ""))
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()

	tally.await(t, "refunds before the restart", 30*time.Second, func(oks, _ int) bool { return oks >= 10 })
	downAt := time.Now()
	pgctl(t, script, "down", pgDir)
	tally.await(t, "SYSTEM_ERRORs while the database is down", 15*time.Second, func(_, errs int) bool { return errs >= 8 })
	pgctl(t, script, "up", pgDir)
	upAt := time.Now()
	tally.mu.Lock()
	okBefore := tally.oks
	tally.mu.Unlock()
	tally.await(t, "refunds after the restart", 30*time.Second, func(oks, _ int) bool { return oks >= okBefore+10 })
	recovered := time.Since(upAt)
	close(stop)
	wg.Wait()
	stop = make(chan struct{}) // for the deferred close

	const bound = timeout + 3*time.Second
	var slowest time.Duration
	var failed []applyOutcome
	for _, r := range tally.outcomes {
		slowest = max(slowest, r.took)
		if r.took > bound {
			t.Errorf("refund %s took %v, want under %v", r.no, r.took, bound)
		}
		switch {
		case r.ok():
		case r.status == http.StatusInternalServerError && r.code == "SYSTEM_ERROR":
			failed = append(failed, r)
		default:
			t.Errorf("refund %s: %d %s %v, want 200 or 500 SYSTEM_ERROR", r.no, r.status, r.code, r.err)
		}
	}
	// A 500 says nothing of whether the refund was stored; the client sends the same
	// out_refund_no again, and gets the one refund.
	storedAnyway := 0
	outcomes := slices.Clone(tally.outcomes)
	for i, r := range outcomes {
		if r.ok() {
			continue
		}
		if _, _, err := svc.QueryByOutRefundNo(context.Background(), refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(r.no)}); err == nil {
			storedAnyway++
		}
		if outcomes[i] = apply(svc, r.applyJob, ""); !outcomes[i].ok() {
			t.Errorf("refund %s sent again after the restart: %d %s %v", r.no, outcomes[i].status, outcomes[i].code, outcomes[i].err)
		}
	}
	if stored := checkStored(t, s, svc, outcomes); len(stored) != len(outcomes) {
		t.Errorf("%d refunds stored, want the %d applied for", len(stored), len(outcomes))
	}
	t.Logf("%d applies: %d 200s, %d 500 SYSTEM_ERROR (%d of them stored anyway, all 200 when sent again); "+
		"database down for %v, ten 200s again %v after it was up; slowest answer %v; %v in all",
		len(outcomes), len(outcomes)-len(failed), len(failed), storedAnyway,
		upAt.Sub(downAt).Round(time.Millisecond), recovered.Round(time.Millisecond), slowest.Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))
}
