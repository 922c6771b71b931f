package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// get fetches path from s without authentication and returns the answer, its body read.
func (s *testServer) get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	resp, err := (&http.Client{Transport: s.transport, Timeout: 30 * time.Second}).Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Ensure the node's name prefixes the Request-IDs it makes and is in its log lines, so
// that a request a client reports is found in the right node's log.
func TestServe_NodeName(t *testing.T) {
	s := startServer(t, "--node", "web-7", "--log-level", "info")
	resp, _ := s.get(t, "/v3/refund/domestic/refunds/R1")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned query: status %d, want 401", resp.StatusCode)
	}
	id := resp.Header.Get("Request-ID")
	rest, ok := strings.CutPrefix(id, "web-7:")
	if !ok || rest == "" || strings.Contains(rest, ":") {
		t.Errorf("Request-ID = %q, want web-7:<id>", id)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "request_id="+id) {
		t.Errorf("no log line names request %s:\n%s", id, logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.Contains(line, " node=web-7") {
			t.Errorf("log line without node=web-7: %s", line)
		}
	}
}

// Ensure the banner names the node and the store, and never the database password.
func TestServe_Banner(t *testing.T) {
	var b bytes.Buffer
	printConnect(&b, "http://127.0.0.1:1", config{Data: "d", Node: "web-7", DB: "postgres://tuikuan:hunter2@db/tuikuan"})
	out := b.String()
	if !strings.Contains(out, "node web-7") || !strings.Contains(out, "PostgreSQL postgres://tuikuan:xxxxx@db/tuikuan") {
		t.Errorf("banner:\n%s\nwant the node and the redacted database URL", out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("banner shows the database password:\n%s", out)
	}
}

// Ensure /readyz answers 200 while the store answers, and /healthz stays plain liveness.
func TestServe_Readyz(t *testing.T) {
	s := startServer(t)
	for _, path := range []string{"/readyz", "/healthz"} {
		if resp, body := s.get(t, path); resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, resp.StatusCode, body)
		}
	}
}

// requirePostgres skips a test that needs a PostgreSQL server.
func requirePostgres(t testing.TB) {
	t.Helper()
	if testDB == "" {
		t.Skip("TUIKUAN_TEST_DB is not set: the test needs PostgreSQL")
	}
}

// startNodes starts n servers on one database and copies of one data dir, as several
// nodes behind a load balancer run.
func startNodes(t *testing.T, n int, args ...string) []*testServer {
	t.Helper()
	first := startServer(t, args...)
	db := dbFor(t, first.dir)
	nodes := []*testServer{first}
	for range n - 1 {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(first.dir)); err != nil {
			t.Fatal(err)
		}
		// The harness knows a server is up by the credentials.json it writes.
		if err := os.Remove(filepath.Join(dir, identity.CredentialsFile)); err != nil {
			t.Fatal(err)
		}
		shareDB(dir, db)
		node := startServerIn(t, dir, args...)
		if node.base == first.base {
			t.Fatalf("node %d answers at the first node's %s", len(nodes), node.base)
		}
		nodes = append(nodes, node)
	}
	return nodes
}

// Ensure concurrent applies for one order, spread over two nodes on one database, never
// refund more than was paid, and refund each out_refund_no once: a pair of requests with
// one out_refund_no, one to each node, gets one refund.
func TestNodes_ConcurrentRefunds(t *testing.T) {
	requirePostgres(t)
	nodes := startNodes(t, 2, "--rate-limit", "off", "--log-level", "error")
	m := nodes[0].merchant(t, "direct")
	clients := []refunddomestic.RefundsApiService{
		{Client: nodes[0].wechatpayClient(t, m)},
		{Client: nodes[1].wechatpayClient(t, m)},
	}
	const paid, each, pairs = 1000, 70, 24 // 24 × 70 > 1000: some must be refused
	o := nodes[0].pay(t, map[string]any{"mchid": m.Mchid, "total": paid})

	type result struct {
		no, id string
		err    error
	}
	results := make(chan result, 2*pairs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 * pairs {
		no := "P" + string(rune('A'+i/2/10)) + string(rune('0'+i/2%10))
		wg.Go(func() {
			<-start
			r, _, err := clients[i%2].Create(context.Background(), refunddomestic.CreateRequest{
				TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(no),
				Amount: &refunddomestic.AmountReq{Refund: core.Int64(each), Total: core.Int64(paid), Currency: core.String("CNY")},
			})
			res := result{no: no, err: err}
			if err == nil {
				res.id = *r.RefundId
			}
			results <- res
		})
	}
	close(start)
	wg.Wait()
	close(results)

	ids := map[string]string{} // out_refund_no → refund_id answered
	accepted, refused := 0, map[string]int{}
	for r := range results {
		if r.err != nil {
			ae := apiError(t, r.err)
			if ae.Code != "INVALID_REQUEST" && ae.Code != "SYSTEM_ERROR" && ae.Code != "FREQUENCY_LIMITED" {
				t.Errorf("%s: %d %s %s, want a refund or a refusal", r.no, ae.StatusCode, ae.Code, ae.Message)
			}
			refused[ae.Code+" "+ae.Message]++
			continue
		}
		accepted++
		if prev, ok := ids[r.no]; ok && prev != r.id {
			t.Errorf("%s answered with refunds %s and %s", r.no, prev, r.id)
		}
		ids[r.no] = r.id
	}
	if accepted == 0 {
		t.Fatalf("no apply accepted; logs:\n%s\n%s", nodes[0].logs, nodes[1].logs)
	}

	var got struct {
		Refunds []struct {
			RefundID    string `json:"refund_id"`
			OutRefundNo string `json:"out_refund_no"`
			Status      string `json:"status"`
			Amount      struct {
				Refund int64 `json:"refund"`
			} `json:"amount"`
		} `json:"refunds"`
	}
	if st := nodes[1].sandbox(t, "GET", "/sandbox/v1/transactions/"+o.TransactionID, nil, &got); st != http.StatusOK {
		t.Fatalf("get transaction: status %d", st)
	}
	var sum int64
	seen := map[string]bool{}
	for _, r := range got.Refunds {
		if seen[r.OutRefundNo] {
			t.Errorf("out_refund_no %s refunded twice", r.OutRefundNo)
		}
		seen[r.OutRefundNo] = true
		if id, ok := ids[r.OutRefundNo]; ok && id != r.RefundID {
			t.Errorf("%s: stored refund %s, answered %s", r.OutRefundNo, r.RefundID, id)
		}
		if r.Status != "CLOSED" {
			sum += r.Amount.Refund
		}
	}
	for no := range ids {
		if !seen[no] {
			t.Errorf("%s answered with a refund that is not stored", no)
		}
	}
	if sum > paid {
		t.Errorf("refunded %d of %d paid", sum, paid)
	}
	t.Logf("%d applies accepted, refused: %v; %d refunds stored, %d of %d refunded", accepted, refused, len(got.Refunds), sum, paid)
}

// Ensure two nodes starting together on a new database and one data dir (on storage
// both hosts mount) make one installation: exactly one of them creates the platform
// identity and the merchants, under the store's install lock, and both sign with it.
func TestNodes_FirstStartTogether(t *testing.T) {
	requirePostgres(t)
	dir := t.TempDir()
	getenv := envFor(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	var bases []string
	done := make(chan error, 2)
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		bases = append(bases, "http://"+addr)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", addr, "--data", dir, "--log-level", "error"}, getenv, io.Discard, io.Discard)
		}()
	}
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	})
	s := &testServer{dir: dir, transport: http.DefaultTransport.(*http.Transport).Clone()}
	for _, base := range bases {
		for deadline := time.Now().Add(60 * time.Second); !s.healthy(base); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not become healthy", base)
			}
		}
	}
	creds, err := identity.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.creds = creds
	if len(creds.Merchants) != 3 {
		t.Errorf("%d merchants, want the 3 of one installation", len(creds.Merchants))
	}
	if out, err := runCLI(t, "merchant", "list", "--data", dir); err != nil || strings.Count(out, "\n") != 4 {
		t.Errorf("merchant list = %v\n%s\nwant a header and the 3 merchants of one installation", err, out)
	}
	m := s.merchant(t, "direct")
	for _, base := range bases {
		s.base = base
		svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		// The SDK checks the answer's signature with the platform key of credentials.json.
		if _, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
			TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("F")),
			Amount: &refunddomestic.AmountReq{Refund: core.Int64(100), Total: core.Int64(100), Currency: core.String("CNY")},
		}); err != nil {
			t.Errorf("refund through %s: %v", base, err)
		}
	}
}

// Ensure a signed request one node accepted is refused when replayed on the other: the
// nodes share the nonces they have seen through the database.
func TestNodes_ReplayOnOtherNode(t *testing.T) {
	requirePostgres(t)
	nodes := startNodes(t, 2)
	m := nodes[0].merchant(t, "direct")
	o := nodes[0].pay(t, map[string]any{"mchid": m.Mchid, "total": 500})
	body := refundBody(o, uniq("RP"), 100)
	header := map[string]string{"Authorization": nodes[0].signer(t, m).authorize(t, "POST", refundsPath, body)}
	if a := nodes[0].send(t, "POST", refundsPath, body, header); a.status != http.StatusOK {
		t.Fatalf("first send: %d %s", a.status, a.body)
	}
	a := nodes[1].send(t, "POST", refundsPath, body, header)
	if e := a.error(t); a.status != http.StatusUnauthorized || e.Code != "SIGN_ERROR" {
		t.Errorf("replay on the other node: %d %s, want 401 SIGN_ERROR", a.status, a.body)
	}
}

// Ensure a fault rule added through one node acts on requests to the other, exactly the
// number of times it says, whichever node the requests reach.
func TestNodes_FaultOnOtherNode(t *testing.T) {
	requirePostgres(t)
	nodes := startNodes(t, 2)
	m := nodes[0].merchant(t, "direct")
	o := nodes[0].pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	nodes[0].addFault(t, map[string]any{"api": "refund.apply", "mchid": m.Mchid, "error": "SYSTEM_ERROR", "times": 3})
	one, two := nodes[0].refunder(t, "direct"), nodes[1].refunder(t, "direct")
	faulted := 0
	for i := range 8 {
		r := two
		if i%4 == 3 {
			r = one
		}
		_, err := r.apply(o, uniq("FN"), 10)
		if err == nil {
			continue
		}
		if ae := apiError(t, err); ae.Code != "SYSTEM_ERROR" {
			t.Fatalf("apply %d: %v, want success or the rule's SYSTEM_ERROR", i, err)
		}
		faulted++
	}
	if faulted != 3 {
		t.Errorf("the rule added on node 1 fired %d times over both nodes, want 3", faulted)
	}
}
