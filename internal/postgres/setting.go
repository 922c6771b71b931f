package postgres

import (
	"context"
	"fmt"
)

// Every settings value is sealed, as in SQLite: the table holds the platform private
// key and the sandbox token.

// Setting reads a named value; "" and ErrNotFound when unset.
func (t *tx) Setting(ctx context.Context, key string) (string, error) {
	var value string
	if err := t.tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&value); err != nil {
		return "", dbError("setting "+key, err)
	}
	value, err := t.open(value)
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return value, nil
}

// PutSetting writes a named value, replacing any earlier one.
func (t *tx) PutSetting(ctx context.Context, key, value string) error {
	value, err := t.seal(value)
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return dbError("put setting "+key, err)
	}
	return nil
}
