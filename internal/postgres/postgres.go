// Package postgres implements pay.Store on PostgreSQL through pgx, so that several
// tuikuan nodes can share one database.
//
// Update runs at READ COMMITTED and takes row locks: inside Update, a lookup of a single
// row the transaction may then change (an order, a refund, a notification, a complaint,
// a coupon stock or coupon) is SELECT … FOR UPDATE, so two nodes' read-modify-writes of
// the same row queue one behind the other and the second reads what the first
// committed, as SQLite's single writer gives. SERIALIZABLE was the alternative; it makes
// the second of two refunds on one order fail (40001) rather than wait, and a hot order
// with many concurrent refunds would burn through any bounded retry. What locks cannot
// order — two new rows under the same key — the schema's UNIQUE constraints refuse, and
// its CHECK constraints keep amounts within what was paid whatever a node does.
// The deliverer's claim of due notifications is the exception to waiting: it takes its
// rows FOR UPDATE SKIP LOCKED, so two nodes claiming at once each lease different ones.
// Deadlocks (40P01), possible when two Updates lock the same rows in different orders,
// and serialization failures (40001) roll back and run fn again, a bounded number of
// times with jitter: fn may run more than once.
//
// View runs at REPEATABLE READ, READ ONLY: every read in fn sees one snapshot.
//
// Times are stored as bigint Unix milliseconds, the encoding SQLite uses, rather than
// timestamptz: both stores then share one column list and codec per table
// (internal/sqltable), and "not set" stays 0 instead of needing NULL handling per column.
//
// Secrets are sealed at rest exactly as internal/sqlite seals them (sqltable.Seal).
// Every statement is bounded by statement_timeout and lock_timeout (WithStatementTimeout),
// and connecting by a connect timeout, so a database that is down or stuck answers with
// an error rather than a hang.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/tuikuan/tuikuan/internal/pay"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ pay.Store = (*Store)(nil)

// Store is pay.Store on a PostgreSQL database, through a pool of connections.
type Store struct {
	pool    *pgxpool.Pool
	sealer  pay.Sealer
	timeout time.Duration
	retries int
}

// Option configures Open.
type Option func(*Store)

// WithSealer seals secrets at rest with s. Without it they are stored in clear, which
// only tests of the store itself should do.
func WithSealer(s pay.Sealer) Option {
	return func(st *Store) { st.sealer = s }
}

// WithStatementTimeout bounds every statement, and every wait for a row lock, to d
// (default 10 s).
func WithStatementTimeout(d time.Duration) Option {
	return func(st *Store) { st.timeout = d }
}

// maxAttempts is how many times Update runs fn when the database keeps refusing to
// serialize it (a deadlock, a serialization failure).
const maxAttempts = 10

// Open connects to the database at url (postgres://…; pgxpool's parameters such as
// pool_max_conns apply; see defaultMaxConns for the pool's size without it), brings its schema up to date and, with a sealer, seals any
// secret stored in clear.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	s := &Store{timeout: 10 * time.Second, retries: maxAttempts}
	for _, o := range opts {
		o(s)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns()
	}
	ms := strconv.FormatInt(s.timeout.Milliseconds(), 10)
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = ms
	cfg.ConnConfig.RuntimeParams["lock_timeout"] = ms
	// A node that dies mid-transaction must not hold its row locks for long.
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(6*s.timeout.Milliseconds(), 10)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s.pool = pool
	// pgxpool connects lazily; fail here, not on the first request, on a bad URL.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if s.sealer != nil {
		if err := s.sealClearValues(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

// defaultMaxConns sizes the pool when the URL does not: 4 connections a core, at least
// 8. A transaction spends most of its time waiting for its commit to reach the disk,
// not on a core, and PostgreSQL flushes the commits waiting together in one go, so more
// transactions in flight carry more refunds a second; pgxpool's own default (4, or one
// a CPU) was the first limit of a measured node: 8 connections on 2 cores applied 47%
// more refunds than 4. Each connection is a server process, so several nodes on one
// database may need less (pool_max_conns) or a pooler.
func defaultMaxConns() int32 {
	return int32(max(8, 4*runtime.GOMAXPROCS(0)))
}

// migrate applies the embedded migrations. goose takes a session advisory lock, so
// nodes starting together migrate one at a time.
func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// sealClearValues seals in place the secrets of a database written without a sealer.
func (s *Store) sealClearValues(ctx context.Context) error {
	err := s.Update(ctx, func(rt pay.Tx) error {
		t := rt.(*tx)
		for _, q := range [][2]string{
			{`SELECT key, value FROM settings WHERE value NOT LIKE 'sealed:%'`, `UPDATE settings SET value = $1 WHERE key = $2`},
			{`SELECT mchid, apiv3_key FROM merchants WHERE apiv3_key NOT LIKE 'sealed:%'`, `UPDATE merchants SET apiv3_key = $1 WHERE mchid = $2`},
			{`SELECT mchid, apiv2_key FROM merchants WHERE apiv2_key NOT LIKE 'sealed:%'`, `UPDATE merchants SET apiv2_key = $1 WHERE mchid = $2`},
		} {
			if err := t.sealClearRows(ctx, q[0], q[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seal secrets: %w", err)
	}
	return nil
}

// Update runs fn in one READ COMMITTED transaction. It commits when fn returns nil;
// otherwise it rolls back and returns fn's error as is, so callers can match it with
// errors.As. On a deadlock or serialization failure it runs fn again, up to
// maxAttempts times in all.
func (s *Store) Update(ctx context.Context, fn func(pay.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	var err error
	for attempt := 1; ; attempt++ {
		err = s.run(ctx, opts, true, fn)
		if err == nil || !retryable(err) || attempt == s.retries {
			return err
		}
		// A little jitter, growing with the attempt, so the losers do not collide again.
		d := time.Duration(attempt) * time.Duration(1+rand.IntN(10)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}

// View runs fn in one read-only REPEATABLE READ transaction: every read inside fn sees
// the same snapshot.
func (s *Store) View(ctx context.Context, fn func(pay.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
}

func (s *Store) run(ctx context.Context, opts pgx.TxOptions, update bool, fn func(pay.Tx) error) error {
	pgTx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Also covers a panic in fn; after Commit it is a no-op. Rollback gets its own
	// context, still bounded: ctx may be why fn failed.
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		pgTx.Rollback(rctx)
	}()
	if err := fn(&tx{tx: pgTx, sealer: s.sealer, update: update}); err != nil {
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL refusing to serialize the transaction,
// which running it again may get past.
func retryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01")
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
