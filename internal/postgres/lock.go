package postgres

import (
	"context"
	"fmt"
	"time"
)

// Ping checks that the database answers, for a readiness probe.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Lock takes the session advisory lock name, waiting while another session holds it, and
// returns its release. Processes sharing the database take it to do something once
// between them, such as completing a first installation. It holds one connection of the
// pool until released. It polls rather than blocking in pg_advisory_lock, so that a long
// wait is not cut short by statement_timeout and ends when ctx does.
func (s *Store) Lock(ctx context.Context, name string) (unlock func(), err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, name).Scan(&got); err != nil {
			conn.Release()
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			conn.Release()
			return nil, fmt.Errorf("lock %s: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
	return func() {
		// Closing the connection also releases the lock if the unlock fails.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, name); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}, nil
}
