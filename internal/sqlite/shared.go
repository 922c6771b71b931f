package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

var insertNonceSQL = hot(`INSERT INTO nonces (mchid, nonce, expires_at) VALUES (?, ?, ?)
	ON CONFLICT (mchid, nonce) DO UPDATE SET expires_at = excluded.expires_at
	WHERE nonces.expires_at <= ?`)

// InsertNonce records mchid's nonce until expires; ErrDuplicate when it is recorded
// with an expiry after now. An expired row is taken over by the same statement, so two
// concurrent inserts cannot both see it free.
func (tx *tx) InsertNonce(ctx context.Context, mchid, nonce string, now, expires time.Time) error {
	res, err := tx.tx.ExecContext(ctx, insertNonceSQL, mchid, nonce, expires.UnixMilli(), now.UnixMilli())
	if err != nil {
		return dbError("insert nonce", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError("insert nonce", err)
	}
	if n == 0 {
		return fmt.Errorf("insert nonce: %w", pay.ErrDuplicate)
	}
	return nil
}

// DeleteExpiredNonces deletes up to limit nonces expired at now.
func (tx *tx) DeleteExpiredNonces(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM nonces WHERE (mchid, nonce) IN
		(SELECT mchid, nonce FROM nonces WHERE expires_at <= ? LIMIT ?)`, now.UnixMilli(), limit)
	return affected("delete expired nonces", res, err)
}

const faultRuleColumns = `id, api, spec, fired, remaining, draws`

func scanFaultRule(s scanner) (*pay.FaultRule, error) {
	var r pay.FaultRule
	err := s.Scan(&r.ID, &r.API, &r.Spec, &r.Fired, &r.Remaining, &r.Draws)
	return &r, err
}

// InsertFaultRule adds r and sets its id.
func (tx *tx) InsertFaultRule(ctx context.Context, r *pay.FaultRule) error {
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO fault_rules (api, spec, remaining) VALUES (?, ?, ?) RETURNING id`,
		r.API, r.Spec, r.Remaining).Scan(&r.ID)
	if err != nil {
		return dbError("insert fault rule", err)
	}
	r.Fired, r.Draws = 0, 0
	return nil
}

// FaultRules lists every rule, or api's live ones, oldest first.
func (tx *tx) FaultRules(ctx context.Context, api string) ([]*pay.FaultRule, error) {
	q, args := `SELECT `+faultRuleColumns+` FROM fault_rules ORDER BY id`, []any(nil)
	if api != "" {
		q, args = `SELECT `+faultRuleColumns+` FROM fault_rules WHERE api = ? AND remaining <> 0 ORDER BY id`, []any{api}
	}
	rules, err := collect(ctx, tx.tx, scanFaultRule, q, args...)
	if err != nil {
		return nil, dbError("fault rules", err)
	}
	return rules, nil
}

// FireFaultRule consumes one use of live rule id.
func (tx *tx) FireFaultRule(ctx context.Context, id int64) (*pay.FaultRule, error) {
	r, err := scanFaultRule(tx.tx.QueryRowContext(ctx, `UPDATE fault_rules
		SET fired = fired + 1, remaining = CASE WHEN remaining > 0 THEN remaining - 1 ELSE remaining END
		WHERE id = ? AND remaining <> 0 RETURNING `+faultRuleColumns, id))
	if err != nil {
		return nil, dbError("fire fault rule", err)
	}
	return r, nil
}

// DrawFaultRule counts one draw of live rule id.
func (tx *tx) DrawFaultRule(ctx context.Context, id int64) (int64, error) {
	var draws int64
	err := tx.tx.QueryRowContext(ctx, `UPDATE fault_rules SET draws = draws + 1
		WHERE id = ? AND remaining <> 0 RETURNING draws`, id).Scan(&draws)
	if err != nil {
		return 0, dbError("draw fault rule", err)
	}
	return draws, nil
}

// DeleteFaultRule deletes rule id.
func (tx *tx) DeleteFaultRule(ctx context.Context, id int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM fault_rules WHERE id = ?`, id)
	return mustAffect("delete fault rule", res, err)
}

// DeleteFaultRules deletes every rule.
func (tx *tx) DeleteFaultRules(ctx context.Context) error {
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM fault_rules`)
	if err != nil {
		return dbError("delete fault rules", err)
	}
	return nil
}

// InsertFaultMark records key; ErrDuplicate when it is recorded.
func (tx *tx) InsertFaultMark(ctx context.Context, key string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO fault_marks (key) VALUES (?)`, key)
	if err != nil {
		return dbError("insert fault mark", err)
	}
	return nil
}
