package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sandbox"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

const (
	token       = "sandbox-token"
	directMchid = "1900000101"
)

// sandboxServer serves the sandbox API over a fresh SQLite store holding one direct
// merchant, on a loopback httptest server, with business time on clock (real time if nil).
type sandboxServer struct {
	*httptest.Server
}

func newSandboxServer(tb testing.TB, clock *pay.Clock) *sandboxServer {
	tb.Helper()
	st := storetest.NewSQLite(tb)
	storetest.Merchants(tb, st, &pay.Merchant{
		Mchid: directMchid, Kind: pay.KindDirect, Appid: "wx1111111111111111",
		CertSerial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", CertPEM: "dummy",
		APIv3Key: "0123456789abcdef0123456789abcdef", CreateTime: time.Now(),
	})
	if clock == nil {
		clock = pay.NewClock(nil)
	}
	svc := pay.NewService(st, pay.Simulated{}, clock)
	h := sandbox.NewHandler(sandbox.Config{
		Service: svc, Token: token, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Faults: fault.New(),
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &sandboxServer{Server: srv}
}

// call sends a sandbox request and decodes the answer into out; it returns the status.
func (s *sandboxServer) call(tb testing.TB, method, path string, body, out any) int {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}
