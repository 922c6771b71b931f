package pay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Clock is business time: real time plus an offset a tester can only move forward
// (POST /sandbox/v1/clock). Refund windows and settlement follow it; request signatures and
// their 5-minute window never do.
type Clock struct {
	real func() time.Time

	mu     sync.RWMutex
	offset time.Duration
}

// ClockRefresh is how often a node reads the business-clock offset every node shares
// (Time.Run): an advance made through another node is seen here about this much later.
// Reading the offset is one small read, so the interval can be short.
const ClockRefresh = 100 * time.Millisecond

// MaxClockOffset bounds how far business time may run ahead of real time. A century is
// far beyond a refund's one-year window or any coupon's validity, and far inside the 292
// years a time.Duration holds, so that no series of advances can wrap the offset.
const MaxClockOffset = 100 * 365 * 24 * time.Hour

// NewClock returns a clock on real time; real may be nil for time.Now.
func NewClock(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real}
}

// Now is the business time. It never reads the store: it runs inside store
// transactions, where a read of its own would wait for a second connection that a busy
// pool may not have. Time.Run keeps the offset fresh instead.
func (c *Clock) Now() time.Time {
	return c.real().Add(c.Offset())
}

// Offset is how far business time is ahead of real time.
func (c *Clock) Offset() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.offset
}

// setOffset moves the clock to offset; it never moves it back, so that a node reading a
// stale offset from the store cannot undo another node's advance.
func (c *Clock) setOffset(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if offset > c.offset {
		c.offset = offset
	}
}

const clockSetting = "clock_offset_ms"

// Time is the service that reads and moves business time.
type Time struct{ core }

// Clock is business time as this node has it.
func (s *Time) Clock() *Clock { return s.clock }

// Load reads the business-clock offset from the store, so that every node and every
// restart agrees on business time.
func (s *Time) Load(ctx context.Context) error { return s.loadClock(ctx) }

// Run reads the shared offset every interval until ctx is done, so that an advance made
// through another node reaches this one; errors go to onError and the clock goes on with
// the offset it has.
func (s *Time) Run(ctx context.Context, every time.Duration, onError func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.loadClock(ctx); err != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}

// loadClock is Load for the settler too, which reloads before each round so that an
// advance made on another node settles refunds here.
func (s core) loadClock(ctx context.Context) error {
	offset, err := s.readOffset(ctx)
	if err != nil {
		return err
	}
	s.clock.setOffset(offset)
	return nil
}

// readOffset reads the offset in the store in a View of its own.
func (s core) readOffset(ctx context.Context) (time.Duration, error) {
	var offset time.Duration
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		offset, err = storedOffset(ctx, tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load clock: %w", err)
	}
	return offset, nil
}

// storedOffset is the offset in the store, 0 if none was ever set. A value that is not an
// offset the clock could have reached is an error: reading it as 0 would move business
// time back.
func storedOffset(ctx context.Context, tx Tx) (time.Duration, error) {
	v, err := tx.Setting(ctx, clockSetting)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stored %s %q: %w", clockSetting, v, err)
	}
	if ms < 0 || ms > MaxClockOffset.Milliseconds() {
		return 0, fmt.Errorf("stored %s %q is outside 0 to %d", clockSetting, v, MaxClockOffset.Milliseconds())
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Advance moves business time forward by d and returns the new business time. The
// offset may reach MaxClockOffset and no further.
func (s *Time) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, ParamError("advance_seconds", "必须大于0：时钟只能向前拨动", int64(d/time.Second))
	}
	var next time.Duration
	err := s.store.Update(ctx, func(tx Tx) error {
		cur, err := storedOffset(ctx, tx)
		if err != nil {
			return err
		}
		if d > MaxClockOffset-cur {
			return ParamError("advance_seconds", fmt.Sprintf("业务时间最多领先真实时间%d秒（100年），现已领先%d秒，最多还能拨动%d秒",
				int64(MaxClockOffset/time.Second), int64(cur/time.Second), int64((MaxClockOffset-cur)/time.Second)), nil)
		}
		// The store keeps milliseconds; memory keeps the same.
		next = (cur + d).Truncate(time.Millisecond)
		return tx.PutSetting(ctx, clockSetting, strconv.FormatInt(next.Milliseconds(), 10))
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("advance clock: %w", err)
	}
	// Only once committed: a failed commit must leave this node on the store's time.
	s.clock.setOffset(next)
	return s.clock.Now(), nil
}

// Beijing is the time zone WeChat Pay writes times in (+08:00).
var Beijing = time.FixedZone("CST", 8*3600)
