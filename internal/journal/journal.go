// Package journal holds the request journal: every APIv3 and v2 request a node serves,
// with its answer, masked (no key, no signature, ciphertexts shortened) and capped, kept
// in the store for the console — the newest Config.Keep of all nodes together.
//
// Requests never wait for the journal: Capture hands each entry to a bounded queue that
// Run writes in batches, one store transaction each, and drops what the queue cannot
// hold. The journal is for diagnosis, not for money; losing an entry is better than
// slowing the API.
package journal

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Config configures a Recorder. Only Keep is needed; the rest have defaults.
type Config struct {
	// Keep is how many entries the journal keeps; older ones are dropped first.
	Keep int
	// Node names this node, for entries whose request carried none.
	Node   string
	Logger *slog.Logger
	// Queue is how many entries may wait for the writer (default 4096); more are dropped.
	Queue int
	// Batch is the most entries one transaction writes (default 256).
	Batch int
	// Interval is how often Run writes what is queued (default 150ms).
	Interval time.Duration
	// Ticks, when set, replaces Run's ticker, for tests that decide when it writes.
	Ticks <-chan time.Time
	// Now is the clock latencies are measured with (default time.Now).
	Now func() time.Time
	// FlushTimeout bounds the last write when Run's context ends (default 2s), so a
	// database outage does not hold up shutdown.
	FlushTimeout time.Duration
}

// Recorder queues journal entries and writes them to the store.
type Recorder struct {
	store pay.Store
	cfg   Config
	log   *slog.Logger
	queue chan *queued
	kick  chan struct{} // a batch is waiting

	dropped atomic.Uint64

	mu      sync.Mutex // serializes writes
	failing bool       // the last write failed: log the next failure not again
	lost    int        // entries lost to failed writes since failing began
}

// New returns a Recorder writing to store; its Run must run for anything to be written.
func New(store pay.Store, cfg Config) *Recorder {
	if cfg.Queue <= 0 {
		cfg.Queue = 4096
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 150 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 2 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{store: store, cfg: cfg, log: log,
		queue: make(chan *queued, cfg.Queue), kick: make(chan struct{}, 1)}
}

// Record queues e for writing. It never blocks: when the queue is full, e is dropped and
// counted.
func (r *Recorder) Record(e *pay.JournalEntry) {
	r.enqueue(&queued{entry: e})
}

func (r *Recorder) enqueue(q *queued) {
	if q.entry.Node == "" {
		q.entry.Node = r.cfg.Node
	}
	select {
	case r.queue <- q:
	default:
		r.dropped.Add(1)
		return
	}
	if len(r.queue) >= r.cfg.Batch {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// Dropped is how many entries Record dropped because the queue was full.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Run writes queued entries every Interval, or as soon as a batch is full, until ctx
// ends; then it writes what is still queued, within FlushTimeout.
func (r *Recorder) Run(ctx context.Context) {
	ticks := r.cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(r.cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.FlushTimeout)
			defer cancel()
			r.Flush(fctx)
			return
		case <-ticks:
			r.write(ctx, false)
		case <-r.kick:
			r.write(ctx, false)
		}
	}
}

// Flush writes everything queued and trims the journal to Keep entries. It returns the
// first write's error, which is also logged.
func (r *Recorder) Flush(ctx context.Context) error {
	return r.write(ctx, true)
}

// write writes what is queued, a batch per transaction, and trims the journal back to
// Keep in each: a trim costs a step down the primary key and the deletes it must do
// anyway, so the journal never holds more than Keep, even for a moment. With nothing
// queued it writes nothing, unless trim is set.
func (r *Recorder) write(ctx context.Context, trim bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var first error
	for {
		batch := r.take()
		if len(batch) == 0 && !trim {
			return first
		}
		trim = false
		err := r.store.Update(ctx, func(tx pay.Tx) error {
			if err := tx.InsertJournalEntries(ctx, batch); err != nil {
				return fmt.Errorf("insert journal entries: %w", err)
			}
			if _, err := tx.TrimJournal(ctx, r.cfg.Keep); err != nil {
				return fmt.Errorf("trim journal: %w", err)
			}
			return nil
		})
		if err != nil {
			r.lost += len(batch)
			if !r.failing {
				r.log.Error("write the request journal; dropping entries until a write succeeds", "err", err, "entries", len(batch))
			}
			r.failing = true
			if first == nil {
				first = err
			}
			if len(batch) < r.cfg.Batch || ctx.Err() != nil {
				return first
			}
			continue
		}
		if r.failing {
			r.log.Info("writing the request journal again", "lost", r.lost)
			r.failing, r.lost = false, 0
		}
		if len(batch) < r.cfg.Batch {
			return first // the queue was empty
		}
	}
}

// take takes up to a batch of queued entries without waiting, masked.
func (r *Recorder) take() []*pay.JournalEntry {
	var batch []*pay.JournalEntry
	for len(batch) < r.cfg.Batch {
		select {
		case q := <-r.queue:
			q.mask()
			batch = append(batch, q.entry)
		default:
			return batch
		}
	}
	return batch
}

// Entries lists up to f.Limit entries f selects, newest first, from every node.
func (r *Recorder) Entries(ctx context.Context, f pay.JournalFilter) ([]*pay.JournalEntry, error) {
	var es []*pay.JournalEntry
	err := r.store.View(ctx, func(tx pay.Tx) error {
		var err error
		es, err = tx.JournalEntries(ctx, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	return es, nil
}

// Entry finds entry id; pay.ErrNotFound when the journal no longer holds it.
func (r *Recorder) Entry(ctx context.Context, id int64) (*pay.JournalEntry, error) {
	var e *pay.JournalEntry
	err := r.store.View(ctx, func(tx pay.Tx) error {
		var err error
		e, err = tx.JournalEntry(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("journal entry %d: %w", id, err)
	}
	return e, nil
}
