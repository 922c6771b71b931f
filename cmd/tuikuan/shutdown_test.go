package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Ensure serve stops the settler, the deliverer and a delivery in flight before it closes
// the store, so that none of them touches a closed store.
func TestServe_ShutdownJoinsWorkers(t *testing.T) {
	var stacks string
	testHookBeforeStoreClose = func() {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
	}
	t.Cleanup(func() { testHookBeforeStoreClose = nil })

	s := startServer(t)
	direct := s.merchant(t, "direct")
	// Deliveries in flight are the slowest to stop: each has a connection to cancel.
	for range 4 {
		ep := newNotifyEndpoint(t, s.publicKeyHandler(t, direct))
		ep.hang()
		id, _ := s.refundFor(t, direct, direct.Mchid, ep.URL)
		s.settleTo(t, id, "SUCCESS")
		ep.next(t, 3*time.Second)
	}
	s.stop()

	if stacks == "" {
		t.Fatal("the store was closed without the hook running")
	}
	for _, fn := range []string{"refund.(*Service).RunSettler", "notify.(*Deliverer).Run", "notify.(*Deliverer).work"} {
		if strings.Contains(stacks, fn) {
			t.Errorf("when the store closed, a goroutine was still in %s", fn)
		}
	}
}
