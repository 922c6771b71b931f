package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqlite"
)

// dbFlag registers --db, shared by every command that opens the store.
func dbFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("db", getenv("TUIKUAN_DB"), "postgres:// URL of a PostgreSQL database to use instead of SQLite in the data dir (env TUIKUAN_DB)")
}

// openData opens the store with openStore and completes the installation if need be.
// The caller holds dir's setup lock; on PostgreSQL, where nodes on other data dirs share
// the database, the completion also runs under the store's install lock.
func openData(ctx context.Context, dir, dbURL string, timeout time.Duration) (pay.Store, *identity.Platform, string, error) {
	store, err := openStore(ctx, dir, dbURL, timeout)
	if err != nil {
		return nil, nil, "", err
	}
	platform, token, err := ensureInstallation(ctx, dir, store)
	if err != nil {
		store.Close()
		return nil, nil, "", err
	}
	return store, platform, token, nil
}

// openStore opens the store — the PostgreSQL database at dbURL, else SQLite in dir —
// its secrets sealed under dir's server key. timeout, if not 0, bounds each statement on
// PostgreSQL.
func openStore(ctx context.Context, dir, dbURL string, timeout time.Duration) (pay.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	sealer, err := newSealer(dir)
	if err != nil {
		return nil, err
	}
	if dbURL != "" {
		return openPostgres(ctx, dbURL, sealer, timeout)
	}
	return sqlite.Open(filepath.Join(dir, "tuikuan.db"), sqlite.WithSealer(sealer))
}

// locker is a store whose processes can take a named lock together. The PostgreSQL store
// is one (an advisory lock, held by one connection): nodes that share its database but
// not a data dir take it so that exactly one creates the installation on the first
// start. The SQLite store is not one: its database lives in one data dir, whose
// setup.lock the caller already holds.
type locker interface {
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// installLock names the lock under which the installation is completed.
const installLock = "tuikuan.install"

// ensureInstallation completes the installation in store, under the store's install lock
// if it has one: a second node waits for the first to finish, then finds it complete.
func ensureInstallation(ctx context.Context, dir string, store pay.Store) (*identity.Platform, string, error) {
	if l, ok := store.(locker); ok {
		unlock, err := l.Lock(ctx, installLock)
		if err != nil {
			return nil, "", fmt.Errorf("take the install lock: %w", err)
		}
		defer unlock()
	}
	return identity.EnsureInstallation(ctx, dir, store, time.Now())
}

// boundedStore bounds every Update and View of a store by timeout, so that a request
// made while the database is unreachable fails (SYSTEM_ERROR) instead of hanging.
//
// The transaction's statements run on the contexts the domain passes them, which are
// the request's; so when a call overruns, boundedStore also cancels the request's
// context through the cancel func withStoreBound put there.
//
// observe, when not nil, is told how long each transaction took, "update" or "view".
type boundedStore struct {
	pay.Store
	timeout time.Duration
	observe func(kind string, d time.Duration)
}

// errStoreTimeout is the cause of a request context canceled by a store call that overran.
var errStoreTimeout = errors.New("store call timed out")

func (s boundedStore) Update(ctx context.Context, fn func(pay.Tx) error) error {
	ctx, stop := s.bound(ctx)
	defer stop()
	defer s.time("update", time.Now())
	return s.Store.Update(ctx, fn)
}

func (s boundedStore) View(ctx context.Context, fn func(pay.Tx) error) error {
	ctx, stop := s.bound(ctx)
	defer stop()
	defer s.time("view", time.Now())
	return s.Store.View(ctx, fn)
}

// time tells observe how long a transaction of kind begun at start took.
func (s boundedStore) time(kind string, start time.Time) {
	if s.observe != nil {
		s.observe(kind, time.Since(start))
	}
}

func (s boundedStore) bound(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errStoreTimeout)
	stopAfter := func() bool { return false }
	if cancelRequest, ok := ctx.Value(storeBoundKey{}).(context.CancelCauseFunc); ok {
		stopAfter = context.AfterFunc(ctx, func() {
			if errors.Is(context.Cause(ctx), errStoreTimeout) {
				cancelRequest(errStoreTimeout)
			}
		})
	}
	return ctx, func() { stopAfter(); cancel() }
}

type storeBoundKey struct{}

// withStoreBound gives every request a context that boundedStore cancels when one of
// the request's store calls overruns its bound.
func withStoreBound(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancelCause(r.Context())
		defer cancel(nil)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, storeBoundKey{}, cancel)))
	})
}

// pinger is a store that can check its database cheaply.
type pinger interface {
	Ping(ctx context.Context) error
}

// readyz answers 200 when the store answers within timeout, 503 otherwise: a load
// balancer sends requests only to nodes whose database is reachable, and sends them
// again once it is back (the store reconnects by itself).
func readyz(store pay.Store, timeout time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		var err error
		if p, ok := store.(pinger); ok {
			err = p.Ping(ctx)
		} else {
			err = store.View(ctx, func(tx pay.Tx) error {
				_, err := tx.Setting(ctx, "readyz")
				if errors.Is(err, pay.ErrNotFound) {
					return nil
				}
				return err
			})
		}
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "store unavailable\n")
			return
		}
		fmt.Fprintf(w, "ok\n")
	}
}
