package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/downloader"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// testServer is the whole program, run through run() on a free loopback port with its
// own data dir.
type testServer struct {
	// transport is the clients' own, closed before the server stops: Shutdown waits up
	// to 5 s for connections a client dialed but never used.
	transport *http.Transport
	dir       string
	logs      *lockedWriter // the server's log output
	base      string
	creds     *identity.Credentials
	stop      func()
}

// startServer runs `tuikuan serve` with args on a copy of a template data dir and waits
// for /healthz. Refunds stay PROCESSING until settled unless args say otherwise.
//
// The copy makes each start a second start on an existing data dir, which tuikuan must
// support anyway, and spares every test the RSA key generation of a first start; tests
// of the first start itself use startServerIn on an empty dir.
func startServer(t testing.TB, args ...string) *testServer {
	t.Helper()
	return startServerIn(t, copyTemplate(t), args...)
}

var template struct {
	once sync.Once
	dir  string
	db   string // its database on PostgreSQL
	err  error
}

// templateDir is a data dir made by one first start, shared by the whole test binary.
func templateDir(t testing.TB) string {
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "tuikuan-template-")
		if template.err != nil {
			return
		}
		if testDB != "" {
			if template.db, template.err = createDB(fmt.Sprintf("tuikuan_template_%d", os.Getpid()), ""); template.err != nil {
				return
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", template.dir, "--log-level", "error"},
				func(k string) string { return map[string]string{"TUIKUAN_DB": template.db}[k] }, io.Discard, io.Discard)
		}()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := identity.ReadCredentials(template.dir); err == nil {
				break
			}
		}
		cancel()
		template.err = <-done
	})
	if template.err != nil {
		t.Fatalf("template data dir: %v", template.err)
	}
	return template.dir
}

// copyTemplate returns a new data dir copied from the template, its database (on
// PostgreSQL) a copy of the template's.
func copyTemplate(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(templateDir(t))); err != nil {
		t.Fatalf("copy template data dir: %v", err)
	}
	markTemplateCopy(dir)
	return dir
}

// startServerClocked is startServer with the rate limiter reading now instead of real
// time, so that a test moves the limits' time rather than sleeping or racing it.
func startServerClocked(t testing.TB, now func() time.Time, args ...string) *testServer {
	t.Helper()
	dir := copyTemplate(t)
	return startServerCtx(t, context.WithValue(context.Background(), rateClockKey{}, now), dir, args...)
}

func startServerIn(t testing.TB, dir string, args ...string) *testServer {
	t.Helper()
	return startServerCtx(t, context.Background(), dir, args...)
}

func startServerCtx(t testing.TB, parent context.Context, dir string, args ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(parent)
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--settle-delay", "0", "--log-level", "error"}, args...)
	done := make(chan error, 1)
	logs := &lockedWriter{w: new(bytes.Buffer)}
	getenv := envFor(t, dir)
	go func() { done <- run(ctx, all, getenv, io.Discard, logs) }()
	s := &testServer{dir: dir, logs: logs, transport: http.DefaultTransport.(*http.Transport).Clone()}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			s.transport.CloseIdleConnections()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err // for s.stop, which the cleanup runs
			t.Fatalf("serve exited: %v\n%s", err, logs.String())
		default:
		}
		if c, err := identity.ReadCredentials(dir); err == nil && s.healthy(c.APIBase) {
			s.creds, s.base = c, c.APIBase
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not become healthy")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *testServer) healthy(base string) bool {
	resp, err := (&http.Client{Transport: s.transport}).Get(base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.w)
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// merchant returns the credentials of the first merchant of kind.
func (s *testServer) merchant(t testing.TB, kind string) identity.MerchantCredential {
	t.Helper()
	for _, m := range s.creds.Merchants {
		if m.Kind == kind {
			return m
		}
	}
	t.Fatalf("no %s merchant in credentials.json", kind)
	return identity.MerchantCredential{}
}

func (s *testServer) path(rel string) string { return filepath.Join(s.dir, rel) }

// rewriteHost sends wechatpay-go's requests to the test server. The SDK signs before the
// transport runs, so the signature stays valid (docs/wire.md#hosts).
type rewriteHost struct {
	base *url.URL
	next http.RoundTripper
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.base.Scheme, r.base.Host, r.base.Host
	return r.next.RoundTrip(req)
}

func (s *testServer) httpClient() *http.Client {
	u, _ := url.Parse(s.base)
	return &http.Client{Transport: rewriteHost{base: u, next: s.transport}, Timeout: 30 * time.Second}
}

// wechatpayClient is the official SDK in public-key mode, as WeChat Pay now recommends.
func (s *testServer) wechatpayClient(t testing.TB, m identity.MerchantCredential) *core.Client {
	t.Helper()
	return s.wechatpayClientVia(t, m, s.httpClient())
}

// wechatpayClientVia is wechatpayClient sending through hc.
func (s *testServer) wechatpayClientVia(t testing.TB, m identity.MerchantCredential, hc *http.Client) *core.Client {
	t.Helper()
	key, err := utils.LoadPrivateKeyWithPath(s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := utils.LoadPublicKeyWithPath(s.path(s.creds.Platform.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(m.Mchid, m.CertSerial, key, s.creds.Platform.PublicKeyID, pub),
		option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wechatpayCertClient is the official SDK in platform-certificate mode, its certificates
// fetched from /v3/certificates by the SDK's own downloader.
func (s *testServer) wechatpayCertClient(t testing.TB, m identity.MerchantCredential) *core.Client {
	t.Helper()
	return s.wechatpayCertClientVia(t, m, s.httpClient())
}

// wechatpayCertClientVia is wechatpayCertClient sending through hc.
func (s *testServer) wechatpayCertClientVia(t testing.TB, m identity.MerchantCredential, hc *http.Client) *core.Client {
	t.Helper()
	ctx := context.Background()
	key, err := utils.LoadPrivateKeyWithPath(s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := core.NewClient(ctx, option.WithMerchantCredential(m.Mchid, m.CertSerial, key),
		option.WithoutValidator(), option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	mgr := downloader.NewCertificateDownloaderMgr(ctx)
	t.Cleanup(mgr.Stop)
	if err := mgr.RegisterDownloaderWithClient(ctx, plain, m.Mchid, m.APIv3Key); err != nil {
		t.Fatalf("download platform certificates: %v", err)
	}
	c, err := core.NewClient(ctx,
		option.WithWechatPayAutoAuthCipherUsingDownloaderMgr(m.Mchid, m.CertSerial, key, mgr),
		option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sandbox calls the sandbox API and decodes the answer into out (if not nil); it returns
// the status.
func (s *testServer) sandbox(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.creds.SandboxToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: s.transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

type paidOrder struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total"`
	Refunded      int64  `json:"refunded"`
	Refunds       []struct {
		RefundID string `json:"refund_id"`
		Status   string `json:"status"`
		Amount   struct {
			Refund int64 `json:"refund"`
		} `json:"amount"`
	} `json:"refunds"`
}

// pay creates a paid order through the sandbox API.
func (s *testServer) pay(t testing.TB, body map[string]any) paidOrder {
	t.Helper()
	var o paidOrder
	if st := s.sandbox(t, "POST", "/sandbox/v1/transactions", body, &o); st != http.StatusOK {
		t.Fatalf("create transaction %v: status %d", body, st)
	}
	return o
}

func (s *testServer) order(t testing.TB, transactionID string) paidOrder {
	t.Helper()
	var o paidOrder
	if st := s.sandbox(t, "GET", "/sandbox/v1/transactions/"+transactionID, nil, &o); st != http.StatusOK {
		t.Fatalf("get transaction %s: status %d", transactionID, st)
	}
	return o
}

// apiError unwraps wechatpay-go's *core.APIError, failing the test if err is another kind.
func apiError(t testing.TB, err error) *core.APIError {
	t.Helper()
	var ae *core.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want *core.APIError", err)
	}
	return ae
}

func uniq(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, time.Now().UnixNano())
}

func TestMain(m *testing.M) {
	// `tuikuan bench --baseline` runs its own binary's bench-baseline; under test that
	// binary is this one.
	if len(os.Args) > 1 && os.Args[1] == "bench-baseline" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(exitCode(err, os.Stderr))
	}
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	if template.db != "" {
		if err := dropDB(fmt.Sprintf("tuikuan_template_%d", os.Getpid())); err != nil {
			fmt.Fprintln(os.Stderr, "drop template database:", err)
		}
	}
	os.Exit(code)
}
