package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var _ pay.Tx = (*tx)(nil)

// tx is pay.Tx on one PostgreSQL transaction.
type tx struct {
	tx     pgx.Tx
	sealer pay.Sealer // nil: secrets in clear
	update bool       // inside Update: lookups of rows to change lock them
}

// forUpdate is what ends a lookup of one row the transaction may change: inside Update
// it locks the row until the transaction ends (see the package doc).
func (t *tx) forUpdate() string {
	if t.update {
		return ` FOR UPDATE`
	}
	return ""
}

func (t *tx) seal(v string) (string, error) { return sqltable.Seal(t.sealer, v) }

func (t *tx) open(v string) (string, error) { return sqltable.Open(t.sealer, v) }

// sealClearRows seals the second column of the rows query selects, writing it back
// with update(sealed, first column).
func (t *tx) sealClearRows(ctx context.Context, query, update string) error {
	pairs, err := collect(ctx, t.tx, func(s sqltable.Scanner) ([2]string, error) {
		var kv [2]string
		return kv, s.Scan(&kv[0], &kv[1])
	}, query)
	if err != nil {
		return err
	}
	pairs = slices.DeleteFunc(pairs, func(kv [2]string) bool { return kv[1] == "" })
	for _, p := range pairs {
		sealed, err := t.seal(p[1])
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, update, sealed, p[0]); err != nil {
			return err
		}
	}
	return nil
}

// one runs query, which selects one row of table, and scans it.
func one[T any](ctx context.Context, t *tx, table *sqltable.Table[T], what, query string, args ...any) (*T, error) {
	v, err := table.Scan(t.tx.QueryRow(ctx, query, args...))
	if err != nil {
		return nil, dbError(what, err)
	}
	return v, nil
}

// list runs query, which selects rows of table, and scans them all.
func list[T any](ctx context.Context, t *tx, table *sqltable.Table[T], what, query string, args ...any) ([]*T, error) {
	out, err := collect(ctx, t.tx, table.Scan, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// insert adds v to table.
func insert[T any](ctx context.Context, t *tx, table *sqltable.Table[T], what string, v *T) error {
	if _, err := t.tx.Exec(ctx, table.InsertSQL(sqltable.Dollar), table.Values(v)...); err != nil {
		return dbError(what, err)
	}
	return nil
}

// update writes v's changing columns; ErrNotFound when no row has v's key.
func update[T any](ctx context.Context, t *tx, table *sqltable.Table[T], what string, v *T) error {
	tag, err := t.tx.Exec(ctx, table.UpdateSQL(sqltable.Dollar), table.UpdateArgs(v)...)
	return mustAffect(what, tag, err)
}

// collect runs query and reads every row it returns with scan.
func collect[T any](ctx context.Context, q pgx.Tx, scan func(sqltable.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := sqltable.ScanAll(rows, scan)
	if err != nil {
		return nil, err
	}
	return out, rows.Err()
}

// dbError turns a driver error into the domain's sentinels, so that refund never sees
// pgx's types. what names the operation, e.g. "insert refund 5030…".
func dbError(what string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, pay.ErrNotFound)
	}
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "23505" {
		// The message names the constraint; keep it for the log.
		return fmt.Errorf("%s: %w (%v)", what, pay.ErrDuplicate, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// mustAffect reports ErrNotFound when an UPDATE or DELETE matched no row.
func mustAffect(what string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return dbError(what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, pay.ErrNotFound)
	}
	return nil
}
