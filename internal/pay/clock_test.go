package pay_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

const clockSetting = "clock_offset_ms"

func clockService(tb testing.TB, store pay.Store) *pay.Service {
	return pay.NewService(store, pay.Simulated{}, pay.NewClock(func() time.Time { return now0 }))
}

func putSetting(tb testing.TB, store pay.Store, key, value string) {
	tb.Helper()
	err := store.Update(tb.Context(), func(tx pay.Tx) error { return tx.PutSetting(tb.Context(), key, value) })
	if err != nil {
		tb.Fatalf("PutSetting(%s, %s): %v", key, value, err)
	}
}

func setting(tb testing.TB, store pay.Store, key string) string {
	tb.Helper()
	var v string
	err := store.View(tb.Context(), func(tx pay.Tx) error {
		var err error
		v, err = tx.Setting(tb.Context(), key)
		return err
	})
	if err != nil && !errors.Is(err, pay.ErrNotFound) {
		tb.Fatalf("Setting(%s): %v", key, err)
	}
	return v
}

func TestService_AdvanceClock(t *testing.T) {
	const max = pay.MaxClockOffset
	tests := []struct {
		name     string
		before   time.Duration // advanced first
		advance  time.Duration
		wantCode string // "" when the advance is accepted
	}{
		{"OneSecond", 0, time.Second, ""},
		{"ToTheBound", 0, max, ""},
		{"ToTheBoundInTwo", max - time.Hour, time.Hour, ""},
		{"Zero", 0, 0, pay.CodeParamError},
		{"Backwards", 0, -time.Second, pay.CodeParamError},
		{"MinDuration", 0, math.MinInt64, pay.CodeParamError},
		{"PastTheBound", 0, max + time.Second, pay.CodeParamError},
		{"PastTheBoundInTwo", max - time.Hour, time.Hour + time.Second, pay.CodeParamError},
		// 2^63-1 ns on top of any offset wraps a time.Duration.
		{"MaxDurationOnTop", time.Hour, math.MaxInt64, pay.CodeParamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := mustOpenStore(t)
			svc := clockService(t, store)
			if tt.before > 0 {
				mustAdvance(t, svc, tt.before)
			}
			_, err := svc.Time.Advance(t.Context(), tt.advance)
			want := tt.before
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("AdvanceClock(%v) after %v = %v, want nil", tt.advance, tt.before, err)
				}
				want += tt.advance
			} else {
				wantError(t, "AdvanceClock", err, tt.wantCode, "")
			}
			if got := svc.Time.Clock().Offset(); got != want {
				t.Errorf("Offset() = %v, want %v", got, want)
			}
			if got, wantMs := setting(t, store, clockSetting), strconv.FormatInt(want.Milliseconds(), 10); want > 0 && got != wantMs {
				t.Errorf("stored offset = %q, want %q", got, wantMs)
			}
			// A restart reads back what was stored.
			again := clockService(t, store)
			if err := again.Time.Load(t.Context()); err != nil {
				t.Fatalf("LoadClock: %v", err)
			}
			if got := again.Time.Clock().Offset(); got != want {
				t.Errorf("after restart, Offset() = %v, want %v", got, want)
			}
		})
	}
}

// rollbackStore fails every Update after its function succeeded, as a failed commit does.
type rollbackStore struct{ pay.Store }

var errCommit = errors.New("commit failed")

func (s rollbackStore) Update(ctx context.Context, fn func(pay.Tx) error) error {
	return s.Store.Update(ctx, func(tx pay.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errCommit
	})
}

// Ensure a clock advance that does not commit leaves business time where the store has it.
func TestService_AdvanceClockCommitFails(t *testing.T) {
	store := mustOpenStore(t)
	svc := clockService(t, rollbackStore{store})
	if _, err := svc.Time.Advance(t.Context(), time.Hour); !errors.Is(err, errCommit) {
		t.Errorf("AdvanceClock = %v, want %v", err, errCommit)
	}
	if got := svc.Time.Clock().Offset(); got != 0 {
		t.Errorf("Offset() = %v after a failed commit, want 0", got)
	}
	if got := setting(t, store, clockSetting); got != "" {
		t.Errorf("stored offset = %q after a failed commit, want none", got)
	}
}

// Ensure an offset in the store that is not a valid one is an error, never read as 0 or
// loaded as a clock moved back.
func TestService_BadStoredClock(t *testing.T) {
	for _, v := range []string{"", "soon", "1.5", "-1000", "-9223372036854", "9223372036854775807",
		strconv.FormatInt(pay.MaxClockOffset.Milliseconds()+1, 10)} {
		t.Run(v, func(t *testing.T) {
			store := mustOpenStore(t)
			putSetting(t, store, clockSetting, v)
			svc := clockService(t, store)
			if err := svc.Time.Load(t.Context()); err == nil {
				t.Errorf("LoadClock with stored offset %q = nil, want an error", v)
			}
			if _, err := svc.Time.Advance(t.Context(), time.Hour); err == nil || pay.ErrorCode(err) != pay.CodeSystemError {
				t.Errorf("AdvanceClock with stored offset %q = %v, want a system error", v, err)
			}
			if got := setting(t, store, clockSetting); got != v {
				t.Errorf("stored offset = %q, want %q kept", got, v)
			}
			if got := svc.Time.Clock().Offset(); got != 0 {
				t.Errorf("Offset() = %v, want 0", got)
			}
		})
	}
}

// manualTime is real time moved by the test.
type manualTime struct {
	mu  sync.Mutex
	now time.Time
}

func (m *manualTime) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *manualTime) Add(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// Ensure an advance through one node is seen by another on the same store at most
// ClockRefresh later, with no reload asked for.
func TestClock_TwoNodes(t *testing.T) {
	store := storetest.NewSQLite(t)
	real := &manualTime{now: now0}
	one := pay.NewService(store, pay.Simulated{}, pay.NewClock(real.Now))
	two := pay.NewService(store, pay.Simulated{}, pay.NewClock(real.Now))
	if got := two.Time.Clock().Now(); !got.Equal(now0) {
		t.Fatalf("node 2 before any advance = %v, want %v", got, now0)
	}
	if _, err := one.Time.Advance(t.Context(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	// Node 2 sees the advance at its next read of the shared offset (Time.Run's tick).
	if err := two.Time.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := now0.Add(48 * time.Hour)
	if got := two.Time.Clock().Now(); !got.Equal(want) {
		t.Errorf("node 2 after node 1 advanced 48h = %v, want %v", got, want)
	}
	if got := one.Time.Clock().Now(); !got.Equal(want) {
		t.Errorf("node 1 = %v, want %v", got, want)
	}
}
