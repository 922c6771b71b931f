package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var _ pay.Tx = (*tx)(nil)

// tx is pay.Tx on one SQLite transaction.
type tx struct {
	tx     *sqlTx
	sealer pay.Sealer // nil: secrets in clear
	// cache, in a View, is the Store's refundCache; gen its generation when the
	// transaction began.
	cache *refundCache
	gen   uint64
}

// seal returns what is stored for the secret v.
func (t *tx) seal(v string) (string, error) { return sqltable.Seal(t.sealer, v) }

// open reverses seal.
func (t *tx) open(v string) (string, error) { return sqltable.Open(t.sealer, v) }

// sealClearRows seals the second column of the rows query selects, writing it back
// with update(sealed, first column). It returns how many rows it sealed.
func (t *tx) sealClearRows(ctx context.Context, query, update string) (int, error) {
	pairs, err := collect(ctx, t.tx, func(s scanner) ([2]string, error) {
		var kv [2]string
		return kv, s.Scan(&kv[0], &kv[1])
	}, query)
	if err != nil {
		return 0, err
	}
	pairs = slices.DeleteFunc(pairs, func(kv [2]string) bool { return kv[1] == "" })
	for _, p := range pairs {
		sealed, err := t.seal(p[1])
		if err != nil {
			return 0, err
		}
		if _, err := t.tx.ExecContext(ctx, update, sealed, p[0]); err != nil {
			return 0, err
		}
	}
	return len(pairs), nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner = sqltable.Scanner

// dbError turns a driver error into the domain's sentinels, so that refund never sees
// SQLite's types. what names the operation, e.g. "insert refund 5030…".
func dbError(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, pay.ErrNotFound)
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// The driver's text names the clashing columns; keep it for the log
			// without exposing the driver type.
			return fmt.Errorf("%s: %w (%v)", what, pay.ErrDuplicate, err)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// affected returns how many rows a DELETE or UPDATE changed.
func affected(what string, res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, dbError(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError(what, err)
	}
	return int(n), nil
}

// mustAffect reports ErrNotFound when an UPDATE matched no row.
func mustAffect(what string, res sql.Result, err error) error {
	if err != nil {
		return dbError(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, pay.ErrNotFound)
	}
	return nil
}
