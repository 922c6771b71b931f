package apiv3

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Expired nonces are deleted sweepBatch at a time, on one call in sweepEvery: at most
// sweepBatch/sweepEvery (4) deletions per request, four times the rate nonces arrive,
// so the table stays near the size of one keep window.
const (
	sweepEvery = 128
	sweepBatch = 512
)

// storeNonces is a NonceStore in a pay.Store: every node on the store refuses a nonce
// another accepted.
type storeNonces struct {
	store pay.Store
	calls atomic.Uint64
}

// StoreNonces returns a NonceStore that keeps nonces in store, shared by every node that
// uses it.
func StoreNonces(store pay.Store) NonceStore {
	return &storeNonces{store: store}
}

func (s *storeNonces) Remember(ctx context.Context, mchid, nonce string, now time.Time, keep time.Duration) (bool, error) {
	err := s.store.Update(ctx, func(tx pay.Tx) error {
		if err := tx.InsertNonce(ctx, mchid, nonce, now, now.Add(keep)); err != nil {
			return err
		}
		if s.calls.Add(1)%sweepEvery == 0 {
			_, err := tx.DeleteExpiredNonces(ctx, now, sweepBatch)
			return err
		}
		return nil
	})
	if errors.Is(err, pay.ErrDuplicate) {
		return false, nil
	}
	return err == nil, err
}
