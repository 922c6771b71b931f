package sqlite

import (
	"context"
	"database/sql"

	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// querier is what *sql.Tx and sqlTx have in common for reading rows.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// collect runs query and reads every row it returns with scan.
func collect[T any](ctx context.Context, tx querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
