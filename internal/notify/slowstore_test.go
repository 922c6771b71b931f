package notify_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// slowStore is a store whose first recorded attempt is slow to return: it has committed,
// then waits for release, as a write stuck behind a slow disk would. The SQLite writer
// is free meanwhile, so anything else that stalls is stalled by the deliverer.
type slowStore struct {
	pay.Store
	stuck    chan string   // the notification whose record is stuck
	release  func()        // lets it return
	released chan struct{} // closed by release
	recorded chan string   // every other notification whose attempt is recorded
	once     sync.Once
}

func newSlowStore() *slowStore {
	s := &slowStore{stuck: make(chan string, 1), released: make(chan struct{}), recorded: make(chan string, 4)}
	s.release = sync.OnceFunc(func() { close(s.released) })
	return s
}

func (s *slowStore) Update(ctx context.Context, fn func(pay.Tx) error) error {
	tx := &attemptTx{}
	err := s.Store.Update(ctx, func(inner pay.Tx) error {
		tx.Tx = inner
		return fn(tx)
	})
	if err != nil || tx.attempt == "" {
		return err
	}
	first := false
	s.once.Do(func() { first = true })
	if !first {
		s.recorded <- tx.attempt
		return nil
	}
	s.stuck <- tx.attempt
	<-s.released
	return nil
}

// attemptTx notes the notification whose attempt a transaction records.
type attemptTx struct {
	pay.Tx
	attempt string
}

func (tx *attemptTx) InsertAttempt(ctx context.Context, a *pay.Attempt) error {
	tx.attempt = a.NotificationID
	return tx.Tx.InsertAttempt(ctx, a)
}

// Ensure a store call that hangs while a worker records its attempt stalls neither the
// claims nor the other deliveries: a notification owed meanwhile is delivered and
// recorded, and the stuck one completes once the store returns.
func TestDeliverer_SlowStore(t *testing.T) {
	slow := newSlowStore()
	f := newFixtureOver(t, func(s pay.Store) pay.Store { slow.Store = s; return slow })
	received := make(chan string, 4)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		received <- r.URL.Path
	})
	first := f.owe(t, srv.URL+"/first")
	run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform}))
	t.Cleanup(slow.release) // runs before run's stop, which waits for the stuck worker

	deadline := time.After(10 * time.Second) // a failure bound, not a wait
	expect := func(c <-chan string, what, want string) {
		t.Helper()
		select {
		case got := <-c:
			if got != want {
				t.Fatalf("%s = %s, want %s", what, got, want)
			}
		case <-deadline:
			t.Fatalf("no %s %s: dispatch stalled behind the slow store", what, want)
		}
	}
	expect(received, "delivery", "/first")
	n, _ := f.notification(t, first)
	expect(slow.stuck, "stuck record", n.ID)

	second := f.owe(t, srv.URL+"/second")
	n2, _ := f.notification(t, second)
	expect(received, "delivery", "/second")
	expect(slow.recorded, "record", n2.ID)
	if n2, _ = f.notification(t, second); n2.Status != pay.NotifyDelivered {
		t.Errorf("second notification status %s while the first's record hangs, want DELIVERED", n2.Status)
	}

	slow.release()
	if n, _ = f.notification(t, first); n.Status != pay.NotifyDelivered || n.Attempts != 1 {
		t.Errorf("first notification = %s after %d attempts, want DELIVERED after 1", n.Status, n.Attempts)
	}
}
