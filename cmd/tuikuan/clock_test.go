package main

import (
	"math"
	"net/http"
	"strings"
	"testing"
)

type clockView struct {
	Now           string `json:"now"`
	OffsetSeconds int64  `json:"offset_seconds"`
}

// Ensure the sandbox clock refuses an advance that is not positive or that would take
// business time more than 100 years ahead, with a 400 that names the field, and that
// what it accepted survives a restart.
func TestSandbox_ClockBounds(t *testing.T) {
	s := startServer(t)
	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": 3600}, nil); st != http.StatusOK {
		t.Fatalf("advance 3600 s: status %d", st)
	}
	const century = 100 * 365 * 24 * 3600
	// 18446744074 s is 2^64 ns and a little more: multiplied out in int64 nanoseconds, it
	// wraps to a third of a second.
	for _, advance := range []int64{0, -1, math.MinInt64, 1e12, math.MaxInt64, 18446744074, 9223372036, 9223372036, century - 3600 + 1} {
		var e struct{ Code, Message string }
		st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": advance}, &e)
		if st != http.StatusBadRequest || e.Code != "PARAM_ERROR" || !strings.Contains(e.Message, "advance_seconds") {
			t.Errorf("advance %d s = %d %s %q, want 400 PARAM_ERROR on advance_seconds", advance, st, e.Code, e.Message)
		}
	}
	var c clockView
	if st := s.sandbox(t, "GET", "/sandbox/v1/clock", nil, &c); st != http.StatusOK || c.OffsetSeconds != 3600 {
		t.Errorf("GET clock after refused advances = %d offset %d s, want 200 offset 3600 s", st, c.OffsetSeconds)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": century - 3600}, &c); st != http.StatusOK || c.OffsetSeconds != century {
		t.Errorf("advance to 100 years = %d offset %d s, want 200 offset %d s", st, c.OffsetSeconds, century)
	}
	// Less than a second rounds to no advance at all; the CLI says so instead of showing
	// an unmoved clock.
	for _, advance := range []string{"500ms", "0", "0s", "-1h"} {
		if out, err := runCLI(t, "clock", "--data", s.dir, "--advance", advance); err == nil {
			t.Errorf("clock --advance %s = %s, nil error; want an error", advance, out)
		}
	}
	s.stop()

	s2 := startServerIn(t, s.dir)
	if st := s2.sandbox(t, "GET", "/sandbox/v1/clock", nil, &c); st != http.StatusOK || c.OffsetSeconds != century {
		t.Errorf("GET clock after restart = %d offset %d s, want 200 offset %d s", st, c.OffsetSeconds, century)
	}
}
