package apiv3

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// testClock is the handler's real-time clock, moved by the test instead of by sleeping.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// testServer is the APIv3 handler on a real SQLite store behind httptest, with the
// default merchants and a clock the test moves.
type testServer struct {
	url      string
	clock    *testClock
	svc      *pay.Service
	merchant *pay.Merchant   // the direct merchant
	key      *rsa.PrivateKey // its private key
	// merchants and keys are every default merchant, direct, partner and sub, by kind.
	merchants map[pay.Kind]*pay.Merchant
	keys      map[pay.Kind]*rsa.PrivateKey
	// store and platform are what another node on the same store needs (see node).
	store    pay.Store
	platform *identity.Platform
	// wrap, when set, wraps the handler inside jsonapi.Common, where the exchange is.
	wrap func(http.Handler) http.Handler
}

// startServer starts the handler; opts change its Config.
func startServer(t *testing.T, lenient bool, opts ...func(*testServer, *Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store := storetest.NewSQLite(t)
	// Whole seconds, so that a test can place the clock at either end of a second.
	clock := &testClock{now: time.Now().Truncate(time.Second)}
	platform, _, err := identity.EnsureInstallation(ctx, dir, store, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	ms, err := identity.Merchants(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{clock: clock, merchants: map[pay.Kind]*pay.Merchant{}, keys: map[pay.Kind]*rsa.PrivateKey{}}
	for _, m := range ms {
		pemBytes, err := os.ReadFile(filepath.Join(dir, m.PrivateKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if s.keys[m.Kind], err = wxcrypto.ParsePrivateKey(pemBytes); err != nil {
			t.Fatal(err)
		}
		s.merchants[m.Kind] = m
	}
	s.merchant, s.key = s.merchants[pay.KindDirect], s.keys[pay.KindDirect]
	s.store, s.platform = store, platform
	s.listen(t, Config{Lenient: lenient}, opts)
	return s
}

// node starts another handler, with a service of its own, on s's store and clock: a
// second node of one installation. It answers at the returned server's url.
func (s *testServer) node(t *testing.T, opts ...func(*testServer, *Config)) *testServer {
	t.Helper()
	n := *s
	n.listen(t, Config{}, opts)
	return &n
}

// listen serves a new handler with a new service on s.store, configured by c and opts.
func (s *testServer) listen(t *testing.T, c Config, opts []func(*testServer, *Config)) {
	s.svc = pay.NewService(s.store, pay.Simulated{}, pay.NewClock(nil))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Service, c.Platform, c.Logger, c.Now = s.svc, s.platform, log, s.clock.Now
	for _, o := range opts {
		o(s, &c)
	}
	h := NewHandler(c)
	if s.wrap != nil {
		h = s.wrap(h)
	}
	srv := httptest.NewServer(jsonapi.Common(h, log, ""))
	t.Cleanup(srv.Close)
	s.url = srv.URL
}

// authorization signs method, target and body with the direct merchant's key. timestamp
// is sent and signed exactly as given, so that malformed ones are signed too.
func (s *testServer) authorization(t *testing.T, method, target, timestamp, nonce string, body []byte) string {
	t.Helper()
	return s.authorizationAs(t, pay.KindDirect, method, target, timestamp, nonce, body)
}

// authorizationAs signs as the default merchant of kind.
func (s *testServer) authorizationAs(t *testing.T, kind pay.Kind, method, target, timestamp, nonce string, body []byte) string {
	t.Helper()
	m := s.merchants[kind]
	msg := fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n", method, target, timestamp, nonce, body)
	sig, err := wxcrypto.Sign(s.keys[kind], msg)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
		authScheme, m.Mchid, nonce, timestamp, m.CertSerial, sig)
}

// signed sends a request signed now by the default merchant of kind.
func (s *testServer) signed(t *testing.T, kind pay.Kind, method, target string, body []byte) response {
	t.Helper()
	ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
	return s.do(t, method, target, body, s.authorizationAs(t, kind, method, target, ts, wxcrypto.Nonce(32), body))
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *testServer) do(t *testing.T, method, target string, body []byte, auth string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// wireError is the error envelope with the detail fields the tests look at.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  struct {
		Field string `json:"field"`
		Issue string `json:"issue"`
	} `json:"detail"`
}

func (r response) error(t *testing.T) wireError {
	t.Helper()
	var e wireError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	return e
}
