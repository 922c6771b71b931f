package notify

import (
	"context"
	"sync"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// maxBatch bounds the attempts one write transaction records, so that a large backlog
// never holds SQLite's single writer for long.
const maxBatch = 256

// recorder writes the attempts of many deliveries in one transaction: a commit (an
// fsync on SQLite) per delivery bounded the deliveries a second, not the signing. A
// batch is whatever arrived while the last one was committing, so a lone delivery is
// recorded at once and a busy deliverer's are recorded together without a timer.
// A delivery is done only once its batch has committed: if the process dies first, its
// lease runs out and it is delivered again.
type recorder struct {
	svc   *pay.Service
	scale float64
	in    chan *pending
}

// pending is one delivery waiting for its batch.
type pending struct {
	rec  pay.AttemptRecord
	done chan recorded // buffered: the recorder never waits for the worker
}

// recorded is what became of one pending record.
type recorded struct {
	n   *pay.Notification // nil when the notification is gone
	err error
}

func newRecorder(svc *pay.Service, scale float64) *recorder {
	return &recorder{svc: svc, scale: scale, in: make(chan *pending, maxBatch)}
}

// record hands rec to the batch and waits for its commit. It returns ctx's error when
// the deliverer stops first: the attempt is then abandoned, and maybe recorded anyway.
func (r *recorder) record(ctx context.Context, rec pay.AttemptRecord) (*pay.Notification, error) {
	p := &pending{rec: rec, done: make(chan recorded, 1)}
	select {
	case r.in <- p:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-p.done:
		return res.n, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lanes is how many batches may be committing at once. More than one, so that a write
// that hangs (a slow disk, a stuck connection) holds up only its own batch while the
// next is collected and committed; few, since SQLite commits one at a time anyway and a
// batch waiting for the writer is a batch not collecting.
const lanes = 2

// run records batches until ctx is done, and returns once none is committing.
func (r *recorder) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	lane := make(chan struct{}, lanes)
	for {
		select {
		case <-ctx.Done():
			return
		case lane <- struct{}{}:
		}
		var batch []*pending
		select {
		case <-ctx.Done():
			return
		case p := <-r.in:
			batch = append(make([]*pending, 0, maxBatch), p)
		}
	more:
		for len(batch) < maxBatch {
			select {
			case p := <-r.in:
				batch = append(batch, p)
			default:
				break more
			}
		}
		wg.Go(func() {
			defer func() { <-lane }()
			r.commit(ctx, batch)
		})
	}
}

// commit records batch in one transaction and tells each of its deliveries.
func (r *recorder) commit(ctx context.Context, batch []*pending) {
	recs := make([]pay.AttemptRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	ns, err := r.svc.Notifications.RecordAttempts(ctx, recs, r.scale)
	for i, p := range batch {
		if err != nil {
			p.done <- recorded{err: err}
		} else {
			p.done <- recorded{n: ns[i]}
		}
	}
}
