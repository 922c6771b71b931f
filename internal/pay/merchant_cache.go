package pay

import (
	"context"
	"sync"
	"time"
)

// MerchantTTL is how long a node trusts a merchant it read: every request reads its
// caller (and sub-merchant, and partner) for authentication and for the rules, and
// merchants change rarely (a tester's settings, `tuikuan merchant add`, a certificate
// re-issued at start), so reading them from the store each time is lost throughput.
//
// Staleness bound: a change made through this node's Merchants.UpdateSettings is seen by
// this node's next request; any other change (another node's, or the operator CLI's,
// which writes the store directly) is seen by this node within MerchantTTL. A merchant
// that does not exist is never remembered, so a newly added one is seen at once.
const MerchantTTL = time.Second

// merchantCache remembers merchants read from the store for MerchantTTL. It hands out
// copies: a Merchant holds only strings and times (TestMerchantCache_Copies keeps it
// so), so a struct copy shares nothing a caller could change under another. The keys in
// it (APIv3, APIv2) are as the store returns them, in memory only, as before.
//
// It is a merchantSource for reads outside a transaction. Inside one it is used only
// where a merchant is configuration, not money: who owns an order, the appids a partner
// bound, the rate profile; what a refund may take is decided by the order row the
// transaction locks, never by a merchant field.
type merchantCache struct {
	store Store
	now   func() time.Time // wall time: the TTL bounds real staleness, not business time

	mu      sync.RWMutex
	entries map[string]cachedMerchant
	// gen counts invalidations, so that a read that began before one does not put back
	// what it read (possibly the value just replaced).
	gen uint64
}

type cachedMerchant struct {
	m    Merchant
	read time.Time
}

func newMerchantCache(store Store) *merchantCache {
	return &merchantCache{store: store, now: time.Now, entries: make(map[string]cachedMerchant)}
}

// Merchant returns a copy of mchid's merchant, from memory when read within MerchantTTL,
// else from the store; ErrNotFound if there is none.
func (c *merchantCache) Merchant(ctx context.Context, mchid string) (*Merchant, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[mchid]
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Sub(e.read) < MerchantTTL && !now.Before(e.read) {
		m := e.m
		return &m, nil
	}
	var m *Merchant
	err := c.store.View(ctx, func(tx Tx) error {
		var err error
		m, err = tx.Merchant(ctx, mchid)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.entries[mchid] = cachedMerchant{m: *m, read: now}
	}
	c.mu.Unlock()
	return m, nil
}

// forget drops mchid, after this node changed it, so that its next read is the store's.
func (c *merchantCache) forget(mchid string) {
	c.mu.Lock()
	delete(c.entries, mchid)
	c.gen++
	c.mu.Unlock()
}
