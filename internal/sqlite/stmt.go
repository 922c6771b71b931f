package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// hotSQL lists the statements of the requests that run most often — refund apply and
// query on both APIs, the merchant and nonce lookups every signed request makes, the
// outbox. Compiling SQL was an eighth of an apply's time and nearly a third of a v2
// refund query's; these are compiled once per connection instead.
var hotSQL []string

// hot registers q in hotSQL and returns it. Only fixed texts go through it: the set is
// bounded by the package's source, so each connection keeps a bounded set of statements.
func hot(q string) string {
	hotSQL = append(hotSQL, q)
	return q
}

// prepared maps SQL text to its statement on one pool. Open fills it before any
// transaction runs and nothing writes it after, so lookups need no lock. It must be
// filled then: preparing on the pool takes a connection of its own, and the write pool
// has one, which a transaction holds.
type prepared map[string]*sql.Stmt

// prepareAll prepares texts on db. database/sql then prepares each statement again on
// every other connection of the pool the first time a transaction there uses it, and
// keeps it for the connection's life.
func prepareAll(db *sql.DB, texts []string) (prepared, error) {
	p := make(prepared, len(texts))
	for _, q := range texts {
		if _, ok := p[q]; ok {
			continue
		}
		s, err := db.Prepare(q)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		p[q] = s
	}
	return p, nil
}

func (p prepared) close() error {
	var errs []error
	for _, s := range p {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// sqlTx is a transaction whose Exec, Query and QueryRow run a hot text through the
// statement its connection already compiled, and any other text as is.
type sqlTx struct {
	*sql.Tx
	// begin, when set, begins Tx at the first statement: a View answered from memory
	// (refundCache) takes no connection and runs no BEGIN.
	begin func(context.Context) (*sql.Tx, error)
	stmts prepared
	// uncancelable runs statements whatever their context does (see committer.run).
	uncancelable bool
	// bound holds this transaction's handles on the statements it used, so that a
	// statement run twice in one transaction is bound to it once.
	bound map[*sql.Stmt]*sql.Stmt
	// updated names the refunds this transaction updated, which the Store's
	// refundCache drops when it commits (Store.commit).
	updated []refundKeys
}

// begun reports whether t has a transaction: it ran a statement, or was begun eagerly.
func (t *sqlTx) begun() bool { return t.Tx != nil }

// ensure begins t's transaction if it is still to begin.
func (t *sqlTx) ensure(ctx context.Context) error {
	if t.Tx != nil {
		return nil
	}
	tx, err := t.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t.Tx = tx
	return nil
}

// errRow is the row of a statement that could not run.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// context returns the context t's statements run under.
func (t *sqlTx) context(ctx context.Context) context.Context {
	if t.uncancelable {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// stmt returns q's statement bound to t, nil when q is not prepared.
func (t *sqlTx) stmt(ctx context.Context, q string) *sql.Stmt {
	s, ok := t.stmts[q]
	if !ok {
		return nil
	}
	if b, ok := t.bound[s]; ok {
		return b
	}
	// StmtContext finds the statement already compiled on the transaction's
	// connection, or compiles it there once for the connection's life.
	b := t.Tx.StmtContext(ctx, s)
	if t.bound == nil {
		t.bound = make(map[*sql.Stmt]*sql.Stmt, 4)
	}
	t.bound[s] = b
	return b
}

func (t *sqlTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = t.context(ctx)
	if err := t.ensure(ctx); err != nil {
		return nil, err
	}
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

func (t *sqlTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = t.context(ctx)
	if err := t.ensure(ctx); err != nil {
		return nil, err
	}
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *sqlTx) QueryRowContext(ctx context.Context, q string, args ...any) scanner {
	ctx = t.context(ctx)
	if err := t.ensure(ctx); err != nil {
		return errRow{err}
	}
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}
