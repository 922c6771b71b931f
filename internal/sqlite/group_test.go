package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqlite"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// TestStoreWithoutGroupCommit runs the conformance suite with each Update in a
// transaction of its own; TestStore runs it with the default, group commit.
func TestStoreWithoutGroupCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T) pay.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"), sqlite.WithGroupCommit(false))
	})
}

// TestGroupCommitIsolatesFailures runs many Updates at once, so that they share
// batches, a third of them failing after a write and a third panicking after one: only
// the writes of those that returned nil are kept, and each caller gets its own outcome.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"))
	errFailed := errors.New("failed on purpose")
	const n = 150
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		// The last few run one at a time, each a batch of its own, without a savepoint.
		if i >= n-9 {
			wg.Wait()
		}
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.Update(ctx, func(tx pay.Tx) error {
				if err := tx.InsertMerchant(ctx, &pay.Merchant{Mchid: fmt.Sprint(1900000000 + i), Kind: pay.KindDirect}); err != nil {
					return err
				}
				switch i % 3 {
				case 1:
					return errFailed
				case 2:
					panic(fmt.Sprint("panic ", i))
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		switch i % 3 {
		case 0:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("Update %d = %v, panic %v; want nil", i, errs[i], panics[i])
			}
		case 1:
			if !errors.Is(errs[i], errFailed) || panics[i] != nil {
				t.Errorf("Update %d = %v, panic %v; want %v", i, errs[i], panics[i], errFailed)
			}
		case 2:
			if want := fmt.Sprint("panic ", i); panics[i] != want {
				t.Errorf("Update %d panicked with %v, want %q", i, panics[i], want)
			}
		}
	}
	err := s.View(ctx, func(tx pay.Tx) error {
		ms, err := tx.Merchants(ctx)
		if err != nil {
			return err
		}
		kept := map[string]bool{}
		for _, m := range ms {
			kept[m.Mchid] = true
		}
		for i := range n {
			if want := i%3 == 0; kept[fmt.Sprint(1900000000+i)] != want {
				t.Errorf("merchant of Update %d kept: %v, want %v", i, !want, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitClose checks that Update after Close fails instead of waiting.
func TestGroupCommitClose(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), func(pay.Tx) error { return nil }); err == nil {
		t.Error("Update after Close = nil, want an error")
	}
}
