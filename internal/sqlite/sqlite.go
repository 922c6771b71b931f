// Package sqlite implements refund.Store on an SQLite file through the pure-Go
// modernc.org/sqlite driver, so the default build needs no C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/tuikuan/tuikuan/internal/refund"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ refund.Store = (*Store)(nil)

// Store is refund.Store on one SQLite file. Writes go through a single connection, so
// Updates run one after another; Views read from a separate pool and see the last
// committed state without waiting for the writer. An Update must not call Update:
// the inner call would wait forever for the connection the outer one holds.
type Store struct {
	write *sql.DB
	read  *sql.DB
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
}

// Open opens the SQLite database at path, creating it if needed, and brings its schema
// up to date.
func Open(path string) (*Store, error) {
	// The driver cuts the name at the first '?' to find its parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open sqlite %q: path must not contain '?'", path)
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
	return &Store{write: write, read: read}, nil
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

// Update runs fn in one write transaction. It commits when fn returns nil; otherwise it
// rolls back and returns fn's error as is, so callers can match it with errors.As.
func (s *Store) Update(ctx context.Context, fn func(refund.Tx) error) error {
	return run(ctx, s.write, nil, fn)
}

// View runs fn in one read transaction: every read inside fn sees the same snapshot.
func (s *Store) View(ctx context.Context, fn func(refund.Tx) error) error {
	return run(ctx, s.read, &sql.TxOptions{ReadOnly: true}, fn)
}

func run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(refund.Tx) error) error {
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Also covers a panic in fn; after Commit it is a no-op.
	defer sqlTx.Rollback()
	if err := fn(&tx{tx: sqlTx}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}
