package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// cutProxy forwards TCP connections to a database until cut: then it drops the
// connections to the database and leaves the clients' connections, old and new, open and
// unanswered, as a network partition does. Mended, it forwards new connections again.
type cutProxy struct {
	ln              net.Listener
	network, target string

	mu    sync.Mutex
	cut   bool
	conns []net.Conn // every connection open, both sides
}

func newCutProxy(t *testing.T, network, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, network: network, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
	})
	go p.accept()
	return p
}

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		cut := p.cut
		p.mu.Unlock()
		if cut {
			continue // held open, never answered
		}
		up, err := net.Dial(p.network, p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, up)
		p.mu.Unlock()
		go io.Copy(up, c)
		go io.Copy(c, up)
	}
}

// setCut cuts the database off (true) or mends the link (false). Cutting closes the
// database's side of every connection but not the clients': they hang. Mending closes
// the clients' hung connections, as a partition's end lets the resets through.
func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	p.cut = cut
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		if cut && c.LocalAddr().String() == p.ln.Addr().String() {
			// A client's connection: keep it, unread.
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			continue
		}
		c.Close()
	}
}

func (p *cutProxy) closeAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Ensure that while the database is unreachable, /readyz says so and requests fail with
// SYSTEM_ERROR within the store timeout instead of hanging or succeeding unstored, and
// that the node recovers by itself once the database is back.
func TestServe_DatabaseOutage(t *testing.T) {
	requirePostgres(t)
	s := startServer(t) // its own database, from the template
	s.stop()
	u, err := url.Parse(dbFor(t, s.dir))
	if err != nil {
		t.Fatal(err)
	}
	network, addr := dbAddr(t, u)
	proxy := newCutProxy(t, network, addr)
	u.Host = proxy.ln.Addr().String()
	const timeout = 1 * time.Second
	s = startServerIn(t, s.dir, "--db", u.String(), "--store-timeout", timeout.String())

	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	apply := func(no string) (*refunddomestic.Refund, error) {
		r, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
			TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(no),
			Amount: &refunddomestic.AmountReq{Refund: core.Int64(100), Total: core.Int64(1000), Currency: core.String("CNY")},
		})
		return r, err
	}
	if _, err := apply("OUT-1"); err != nil {
		t.Fatalf("apply before the outage: %v", err)
	}

	proxy.setCut(true)
	// The bound: the store timeout, plus the time the client and server need besides.
	const bound = timeout + 3*time.Second
	began := time.Now()
	resp, _ := s.get(t, "/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || time.Since(began) > bound {
		t.Errorf("/readyz during the outage: %d after %v, want 503 within %v", resp.StatusCode, time.Since(began), bound)
	}
	if resp, _ := s.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz during the outage: %d, want 200 (the process is alive)", resp.StatusCode)
	}
	began = time.Now()
	_, err = apply("OUT-2")
	if took := time.Since(began); took > bound {
		t.Errorf("apply during the outage took %v, want under %v", took, bound)
	}
	if ae := apiError(t, err); ae.StatusCode != http.StatusInternalServerError || ae.Code != "SYSTEM_ERROR" {
		t.Errorf("apply during the outage: %d %s, want 500 SYSTEM_ERROR", ae.StatusCode, ae.Code)
	}

	proxy.setCut(false)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, _ := s.get(t, "/readyz"); resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after the outage")
		}
	}
	if _, err := apply("OUT-2"); err != nil {
		t.Fatalf("apply after the outage: %v", err)
	}
	got := s.order(t, o.TransactionID)
	var sum int64
	for _, r := range got.Refunds {
		sum += r.Amount.Refund
	}
	if len(got.Refunds) != 2 || sum != 200 {
		t.Errorf("after the outage: %d refunds of %d in all, want OUT-1 and OUT-2, 200", len(got.Refunds), sum)
	}
}

// dbAddr is where the database at u listens, and takes the host out of u's query: a
// unix socket (host=/dir, as .ci/postgres gives) or a TCP address.
func dbAddr(t *testing.T, u *url.URL) (network, addr string) {
	t.Helper()
	q := u.Query()
	dir := q.Get("host")
	if !strings.HasPrefix(dir, "/") {
		return "tcp", u.Host
	}
	q.Del("host")
	u.RawQuery = q.Encode()
	socks, _ := filepath.Glob(filepath.Join(dir, ".s.PGSQL.*"))
	socks = slices.DeleteFunc(socks, func(s string) bool { return strings.HasSuffix(s, ".lock") })
	if len(socks) != 1 {
		t.Fatalf("want one PostgreSQL socket in %s, found %v", dir, socks)
	}
	return "unix", socks[0]
}
