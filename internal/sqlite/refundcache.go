package sqlite

import (
	"sync"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// DefaultRefundCache is how many refunds a Store keeps in memory by default.
const DefaultRefundCache = 8192

// WithRefundCache sets how many refunds the Store keeps in memory for Views (0: none).
//
// A merchant polls a refund's status until it is final — by out_refund_no or refund_id,
// on v3 and v2 alike — and each poll was a read transaction and a row read, most of
// the CPU of a v2 query beyond its signature. A View that finds the refund it asks for
// here, before it has run any statement, runs none.
//
// The cache is exact, not a TTL: every write of a refund goes through this Store's
// writer, which drops the refunds it updates before their commit and keeps none while
// it runs; a refund is kept only when it was read from a snapshot no commit of a refund
// could have overtaken. It needs what the data dir gives: no
// other process writes refunds into the same file (`tuikuan merchant` writes merchants
// only; a second server is refused by serve.lock).
func WithRefundCache(n int) Option {
	return func(st *Store) {
		st.refunds = nil
		if n > 0 {
			st.refunds = newRefundCache(n)
		}
	}
}

// refundCache holds refunds read from the store, by both of their keys. It hands out
// clones: a reader may change the refund it got.
type refundCache struct {
	mu   sync.Mutex
	max  int
	byNo map[refundNo]*pay.Refund
	byID map[string]*pay.Refund
	// gen counts the starts and ends of commits that update refunds: a reader keeps
	// what it read only when none started or ended since before its snapshot began, and
	// none is under way.
	gen  uint64
	busy bool // between committing and committed
}

// refundNo is a refund's key by the merchant's number for it.
type refundNo struct{ mchid, outRefundNo string }

func newRefundCache(n int) *refundCache {
	return &refundCache{max: n, byNo: make(map[refundNo]*pay.Refund), byID: make(map[string]*pay.Refund)}
}

// generation is taken before a read snapshot begins, for keep.
func (c *refundCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// byOutRefundNo returns a clone of mchid's refund outRefundNo, nil when not kept.
func (c *refundCache) byOutRefundNo(mchid, outRefundNo string) *pay.Refund {
	c.mu.Lock()
	r := c.byNo[refundNo{mchid, outRefundNo}]
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Clone()
}

// byRefundID returns a clone of refund id, nil when not kept.
func (c *refundCache) byRefundID(id string) *pay.Refund {
	c.mu.Lock()
	r := c.byID[id]
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.Clone()
}

// keep remembers a clone of r, read from a snapshot that began at generation gen,
// unless a commit that updates refunds started since: r may then be older than it.
func (c *refundCache) keep(r *pay.Refund, gen uint64) {
	r = r.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.busy {
		return
	}
	if _, ok := c.byID[r.ID]; !ok && len(c.byID) >= c.max {
		// Any one goes: a refund asked for again is read again, once.
		for _, old := range c.byID {
			c.drop(old)
			break
		}
	}
	c.byID[r.ID] = r
	c.byNo[refundNo{r.Mchid, r.OutRefundNo}] = r
}

// refundKeys names a refund a transaction updated.
type refundKeys struct {
	id string
	no refundNo
}

// committing drops the refunds a commit is about to write and keeps nothing more
// until committed: a reader whose snapshot began before the commit would keep a value
// it replaces, and one whose began after would already read the new one from the
// store — answering the first to it after the second would take a refund back in time.
func (c *refundCache) committing(updated []refundKeys) {
	if len(updated) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.busy = true
	for _, k := range updated {
		if old := c.byID[k.id]; old != nil {
			c.drop(old)
		}
		if old := c.byNo[k.no]; old != nil {
			c.drop(old)
		}
	}
}

// committed ends committing, once the commit returned (whether it failed or not) and
// before anyone learns of it: what is read from a snapshot that begins after may be
// kept again.
func (c *refundCache) committed(updated []refundKeys) {
	if len(updated) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.busy = false
}

func (c *refundCache) drop(r *pay.Refund) {
	delete(c.byID, r.ID)
	delete(c.byNo, refundNo{r.Mchid, r.OutRefundNo})
}
