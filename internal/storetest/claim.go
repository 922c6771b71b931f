package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestSharedClaims checks the outbox's lease across nodes: two services on two stores
// over one database (as two nodes have) claim the same due notifications at once.
// Neither waits on the other's claim, no notification is leased to both, and one whose
// claimant dies with the lease open is claimed by the other once the lease runs out.
// open returns two stores on one fresh database; a store that no other process can
// share has nothing to check here.
func TestSharedClaims(t *testing.T, open func(t *testing.T) (a, b pay.Store)) {
	t.Run("Concurrent", func(t *testing.T) { testConcurrentClaims(t, open) })
	t.Run("SkipLocked", func(t *testing.T) { testClaimSkipsLocked(t, open) })
	t.Run("DeadNode", func(t *testing.T) { testClaimAfterDeadNode(t, open) })
}

// claimNodes returns two services over open's stores on one clock that moves only when
// the test moves it, with n due notifications stored, and the first service's store.
func claimNodes(t *testing.T, open func(t *testing.T) (a, b pay.Store), n int) (a, b *pay.Service, now *atomic.Int64, sa pay.Store) {
	t.Helper()
	sa, sb := open(t)
	r := seedRefund(t, sa, "50000000001")
	var ns []*pay.Notification
	for i := range n {
		ns = append(ns, newNotification(fmt.Sprintf("n-%03d", i), r.ID, at(0)))
	}
	insertNotifications(t, sa, ns...)
	now = new(atomic.Int64)
	now.Store(at(time.Hour).UnixNano())
	clock := pay.NewClock(func() time.Time { return time.Unix(0, now.Load()) })
	return pay.NewService(sa, nil, clock), pay.NewService(sb, nil, clock), now, sa
}

func testConcurrentClaims(t *testing.T, open func(t *testing.T) (a, b pay.Store)) {
	const total, perNode, batch = 60, 4, 3
	a, b, _, _ := claimNodes(t, open, total)
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 * perNode {
		svc := [2]*pay.Service{a, b}[i%2]
		wg.Go(func() {
			<-start
			for {
				ns, err := svc.Notifications.Claim(t.Context(), batch, time.Minute)
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if len(ns) == 0 {
					return
				}
				mu.Lock()
				for _, n := range ns {
					claimed[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(claimed) != total {
		t.Errorf("%d of %d notifications claimed", len(claimed), total)
	}
	for id, k := range claimed {
		if k > 1 {
			t.Errorf("notification %s leased %d times within one lease", id, k)
		}
	}
}

// testClaimSkipsLocked holds one node's claim open and checks that the other's claim
// returns at once with the rest.
func testClaimSkipsLocked(t *testing.T, open func(t *testing.T) (a, b pay.Store)) {
	const total, held = 10, 4
	_, b, _, sa := claimNodes(t, open, total)
	locked, release, done := make(chan []*pay.Notification, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- sa.Update(context.Background(), func(tx pay.Tx) error {
			ns, err := tx.DueNotifications(context.Background(), at(time.Hour), held)
			locked <- ns
			if err != nil {
				return err
			}
			<-release
			return nil
		})
	}()
	var first []*pay.Notification
	select {
	case first = <-locked:
	case <-time.After(30 * time.Second):
		t.Fatal("the first claim never listed its rows")
	}
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Errorf("first claim: %v", err)
		}
	}()
	if len(first) != held {
		t.Fatalf("first claim listed %d, want %d", len(first), held)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	began := time.Now()
	ns, err := b.Notifications.Claim(ctx, total, time.Minute)
	if err != nil {
		t.Fatalf("second claim while the first holds its rows: %v (after %v)", err, time.Since(began))
	}
	if len(ns) != total-held {
		t.Errorf("second claim got %d, want the %d the first does not hold", len(ns), total-held)
	}
	for _, n := range ns {
		for _, f := range first {
			if n.ID == f.ID {
				t.Errorf("second claim got %s, which the first holds", n.ID)
			}
		}
	}
}

func testClaimAfterDeadNode(t *testing.T, open func(t *testing.T) (a, b pay.Store)) {
	const lease = 30 * time.Second
	a, b, now, _ := claimNodes(t, open, 1)
	ns, err := a.Notifications.Claim(t.Context(), 1, lease)
	if err != nil || len(ns) != 1 {
		t.Fatalf("first node's claim: %d notifications, %v; want 1", len(ns), err)
	}
	// The first node dies: it never records an attempt nor gives the lease back.
	claim := func(when string) int {
		t.Helper()
		got, err := b.Notifications.Claim(t.Context(), 1, lease)
		if err != nil {
			t.Fatalf("second node's claim %s: %v", when, err)
		}
		return len(got)
	}
	if k := claim("within the lease"); k != 0 {
		t.Errorf("second node claimed %d within the first's lease, want 0", k)
	}
	now.Add(int64(lease - time.Millisecond))
	if k := claim("1ms before the lease ends"); k != 0 {
		t.Errorf("second node claimed %d before the lease ran out, want 0", k)
	}
	now.Add(int64(time.Millisecond))
	if k := claim("when the lease ends"); k != 1 {
		t.Errorf("second node claimed %d once the lease ran out, want the dead node's 1", k)
	}
}
