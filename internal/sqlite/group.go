package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Group commit: concurrent Updates share one write transaction and so one fsync of the
// WAL. Each fn runs inside a savepoint of its own; a failing fn rolls back its savepoint
// only, so it takes none of its batch-mates' work with it. A batch of one needs none: its
// failure rolls back a transaction that holds nothing else. Every caller, a failing one
// too, is answered after the batch's COMMIT returned: what fn read may have been
// written by a batch-mate, and only a durable state may be answered from. A caller
// under pay.Defer learns fn's outcome as soon as its savepoint ends, and the COMMIT's
// through pay.Durable, which it waits for before it answers.

// maxBatch bounds a batch, so that one COMMIT's wait stays bounded too.
const maxBatch = 64

var (
	savepointSQL = hot(`SAVEPOINT fn`)
	releaseSQL   = hot(`RELEASE fn`)
	rollbackSQL  = hot(`ROLLBACK TO fn`)
)

// update is one Update waiting for a batch.
type update struct {
	ctx  context.Context
	fn   func(pay.Tx) error
	err  error
	pan  any // fn's panic, raised again in the caller
	done chan struct{}
	// applied, for a deferred Update (pay.Defer), is closed once fn's savepoint is
	// released or rolled back, its outcome in err then; failed is the batch's failure,
	// set before done is closed.
	applied chan struct{}
	failed  error
}

// committer runs batches of Updates on the write pool, one batch at a time.
type committer struct {
	s     *Store
	queue chan *update
	// mu orders close after every send in progress: a send holds it shared, and no
	// send starts once closed is set, so the queue the loop drains at its end stays
	// empty after.
	mu      sync.RWMutex
	closed  bool
	stop    chan struct{}
	stopped sync.WaitGroup
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, queue: make(chan *update, maxBatch), stop: make(chan struct{})}
	c.stopped.Add(1)
	go c.loop()
	return c
}

var errClosed = errors.New("sqlite store closed")

// update hands fn to the committer and waits for its batch to commit.
func (c *committer) update(ctx context.Context, fn func(pay.Tx) error) error {
	u := &update{ctx: ctx, fn: fn, done: make(chan struct{})}
	p := pay.Deferred(ctx)
	if p != nil {
		u.applied = make(chan struct{})
	}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return fmt.Errorf("begin: %w", errClosed)
	}
	select {
	case c.queue <- u:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return fmt.Errorf("begin: %w", ctx.Err())
	}
	// Once queued, fn runs and its batch commits whatever ctx does: leaving early would
	// answer before knowing whether fn's writes were kept — unless the caller deferred
	// that question to pay.Durable.
	if u.applied != nil {
		select {
		case <-u.applied:
			if u.pan == nil {
				p.Add(func() error { <-u.done; return u.failed })
				return u.err
			}
		case <-u.done:
		}
	}
	<-u.done
	if u.pan != nil {
		panic(u.pan)
	}
	return u.err
}

// close answers the Updates still queued with errClosed once the batch running ends.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
	}
	c.mu.Unlock()
	c.stopped.Wait()
}

func (c *committer) loop() {
	defer c.stopped.Done()
	batch := make([]*update, 0, maxBatch)
	for {
		select {
		case u := <-c.queue:
			batch = append(batch[:0], u)
		case <-c.stop:
			for {
				select {
				case u := <-c.queue:
					u.err = fmt.Errorf("begin: %w", errClosed)
					close(u.done)
				default:
					return
				}
			}
		}
		// Whatever queued while the last batch was committing joins this one: the
		// batch grows with the load, and a lone Update waits for nobody.
	fill:
		for len(batch) < maxBatch {
			select {
			case u := <-c.queue:
				batch = append(batch, u)
			default:
				break fill
			}
		}
		c.run(batch)
		for _, u := range batch {
			close(u.done)
		}
		clear(batch)
	}
}

// run runs batch in one transaction and sets each update's outcome.
func (c *committer) run(batch []*update) {
	// The batch's statements, fn's included (uncancelable), run whatever any one
	// caller's ctx does: SQLite answers an INSERT interrupted inside a transaction by
	// rolling back the whole transaction, batch-mates' work included.
	ctx := context.Background()
	fail := func(err error) {
		for _, u := range batch {
			u.failed = err
			if u.pan == nil && !u.isApplied() {
				u.err = err
			}
		}
	}
	t, err := c.s.write.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	defer t.Rollback()
	st := &sqlTx{Tx: t, stmts: c.s.writeStmts, uncancelable: true}
	if len(batch) == 1 {
		c.runAlone(batch[0], st)
		return
	}
	for _, u := range batch {
		if err := u.ctx.Err(); err != nil {
			u.err = fmt.Errorf("begin: %w", err)
			continue
		}
		if _, err := st.ExecContext(ctx, savepointSQL); err != nil {
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		u.err, u.pan = call(u.fn, &tx{tx: st, sealer: c.s.sealer})
		end := releaseSQL
		if u.err != nil || u.pan != nil {
			end = rollbackSQL
		}
		// A statement error that SQLite answers by rolling back the whole transaction
		// (a full disk, an I/O error) leaves no savepoint: these fail, and so does the
		// batch, rather than carry on outside any transaction.
		if _, err := st.ExecContext(ctx, end); err != nil {
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		if end == rollbackSQL {
			if _, err := st.ExecContext(ctx, releaseSQL); err != nil {
				fail(fmt.Errorf("savepoint: %w", err))
				return
			}
		}
		if u.applied != nil {
			close(u.applied)
		}
	}
	if err := c.s.commit(st); err != nil {
		fail(err)
	}
}

// runAlone runs a batch of one, u, in st, and commits unless it failed. At low load most
// batches are lone, and a savepoint with its release and journal cost a lone apply
// 17 allocations and some 5–10 of its 250 CPU µs.
func (c *committer) runAlone(u *update, st *sqlTx) {
	if err := u.ctx.Err(); err != nil {
		u.err = fmt.Errorf("begin: %w", err)
		return
	}
	u.err, u.pan = call(u.fn, &tx{tx: st, sealer: c.s.sealer})
	if u.applied != nil {
		close(u.applied)
	}
	if u.err != nil || u.pan != nil {
		return // run's deferred Rollback undoes fn's writes
	}
	if err := c.s.commit(st); err != nil {
		u.failed = err
		if u.applied == nil {
			u.err = u.failed
		}
	}
}

// isApplied reports whether u's caller was told fn's outcome already: err is its to
// keep, and a failure of the batch reaches it through failed.
func (u *update) isApplied() bool {
	if u.applied == nil {
		return false
	}
	select {
	case <-u.applied:
		return true
	default:
		return false
	}
}

// call runs fn on t, returning its panic rather than raising it in the committer.
func call(fn func(pay.Tx) error, t *tx) (err error, pan any) {
	defer func() {
		if p := recover(); p != nil {
			pan = p
		}
	}()
	return fn(t), nil
}
