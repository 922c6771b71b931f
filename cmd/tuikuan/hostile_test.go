package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Ensure a refund body that names amount.refund twice is refused, naming the key, and
// refunds nothing: encoding/json alone would refund the last of the two amounts.
func TestHostile_DuplicateJSONKey(t *testing.T) {
	for name, args := range map[string][]string{"Strict": nil, "Lenient": {"--lenient"}} {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, args...)
			m := s.merchant(t, "direct")
			o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 10000})
			body := []byte(`{"transaction_id":"` + o.TransactionID + `","out_refund_no":"` + uniq("D") +
				`","amount":{"refund":1,"refund":9999,"total":10000,"currency":"CNY"}}`)
			a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body)})
			if a.status != http.StatusBadRequest {
				t.Fatalf("POST %s with amount.refund twice = %d %s, want 400", refundsPath, a.status, a.body)
			}
			if e := a.error(t); e.Code != "PARAM_ERROR" || e.Detail.Field != "amount.refund" {
				t.Errorf("POST %s with amount.refund twice = %s field %q, want PARAM_ERROR field amount.refund", refundsPath, e.Code, e.Detail.Field)
			}
			if got := s.order(t, o.TransactionID).Refunded; got != 0 {
				t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
			}
		})
	}
}

// Ensure an Authorization header that names an item twice is a 401 SIGN_ERROR, even when
// one of the two values would verify.
func TestHostile_DuplicateAuthorizationItem(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	for name, item := range map[string]string{
		"MchidTwice":     `mchid="1900000999"`,
		"MchidTwiceSame": `mchid="` + m.Mchid + `"`,
		"NonceTwice":     `nonce_str="` + wxcrypto.Nonce(32) + `"`,
	} {
		t.Run(name, func(t *testing.T) {
			body := refundBody(o, uniq("A"), 1)
			p := s.signer(t, m).sign(t, "POST", refundsPath, time.Now().Unix(), wxcrypto.Nonce(32), body)
			// The signed value comes last, where a parser that keeps the last one finds it.
			h := strings.Replace(p.header(), "RSA2048 ", "RSA2048 "+item+",", 1)
			a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": h})
			if e := a.error(t); a.status != http.StatusUnauthorized || e.Code != "SIGN_ERROR" {
				t.Errorf("POST %s with %s = %d %s, want 401 SIGN_ERROR", refundsPath, name, a.status, a.body)
			}
		})
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
	}
}

// Ensure amount.currency is required in a domestic refund (必填) but not in an
// e-commerce one, and that --lenient still accepts a domestic refund without it.
func TestRefund_CurrencyRequired(t *testing.T) {
	withoutCurrency := func(o paidOrder) []byte {
		b, _ := json.Marshal(map[string]any{
			"transaction_id": o.TransactionID, "out_refund_no": uniq("C"),
			"amount": map[string]any{"refund": 1, "total": o.Total},
		})
		return b
	}
	t.Run("Strict", func(t *testing.T) {
		s := startServer(t)
		m := s.merchant(t, "direct")
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		body := withoutCurrency(o)
		a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body)})
		if e := a.error(t); a.status != http.StatusBadRequest || e.Code != "PARAM_ERROR" || e.Detail.Field != "amount.currency" {
			t.Errorf("POST %s without currency = %d %s, want 400 PARAM_ERROR field amount.currency", refundsPath, a.status, a.body)
		}
		if got := s.order(t, o.TransactionID).Refunded; got != 0 {
			t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
		}

		partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
		so := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 100})
		const ecommercePath = "/v3/ecommerce/refunds/apply"
		body, _ = json.Marshal(map[string]any{
			"sub_mchid": sub.Mchid, "sp_appid": partner.Appid, "out_trade_no": so.OutTradeNo, "out_refund_no": uniq("E"),
			"amount": map[string]any{"refund": 1, "total": 100},
		})
		a = s.send(t, "POST", ecommercePath, body, map[string]string{"Authorization": s.signer(t, partner).authorize(t, "POST", ecommercePath, body)})
		if a.status != http.StatusOK {
			t.Errorf("POST %s without currency = %d %s, want 200", ecommercePath, a.status, a.body)
		}
	})
	t.Run("Lenient", func(t *testing.T) {
		s := startServer(t, "--lenient")
		m := s.merchant(t, "direct")
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		body := withoutCurrency(o)
		a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body)})
		if a.status != http.StatusOK {
			t.Errorf("POST %s without currency, lenient = %d %s, want 200", refundsPath, a.status, a.body)
		}
	})
}

// rawExchange writes req to the server as is, closes the sending side, and reads the
// answer: what a client that sends less than it announced, or a path no client library
// would send, looks like on the wire.
func (s *testServer) rawExchange(t *testing.T, req string) answer {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer to %q: %v", req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// Ensure a body cut short of its Content-Length, a client that went away, is the
// client's fault: a 400, and no ERROR line in the log.
func TestHostile_ShortBody(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	body := refundBody(o, uniq("B"), 1)
	sent := body[:len(body)/2]
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json\r\n"+
		"Authorization: %s\r\nContent-Length: %d\r\n\r\n%s",
		refundsPath, strings.TrimPrefix(s.base, "http://"), s.signer(t, m).authorize(t, "POST", refundsPath, body), len(body), sent)
	a := s.rawExchange(t, req)
	if e := a.error(t); a.status != http.StatusBadRequest || (e.Code != "PARAM_ERROR" && e.Code != "INVALID_REQUEST") {
		t.Errorf("POST %s with %d of %d bytes = %d %s, want 400 PARAM_ERROR or INVALID_REQUEST", refundsPath, len(sent), len(body), a.status, a.body)
	}
	if logs := s.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("server logged an error for a short body:\n%s", logs)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
	}
}

// Ensure every answer under /v3/ is a signed WeChat Pay envelope, a path with "." or ".."
// segments or "//" included: 404 RESOURCE_NOT_EXISTS, never net/http's HTML redirect to
// the cleaned path.
func TestHostile_V3Paths(t *testing.T) {
	s := startServer(t)
	pub, _ := s.platformKeys(t)
	tests := []struct {
		name, method, target string
		status               int
		code                 string
	}{
		{"Traversal", "GET", "/v3/refund/../../etc/passwd", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"TraversalToRoute", "GET", "/v3/refund/domestic/refunds/x/../R1", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"TraversalOutOfV3", "GET", "/v3/../healthz", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"DotSegment", "GET", "/v3/./certificates", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"DoubleSlash", "GET", "/v3//certificates", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"TrailingDot", "POST", "/v3/refund/domestic/refunds/.", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"Unknown", "GET", "/v3/nothing-here", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"TrailingSlash", "GET", "/v3/certificates/", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		// 405 is the official error table's status for a wrong method.
		{"WrongMethod", "DELETE", "/v3/certificates", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.rawExchange(t, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
				tt.method, tt.target, strings.TrimPrefix(s.base, "http://")))
			if e := a.error(t); a.status != tt.status || e.Code != tt.code || e.Message == "" {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.target, a.status, a.body, tt.status, tt.code)
			}
			if loc := a.header.Get("Location"); loc != "" {
				t.Errorf("%s %s redirects to %s", tt.method, tt.target, loc)
			}
			ts, _ := strconv.ParseInt(a.header.Get("Wechatpay-Timestamp"), 10, 64)
			msg := wxcrypto.ResponseMessage(ts, a.header.Get("Wechatpay-Nonce"), a.body)
			if err := wxcrypto.Verify(pub, msg, a.header.Get("Wechatpay-Signature")); err != nil {
				t.Errorf("%s %s answer is not signed: %v", tt.method, tt.target, err)
			}
			if a.header.Get("Request-ID") == "" {
				t.Errorf("%s %s has no Request-ID", tt.method, tt.target)
			}
		})
	}
}

// Ensure the sandbox API answers unknown paths, wrong methods and unclean paths with its
// JSON envelope rather than net/http's plain text or redirects.
func TestHostile_SandboxPaths(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"Unknown", "GET", "/sandbox/v1/nothing", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"UnknownVersion", "GET", "/sandbox/v2/clock", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"WrongMethod", "DELETE", "/sandbox/v1/clock", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{"Traversal", "GET", "/sandbox/v1/../v1/clock", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
		{"DoubleSlash", "GET", "/sandbox//v1/clock", http.StatusNotFound, "RESOURCE_NOT_EXISTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.rawExchange(t, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n",
				tt.method, tt.path, strings.TrimPrefix(s.base, "http://"), s.creds.SandboxToken))
			if e := a.error(t); a.status != tt.status || e.Code != tt.code || e.Message == "" {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, a.status, a.body, tt.status, tt.code)
			}
		})
	}
}

// Ensure the server bounds every phase of a connection: headers, the whole request
// (body included) and the idle time between requests.
func TestServe_Timeouts(t *testing.T) {
	srv := httpServer(http.NotFoundHandler())
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout,
		"ReadTimeout":       srv.ReadTimeout,
		"IdleTimeout":       srv.IdleTimeout,
	} {
		if d <= 0 || d > 5*time.Minute {
			t.Errorf("httpServer().%s = %v, want a bound of at most 5m", name, d)
		}
	}
	if srv.ReadTimeout < srv.ReadHeaderTimeout {
		t.Errorf("httpServer().ReadTimeout = %v, shorter than ReadHeaderTimeout %v", srv.ReadTimeout, srv.ReadHeaderTimeout)
	}
}

// Ensure clients that send their headers and then trickle a body, or stay connected doing
// nothing, are cut off once the bounds pass, on the listener tuikuan serves (plain HTTP
// and TLS sniffed on one port), while a normal client is still served. The bounds are
// httpServer's, shortened so that the test takes a second.
func TestHostile_SlowClients(t *testing.T) {
	const bound = 500 * time.Millisecond
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "short body", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	})
	srv := httpServer(handler)
	if srv.ReadTimeout == 0 || srv.IdleTimeout == 0 {
		t.Fatalf("httpServer() ReadTimeout = %v, IdleTimeout = %v: slow clients are never cut off", srv.ReadTimeout, srv.IdleTimeout)
	}
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout = bound, bound, bound
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := serverTLS(t.TempDir(), ln.Addr())
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(newDualListener(ln, tlsConfig))
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	// closedWithin reports whether the server closes conn within d, reading what it sends.
	closedWithin := func(conn net.Conn, d time.Duration) bool {
		conn.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, conn)
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}

	const slow = 200
	conns := make([]net.Conn, slow)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v3/refund/domestic/refunds HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", addr)
		conns[i] = c
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte a tick on every slow connection
		tick := time.NewTicker(bound / 5)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for _, c := range conns {
					c.Write([]byte(" "))
				}
			}
		}
	}()

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("normal request while %d clients trickle: %v", slow, err)
	}
	resp.Body.Close()

	start := time.Now()
	for i, c := range conns {
		if !closedWithin(c, 6*bound-time.Since(start)) {
			t.Fatalf("slow client %d still connected %v after it started, with a %v read bound", i, time.Since(start), bound)
		}
	}

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	br := bufio.NewReader(idle)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	idle.SetReadDeadline(time.Now().Add(6 * bound))
	if _, err := br.ReadByte(); err == nil || !errors.Is(err, io.EOF) {
		t.Errorf("idle keep-alive connection: read = %v, want EOF within %v of an idle bound of %v", err, 6*bound, bound)
	}
}
