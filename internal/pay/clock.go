package pay

import (
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

// Now is the business time.
func (c *Clock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.real().Add(c.offset)
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
