package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// InsertNonce records mchid's nonce until expires; ErrDuplicate when it is recorded
// with an expiry after now. An expired row is taken over by the same statement, which
// PostgreSQL runs under the row's lock, so two nodes inserting one nonce cannot both win.
func (t *tx) InsertNonce(ctx context.Context, mchid, nonce string, now, expires time.Time) error {
	tag, err := t.tx.Exec(ctx, `INSERT INTO nonces (mchid, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (mchid, nonce) DO UPDATE SET expires_at = excluded.expires_at
		WHERE nonces.expires_at <= $4`, mchid, nonce, expires.UnixMilli(), now.UnixMilli())
	if err != nil {
		return dbError("insert nonce", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("insert nonce: %w", pay.ErrDuplicate)
	}
	return nil
}

// DeleteExpiredNonces deletes up to limit nonces expired at now.
func (t *tx) DeleteExpiredNonces(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM nonces WHERE (mchid, nonce) IN
		(SELECT mchid, nonce FROM nonces WHERE expires_at <= $1 LIMIT $2)`, now.UnixMilli(), limit)
	if err != nil {
		return 0, dbError("delete expired nonces", err)
	}
	return int(tag.RowsAffected()), nil
}

const faultRuleColumns = `id, api, spec, fired, remaining, draws`

func scanFaultRule(s sqltable.Scanner) (*pay.FaultRule, error) {
	var r pay.FaultRule
	err := s.Scan(&r.ID, &r.API, &r.Spec, &r.Fired, &r.Remaining, &r.Draws)
	return &r, err
}

// InsertFaultRule adds r and sets its id.
func (t *tx) InsertFaultRule(ctx context.Context, r *pay.FaultRule) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO fault_rules (api, spec, remaining) VALUES ($1, $2, $3) RETURNING id`,
		r.API, r.Spec, r.Remaining).Scan(&r.ID)
	if err != nil {
		return dbError("insert fault rule", err)
	}
	r.Fired, r.Draws = 0, 0
	return nil
}

// FaultRules lists every rule, or api's live ones, oldest first.
func (t *tx) FaultRules(ctx context.Context, api string) ([]*pay.FaultRule, error) {
	q, args := `SELECT `+faultRuleColumns+` FROM fault_rules ORDER BY id`, []any(nil)
	if api != "" {
		q, args = `SELECT `+faultRuleColumns+` FROM fault_rules WHERE api = $1 AND remaining <> 0 ORDER BY id`, []any{api}
	}
	rules, err := collect(ctx, t.tx, scanFaultRule, q, args...)
	if err != nil {
		return nil, dbError("fault rules", err)
	}
	return rules, nil
}

// FireFaultRule consumes one use of live rule id.
func (t *tx) FireFaultRule(ctx context.Context, id int64) (*pay.FaultRule, error) {
	r, err := scanFaultRule(t.tx.QueryRow(ctx, `UPDATE fault_rules
		SET fired = fired + 1, remaining = CASE WHEN remaining > 0 THEN remaining - 1 ELSE remaining END
		WHERE id = $1 AND remaining <> 0 RETURNING `+faultRuleColumns, id))
	if err != nil {
		return nil, dbError("fire fault rule", err)
	}
	return r, nil
}

// DrawFaultRule counts one draw of live rule id.
func (t *tx) DrawFaultRule(ctx context.Context, id int64) (int64, error) {
	var draws int64
	err := t.tx.QueryRow(ctx, `UPDATE fault_rules SET draws = draws + 1
		WHERE id = $1 AND remaining <> 0 RETURNING draws`, id).Scan(&draws)
	if err != nil {
		return 0, dbError("draw fault rule", err)
	}
	return draws, nil
}

// DeleteFaultRule deletes rule id.
func (t *tx) DeleteFaultRule(ctx context.Context, id int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM fault_rules WHERE id = $1`, id)
	return mustAffect("delete fault rule", tag, err)
}

// DeleteFaultRules deletes every rule.
func (t *tx) DeleteFaultRules(ctx context.Context) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM fault_rules`); err != nil {
		return dbError("delete fault rules", err)
	}
	return nil
}

// InsertFaultMark records key; ErrDuplicate when it is recorded.
func (t *tx) InsertFaultMark(ctx context.Context, key string) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO fault_marks (key) VALUES ($1)`, key); err != nil {
		return dbError("insert fault mark", err)
	}
	return nil
}
