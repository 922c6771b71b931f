package apiv3

import (
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Ensure only a plain decimal number of seconds within five minutes of real time is
// accepted, however far off or oddly written the timestamp is: the window check must not
// overflow into accepting it.
func TestAuth_Timestamp(t *testing.T) {
	s := startServer(t, false)
	now := s.clock.Now().Unix()
	itoa := func(ts int64) string { return strconv.FormatInt(ts, 10) }
	tests := []struct {
		name      string
		timestamp string
		ok        bool
	}{
		{"Now", itoa(now), true},
		{"Past299", itoa(now - 299), true},
		{"Future299", itoa(now + 299), true},
		{"Past300", itoa(now - 300), true},
		{"Future300", itoa(now + 300), true},
		{"Past301", itoa(now - 301), false},
		{"Future301", itoa(now + 301), false},
		{"Future10Years", itoa(now + 10*365*24*3600), false},
		{"Future9.3e9", itoa(now + 9_300_000_000), false},
		{"Milliseconds", itoa(now * 1000), false},
		{"Nanoseconds", itoa(now * 1e9), false},
		{"Negative", itoa(-now), false},
		{"MinusOne", "-1", false},
		{"Zero", "0", false},
		{"Float", itoa(now) + ".0", false},
		{"Exponent", "1.7e9", false},
		{"Int64Max", itoa(math.MaxInt64), false},
		{"Int64Min", itoa(math.MinInt64), false},
		{"Uint64Overflow", "18446744073709551617", false},
		{"LeadingZero", "0" + itoa(now), false},
		{"PlusSign", "+" + itoa(now), false},
		{"Space", " " + itoa(now), false},
		{"Hex", "0x" + strconv.FormatInt(now, 16), false},
		{"FullWidthDigits", "１７００００００００", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := s.authorization(t, "GET", "/v3/certificates", tt.timestamp, wxcrypto.Nonce(32), nil)
			r := s.do(t, "GET", "/v3/certificates", nil, h)
			if tt.ok {
				if r.status != http.StatusOK {
					t.Errorf("timestamp %q (server time %d) = %d %s, want 200", tt.timestamp, now, r.status, r.body)
				}
				return
			}
			if e := r.error(t); r.status != http.StatusUnauthorized || e.Code != "SIGN_ERROR" || e.Detail.Field != "timestamp" {
				t.Errorf("timestamp %q (server time %d) = %d %s, want 401 SIGN_ERROR on field timestamp", tt.timestamp, now, r.status, r.body)
			}
		})
	}
}

// Ensure a signed request is refused when sent again for as long as its timestamp stays
// inside the window, even at the very end of it, and that a far-future timestamp cannot
// outlive the nonce memory.
func TestAuth_Replay(t *testing.T) {
	t.Run("EndOfWindow", func(t *testing.T) {
		s := startServer(t, false)
		start := s.clock.Now()
		// Signed 300 s ahead and accepted at once; sent again 600.999 s later, when the
		// timestamp is 300 whole seconds behind and so still inside the window.
		h := s.authorization(t, "GET", "/v3/certificates", strconv.FormatInt(start.Unix()+300, 10), wxcrypto.Nonce(32), nil)
		if r := s.do(t, "GET", "/v3/certificates", nil, h); r.status != http.StatusOK {
			t.Fatalf("first request = %d %s, want 200", r.status, r.body)
		}
		s.clock.Set(start.Add(600*time.Second + 999*time.Millisecond))
		r := s.do(t, "GET", "/v3/certificates", nil, h)
		if e := r.error(t); r.status != http.StatusUnauthorized || e.Code != "SIGN_ERROR" || e.Detail.Field != "nonce_str" {
			t.Errorf("replay after 600.999 s = %d %s, want 401 SIGN_ERROR on field nonce_str", r.status, r.body)
		}
	})
	t.Run("FarFuture", func(t *testing.T) {
		s := startServer(t, false)
		start := s.clock.Now()
		h := s.authorization(t, "GET", "/v3/certificates", strconv.FormatInt(start.Unix()+9_300_000_000, 10), wxcrypto.Nonce(32), nil)
		for _, after := range []time.Duration{0, 615 * time.Second, 24 * time.Hour} {
			s.clock.Set(start.Add(after))
			if r := s.do(t, "GET", "/v3/certificates", nil, h); r.status != http.StatusUnauthorized {
				t.Errorf("far-future request sent %v after start = %d %s, want 401", after, r.status, r.body)
			}
		}
	})
}
