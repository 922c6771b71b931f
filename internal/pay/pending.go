package pay

import (
	"context"
	"sync"
)

// An APIv3 answer is signed with RSA-2048, and on SQLite a write is durable only once
// its batch's COMMIT has flushed the WAL to disk (an fsync of a millisecond or more on
// common disks). Done one after the other, the two make most of an apply's latency.
// A caller that opts in with Defer may sign while the flush runs: its Updates return
// as soon as their function's work is applied inside the store's transaction, and it
// must call Durable before it answers anything — so no answer, error or success, ever
// leaves before the state it was read from is on disk.

// Pending is the commits a request's deferred Updates are waiting for.
type Pending struct {
	mu    sync.Mutex
	waits []func() error
	err   error
}

type pendingKey struct{}

// Defer returns a context under which a store that commits in batches may return from
// Update before the commit is durable. Views under it wait for those commits first, so
// that the caller reads its own writes.
func Defer(ctx context.Context) context.Context {
	return context.WithValue(ctx, pendingKey{}, &Pending{})
}

// Deferred returns the Pending of ctx, nil when its Updates must return only once
// durable. Stores call it.
func Deferred(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}

// Add registers the wait for a commit: wait blocks until the commit is over and returns
// its failure, nil when it is durable.
func (p *Pending) Add(wait func() error) {
	p.mu.Lock()
	p.waits = append(p.waits, wait)
	p.mu.Unlock()
}

// Durable waits for every commit ctx's deferred Updates are waiting for and returns the
// first failure; nil at once when there is none, or when ctx did not opt in.
func Durable(ctx context.Context) error {
	p := Deferred(ctx)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, wait := range p.waits {
		if err := wait(); err != nil && p.err == nil {
			p.err = err
		}
	}
	p.waits = nil
	return p.err
}
