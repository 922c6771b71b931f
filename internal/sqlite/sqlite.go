// Package sqlite implements pay.Store on an SQLite file through the pure-Go
// modernc.org/sqlite driver, so the default build needs no C toolchain.
//
// Secrets are sealed at this boundary: opened WithSealer, the store seals merchants'
// APIv3 and APIv2 keys and every settings value (the platform private key, the sandbox
// token) as it writes them and opens them as it reads them, so the domain sees clear
// values and a copy of the database alone reveals no key. A sealed value is
// "sealed:" + the Sealer's output; the marker tells a sealed value from a clear one
// written before sealing existed, which Open seals in place. Nodes that share a
// database share the data dir's server key, so each can open what another sealed.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/tuikuan/tuikuan/internal/pay"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ pay.Store = (*Store)(nil)

// Store is pay.Store on one SQLite file. Writes go through a single connection, so
// Updates run one after another; by default (WithGroupCommit) those that arrive while
// a commit is under way run together in the next transaction, each in a savepoint, and
// commit with one fsync. Views read from a separate pool and see the last committed
// state without waiting for the writer. An Update must not call Update: the inner call
// would wait forever for the transaction the outer one is part of.
type Store struct {
	write, read           *sql.DB
	writeStmts, readStmts prepared
	sealer                pay.Sealer
	group                 bool
	committer             *committer   // when group
	refunds               *refundCache // nil: none (WithRefundCache)
}

// WithGroupCommit sets whether concurrent Updates share write transactions (see
// committer), one fsync for many; without it each Update commits on its own.
func WithGroupCommit(on bool) Option {
	return func(st *Store) { st.group = on }
}

// Option configures Open.
type Option func(*Store)

// WithSealer seals secrets at rest with s. Without it they are stored in clear, which
// only tests of the store itself should do.
func WithSealer(s pay.Sealer) Option {
	return func(st *Store) { st.sealer = s }
}

// pragmas set up every connection. The driver runs busy_timeout first and the rest in
// name order; only busy_timeout's place matters.
var pragmas = []string{
	// A reader checkpointing the WAL, or another process, may hold a lock for a moment;
	// wait for it instead of failing with SQLITE_BUSY. It must come first so that the
	// pragmas after it get the same patience.
	"busy_timeout(5000)",
	// Readers never block the writer nor the writer readers, so View does not queue
	// behind Update.
	"journal_mode(WAL)",
	// SQLite leaves foreign keys unchecked unless asked, per connection.
	"foreign_keys(1)",
	// NORMAL with WAL may lose the last commits on power loss; an acknowledged refund
	// must survive that, so fsync the WAL on every commit.
	"synchronous(FULL)",
	// A value replaced or deleted (a clear key sealed in place, an old bank account)
	// is overwritten with zeros instead of lingering in a free page of the file. The
	// request journal's trim, which frees pages of masked text only, relaxes it.
	"secure_delete(1)",
	// After a checkpoint SQLite reuses the WAL from its start but keeps the file as
	// large as it ever grew; truncate it back to about the size one autocheckpoint
	// interval (1000 pages) fills, so space freed on a full disk stays free.
	"journal_size_limit(4194304)",
}

// Open opens the SQLite database at path, creating it if needed, and brings its schema
// up to date. The database and its WAL and shared-memory files are readable by their
// owner only.
func Open(path string, opts ...Option) (*Store, error) {
	// The driver cuts the name at the first '?' to find its parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open sqlite %q: path must not contain '?'", path)
	}
	if err := restrictFiles(path); err != nil {
		return nil, err
	}
	write, err := openPool(path, "_txlock", "immediate")
	if err != nil {
		return nil, err
	}
	// One connection makes SQLite's single writer explicit: Updates queue in
	// database/sql instead of failing with SQLITE_BUSY. BEGIN IMMEDIATE takes the write
	// lock before fn reads, so a read-modify-write never works on a stale snapshot.
	write.SetMaxOpenConns(1)
	if err := migrate(write); err != nil {
		write.Close()
		return nil, err
	}
	// query_only turns a write slipped into View into an error instead of a
	// second, unserialized writer.
	read, err := openPool(path, "_query_only", "1")
	if err != nil {
		write.Close()
		return nil, err
	}
	// Keep the readers open: a connection opened under load runs its pragmas while the
	// writer holds locks, and waits on busy_timeout for them (seen as 6 s stalls with 40
	// concurrent refunds before this).
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &Store{write: write, read: read, group: true, refunds: newRefundCache(DefaultRefundCache)}
	if s.writeStmts, err = prepareAll(write, hotSQL); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if s.readStmts, err = prepareAll(read, hotSQL); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	for _, o := range opts {
		o(s)
	}
	if s.group {
		s.committer = newCommitter(s)
	}
	if s.sealer != nil {
		if err := s.sealClearValues(); err != nil {
			s.Close()
			return nil, err
		}
	}
	// SQLite keeps the pages a savepoint (an Update in a batch) or a statement that may
	// fail halfway changes in a journal that spills to a temporary file past 64 KiB,
	// which one refund apply (the refund, its indexes, the order) outgrows: a pwrite a
	// page, a tenth of the store's CPU at 64 clients. Kept in memory, it is emptied at
	// each RELEASE, and the WAL alone keeps a commit durable, as before. Set last:
	// migrations and VACUUM sort and copy whole tables through temporary storage, which
	// must stay on disk.
	if _, err := s.write.Exec(`PRAGMA temp_store = MEMORY`); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

// restrictFiles creates the database file mode 0600 before SQLite does (SQLite gives
// its WAL and shared-memory files the mode of the database file) and narrows the
// files of a database made before that.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("open sqlite %s: %w", path, err)
		}
	}
	return nil
}

// sealClearValues seals in place the secrets of a database written before they were
// sealed, then rewrites the file so that no page keeps the clear values.
func (s *Store) sealClearValues() error {
	ctx := context.Background()
	changed := false
	err := s.Update(ctx, func(rt pay.Tx) error {
		t := rt.(*tx)
		n, err := t.sealClearRows(ctx, `SELECT key, value FROM settings WHERE value NOT LIKE 'sealed:%'`,
			`UPDATE settings SET value = ? WHERE key = ?`)
		if err != nil {
			return err
		}
		m3, err := t.sealClearRows(ctx, `SELECT mchid, apiv3_key FROM merchants WHERE apiv3_key NOT LIKE 'sealed:%'`,
			`UPDATE merchants SET apiv3_key = ? WHERE mchid = ?`)
		if err != nil {
			return err
		}
		m2, err := t.sealClearRows(ctx, `SELECT mchid, apiv2_key FROM merchants WHERE apiv2_key NOT LIKE 'sealed:%'`,
			`UPDATE merchants SET apiv2_key = ? WHERE mchid = ?`)
		changed = n+m3+m2 > 0
		return err
	})
	if err != nil {
		return fmt.Errorf("seal secrets: %w", err)
	}
	if !changed {
		return nil
	}
	// VACUUM rebuilds the file from live rows only; the checkpoint then moves the
	// rebuilt pages out of the WAL and truncates it.
	if _, err := s.write.Exec(`VACUUM`); err != nil {
		return fmt.Errorf("seal secrets: %w", err)
	}
	if _, err := s.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("seal secrets: %w", err)
	}
	return nil
}

func openPool(path, key, value string) (*sql.DB, error) {
	ps := pragmas
	if key == "_query_only" {
		// WAL mode is a property of the file, set by the writer; asking for it again
		// needs a lock a reader would wait for.
		ps = slices.DeleteFunc(slices.Clone(ps), func(p string) bool { return strings.HasPrefix(p, "journal_mode") })
	}
	q := url.Values{"_pragma": ps}
	q.Set(key, value)
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// sql.Open connects lazily; fail here, not on the first request, on a bad path.
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

func migrate(db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(context.Background()); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Update runs fn in one write transaction, or in a savepoint of one shared with other
// Updates (WithGroupCommit). It keeps fn's writes when fn returns nil; otherwise it
// rolls them back and returns fn's error as is, so callers can match it with errors.As.
// Either way it returns once the transaction has committed, fn runs once, and a panic
// in fn is raised again in the caller.
func (s *Store) Update(ctx context.Context, fn func(pay.Tx) error) error {
	if s.committer != nil {
		return s.committer.update(ctx, fn)
	}
	return s.update(ctx, fn)
}

// View runs fn in one read transaction: every read inside fn sees the same snapshot.
// Under pay.Defer it first waits for the caller's deferred commits, so that the caller
// reads what it wrote; a failed commit is the caller's to report (pay.Durable).
//
// The transaction begins at fn's first statement. A refund fn asks for before that
// may come from memory (WithRefundCache), as the store holds it at that moment; the
// statements fn runs after such a read see the snapshot the first of them takes,
// which may be newer.
func (s *Store) View(ctx context.Context, fn func(pay.Tx) error) error {
	_ = pay.Durable(ctx)
	t := &tx{sealer: s.sealer, cache: s.refunds}
	st := &sqlTx{stmts: s.readStmts, begin: func(ctx context.Context) (*sql.Tx, error) {
		if t.cache != nil {
			t.gen = t.cache.generation()
		}
		return s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	}}
	t.tx = st
	defer func() {
		// Also covers a panic in fn; after Commit it is a no-op.
		if st.begun() {
			st.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if !st.begun() {
		return nil
	}
	if err := st.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// update runs fn in a write transaction of its own.
func (s *Store) update(ctx context.Context, fn func(pay.Tx) error) error {
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Also covers a panic in fn; after Commit it is a no-op.
	defer t.Rollback()
	st := &sqlTx{Tx: t, stmts: s.writeStmts}
	if err := fn(&tx{tx: st, sealer: s.sealer}); err != nil {
		return err
	}
	return s.commit(st)
}

// commit commits the write transaction st, the refundCache told of the refunds it
// updated: before, so that it keeps none of them while the commit runs, and after,
// before the Update's callers learn of it.
func (s *Store) commit(st *sqlTx) error {
	if s.refunds != nil {
		s.refunds.committing(st.updated)
		defer s.refunds.committed(st.updated)
	}
	if err := st.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes both connection pools and their statements.
func (s *Store) Close() error {
	if s.committer != nil {
		s.committer.close()
	}
	return errors.Join(s.readStmts.close(), s.writeStmts.close(), s.read.Close(), s.write.Close())
}
