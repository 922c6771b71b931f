package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tuikuan/tuikuan/internal/pay"
)

var _ pay.Tx = (*tx)(nil)

// tx is pay.Tx on one SQLite transaction.
type tx struct {
	tx     *sql.Tx
	sealer pay.Sealer // nil: secrets in clear
}

// seal returns what is stored for the secret v.
func (t *tx) seal(v string) (string, error) {
	if t.sealer == nil || v == "" {
		return v, nil
	}
	sealed, err := t.sealer.Seal(v)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return sealedPrefix + sealed, nil
}

// open reverses seal. A value without the marker is clear: a store opened without a
// sealer wrote it.
func (t *tx) open(v string) (string, error) {
	rest, ok := strings.CutPrefix(v, sealedPrefix)
	if !ok {
		return v, nil
	}
	if t.sealer == nil {
		return "", errors.New("value is sealed and the store has no sealer")
	}
	clear, err := t.sealer.Open(rest)
	if err != nil {
		// Most likely a server key other than the one that sealed it.
		return "", fmt.Errorf("open sealed value (is this the data dir's server.key?): %w", err)
	}
	return clear, nil
}

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
type scanner interface {
	Scan(dest ...any) error
}

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

// millis stores the zero time as 0 so that "not set" survives the round trip; a time at
// exactly the Unix epoch reads back as unset, which no real order or refund has.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// timeDest returns a Scan destination that reads what millis wrote into *t.
func timeDest(t *time.Time) sql.Scanner { return millisScanner{t} }

type millisScanner struct{ t *time.Time }

func (s millisScanner) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T, want int64", src)
	}
	*s.t = time.Time{}
	if v != 0 {
		*s.t = time.UnixMilli(v)
	}
	return nil
}
