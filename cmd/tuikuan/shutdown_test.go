package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// stallingLog is a log sink that is slow once: the first line containing match waits
// until release is called, or stall has passed.
type stallingLog struct {
	match   string
	stall   time.Duration
	stalled chan struct{} // closed when the slow line arrives
	once    sync.Once
	release chan struct{}
	free    sync.Once
	buf     bytes.Buffer
}

func (l *stallingLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(l.match)) {
		l.once.Do(func() {
			close(l.stalled)
			select {
			case <-l.release:
			case <-time.After(l.stall):
			}
		})
	}
	return l.buf.Write(p)
}

func (l *stallingLog) unstall() { l.free.Do(func() { close(l.release) }) }

// Ensure serve waits for the settler and the deliverer, with its deliveries in flight,
// before it closes the store, however slow they are to stop: here the settler is stuck
// writing an error to a slow log when the server is told to stop.
func TestServe_ShutdownJoinsWorkers(t *testing.T) {
	sink := &stallingLog{match: "settle refunds", stall: time.Second, stalled: make(chan struct{}), release: make(chan struct{})}
	s := startServer(t)
	// Set only now: the hook runs at every server's stop, the template's included.
	var stacks string
	testHookBeforeStoreClose = func() {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		sink.unstall()
	}
	t.Cleanup(func() { testHookBeforeStoreClose = nil })
	s.logs.mu.Lock()
	s.logs.w = sink
	s.logs.mu.Unlock()
	direct := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct))
	ep.hang()
	id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
	s.settleTo(t, id, "SUCCESS")
	ep.next(t, 3*time.Second) // a delivery is in flight from here on

	// A business-clock offset the settler cannot read makes it log an error every tick.
	ctx := context.Background()
	store, err := openStore(ctx, s.dir, dbFor(t, s.dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	err = store.Update(ctx, func(tx pay.Tx) error { return tx.PutSetting(ctx, "clock_offset_ms", "garbled") })
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sink.stalled:
	case <-time.After(3 * time.Second):
		t.Fatal("the settler logged no error")
	}
	s.stop()

	if stacks == "" {
		t.Fatal("the store was closed without the hook running")
	}
	for _, fn := range []string{"pay.(*Refunds).RunSettler", "notify.(*Deliverer).Run", "notify.(*Deliverer).work"} {
		if strings.Contains(stacks, fn) {
			t.Errorf("when the store closed, a goroutine was still in %s", fn)
		}
	}
}
