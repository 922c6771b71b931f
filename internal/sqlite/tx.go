package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tuikuan/tuikuan/internal/refund"
)

var _ refund.Tx = (*tx)(nil)

// tx is refund.Tx on one SQLite transaction.
type tx struct {
	tx *sql.Tx
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// dbError turns a driver error into the domain's sentinels, so that refund never sees
// SQLite's types. what names the operation, e.g. "insert refund 5030…".
func dbError(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, refund.ErrNotFound)
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// The driver's text names the clashing columns; keep it for the log
			// without exposing the driver type.
			return fmt.Errorf("%s: %w (%v)", what, refund.ErrDuplicate, err)
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
		return fmt.Errorf("%s: %w", what, refund.ErrNotFound)
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
