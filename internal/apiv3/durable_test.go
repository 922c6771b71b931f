package apiv3

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// commitsFail is a store whose every deferred commit fails after its function ran: a
// disk that fills up between the work and its flush.
type commitsFail struct{ pay.Store }

func (s commitsFail) Update(ctx context.Context, fn func(pay.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if p := pay.Deferred(ctx); p != nil {
		p.Add(func() error { return errors.New("commit: disk I/O error") })
	}
	return err
}

// Ensure no answer leaves before the writes it reports are durable: when the commit
// behind a request fails, its success and its business error alike become 500
// SYSTEM_ERROR.
func TestAnswer_WaitsForDurableCommit(t *testing.T) {
	const target = "/v3/merchant-service/complaint-notifications"
	body := []byte(`{"url":"https://merchant.example.com/complaints"}`)
	for _, tt := range []struct {
		name   string
		fail   bool
		status int
		code   string
	}{
		{"commit kept", false, http.StatusOK, ""},
		{"commit failed", true, http.StatusInternalServerError, "SYSTEM_ERROR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, false, func(ts *testServer, c *Config) {
				if tt.fail {
					c.Service = pay.NewService(commitsFail{ts.store}, pay.Simulated{}, pay.NewClock(nil))
				}
			})
			ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
			r := s.do(t, "POST", target, body, s.authorization(t, "POST", target, ts, "N"+strconv.FormatInt(time.Now().UnixNano(), 36), body))
			if r.status != tt.status {
				t.Fatalf("status %d, body %s; want %d", r.status, r.body, tt.status)
			}
			if tt.code != "" {
				if e := r.error(t); e.Code != tt.code {
					t.Errorf("code %q, want %q", e.Code, tt.code)
				}
			}
			// A second create of the same URL is a business error (already set) on
			// the kept commit; on the failed one it must not leave either.
			r = s.do(t, "POST", target, body, s.authorization(t, "POST", target, ts, "M"+strconv.FormatInt(time.Now().UnixNano(), 36), body))
			if tt.fail && r.status != http.StatusInternalServerError {
				t.Errorf("second request: status %d, body %s; want 500", r.status, r.body)
			}
		})
	}
}
