package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-pay/gopay/wechat"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// logLine returns the one line of the server's log that names path, failing unless there
// is exactly one.
func (s *testServer) logLine(t *testing.T, path string) string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(line, " path="+path+" ") || strings.HasSuffix(line, " path="+path) {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("log lines naming %s = %q, want one\nlog:\n%s", path, found, s.logs.String())
	}
	return found[0]
}

// Ensure that at the default log level a refused APIv3 request leaves one line in the
// server's output saying who was refused and why, without the signature or the
// Authorization header.
func TestLog_RefusedSignature(t *testing.T) {
	s := startServer(t, "--log-level", "info")
	m := s.merchant(t, "direct")
	sg := s.signer(t, m)
	now := time.Now().Unix()
	tests := []struct {
		name, reason string
		auth         func(path string) authParams
	}{
		{"sign not match", "sign not match", func(path string) authParams {
			return sg.sign(t, "GET", path+"X", now, wxcrypto.Nonce(32), nil)
		}},
		{"stale timestamp", "stale timestamp", func(path string) authParams {
			return sg.sign(t, "GET", path, now-3600, wxcrypto.Nonce(32), nil)
		}},
		{"unknown serial", "unknown serial_no", func(path string) authParams {
			p := sg.sign(t, "GET", path, now, wxcrypto.Nonce(32), nil)
			p.serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v3/refund/domestic/refunds/" + uniq("LOG")
			p := tt.auth(path)
			a := s.send(t, "GET", path, nil, map[string]string{"Authorization": p.header()})
			if a.status != http.StatusUnauthorized {
				t.Fatalf("GET %s = %d %s, want 401", path, a.status, a.body)
			}
			line := s.logLine(t, path)
			for _, want := range []string{"level=INFO", "status=401", "code=SIGN_ERROR", "mchid=" + m.Mchid, "method=GET", `reason="` + tt.reason + `"`} {
				if !strings.Contains(line, want) {
					t.Errorf("log line %q lacks %s", line, want)
				}
			}
			for _, secret := range []string{p.signature, p.header(), p.nonce, p.serial} {
				if strings.Contains(line, secret) {
					t.Errorf("log line %q holds a part of the Authorization header: %q", line, secret)
				}
			}
		})
	}
}

// Ensure a v2 request with a wrong sign is logged likewise: its code and merchant, not its
// body.
func TestLog_RefusedV2Sign(t *testing.T) {
	s := startServer(t, "--log-level", "info")
	m := s.merchant(t, "direct")
	wrong := m
	wrong.APIv2Key = strings.Repeat("0", 32)
	outTradeNo := uniq("LOGV2")
	_, res, err := s.v2Client(t, wrong, "http", false).QueryRefund(context.Background(), v2QueryBody(wechat.SignType_MD5, "out_trade_no", outTradeNo))
	if err != nil {
		t.Fatalf("QueryRefund: %v", err)
	}
	v2Fail(t, res, "签名错误")
	line := s.logLine(t, "/pay/refundquery")
	for _, want := range []string{"level=INFO", "status=200", "code=SIGNERROR", "mchid=" + m.Mchid, "method=POST", "reason="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %s", line, want)
		}
	}
	if strings.Contains(line, outTradeNo) || strings.Contains(line, wrong.APIv2Key) {
		t.Errorf("log line %q holds the request's body or key", line)
	}
}
