package main

import (
	"context"
	"errors"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// openPostgres opens the PostgreSQL store at url.
func openPostgres(ctx context.Context, url string, sealer pay.Sealer) (pay.Store, error) {
	return nil, errors.New("--db: PostgreSQL store not built in")
}
