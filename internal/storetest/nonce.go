package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestNonces checks NonceTx on fresh stores from open.
func TestNonces(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Insert", func(t *testing.T) { testInsertNonce(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrentNonce(t, open(t)) })
	t.Run("DeleteExpired", func(t *testing.T) { testDeleteExpiredNonces(t, open(t)) })
}

func insertNonce(t *testing.T, s pay.Store, mchid, nonce string, now time.Time) error {
	t.Helper()
	return write(t, s, func(tx pay.Tx) error {
		return tx.InsertNonce(t.Context(), mchid, nonce, now, now.Add(time.Minute))
	})
}

func testInsertNonce(t *testing.T, s pay.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	if err := insertNonce(t, s, "1900000109", "n1", now); err != nil {
		t.Fatalf("InsertNonce: %v", err)
	}
	checkErr(t, "InsertNonce(live duplicate)", insertNonce(t, s, "1900000109", "n1", now.Add(59*time.Second)), pay.ErrDuplicate)
	if err := insertNonce(t, s, "1900000200", "n1", now); err != nil {
		t.Errorf("InsertNonce(same nonce, other merchant): %v", err)
	}
	// Expired exactly at its expiry: reusable, and then live again for its new minute.
	later := now.Add(time.Minute)
	if err := insertNonce(t, s, "1900000109", "n1", later); err != nil {
		t.Errorf("InsertNonce(expired): %v", err)
	}
	checkErr(t, "InsertNonce(renewed duplicate)", insertNonce(t, s, "1900000109", "n1", later.Add(time.Second)), pay.ErrDuplicate)
}

// testConcurrentNonce races inserts of one nonce: exactly one may win.
func testConcurrentNonce(t *testing.T, s pay.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(tx pay.Tx) error {
				return tx.InsertNonce(t.Context(), "1900000109", "race", now, now.Add(time.Minute))
			})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, pay.ErrDuplicate):
			t.Errorf("InsertNonce = %v, want nil or ErrDuplicate", err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent inserts of one nonce succeeded, want 1", won)
	}
}

func testDeleteExpiredNonces(t *testing.T, s pay.Store) {
	ctx := t.Context()
	now := time.UnixMilli(1_700_000_000_000)
	for i, nonce := range []string{"a", "b", "c", "d"} {
		// a, b and c expire at now-1m, now and now+1m… d later still.
		start := now.Add(time.Duration(i-2) * time.Minute)
		if err := insertNonce(t, s, "1900000109", nonce, start); err != nil {
			t.Fatalf("InsertNonce(%s): %v", nonce, err)
		}
	}
	del := func(limit int) int {
		var n int
		mustWrite(t, s, func(tx pay.Tx) error {
			var err error
			n, err = tx.DeleteExpiredNonces(ctx, now, limit)
			return err
		})
		return n
	}
	if got := del(1); got != 1 {
		t.Errorf("DeleteExpiredNonces(limit 1) = %d, want 1", got)
	}
	if got := del(10); got != 1 {
		t.Errorf("DeleteExpiredNonces(limit 10) = %d, want the 1 left expired", got)
	}
	if got := del(10); got != 0 {
		t.Errorf("DeleteExpiredNonces(nothing expired) = %d, want 0", got)
	}
	for _, nonce := range []string{"c", "d"} {
		checkErr(t, "InsertNonce(live "+nonce+")", insertNonce(t, s, "1900000109", nonce, now), pay.ErrDuplicate)
	}
}
