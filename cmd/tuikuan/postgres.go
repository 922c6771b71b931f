package main

import (
	"context"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/postgres"
)

// openPostgres opens the PostgreSQL store at url; timeout, if not 0, bounds each
// statement and each wait for a row lock.
func openPostgres(ctx context.Context, url string, sealer pay.Sealer, timeout time.Duration) (pay.Store, error) {
	opts := []postgres.Option{postgres.WithSealer(sealer)}
	if timeout > 0 {
		opts = append(opts, postgres.WithStatementTimeout(timeout))
	}
	return postgres.Open(ctx, url, opts...)
}
