package sqlite

import (
	"context"
	"fmt"
)

// Every settings value is sealed (see the package doc): the table holds the platform
// private key and the sandbox token, and sealing all of it needs no list of which.

var (
	settingSQL    = hot(`SELECT value FROM settings WHERE key = ?`)
	putSettingSQL = hot(`INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
)

// Setting reads a named value; "" and ErrNotFound when unset.
func (tx *tx) Setting(ctx context.Context, key string) (string, error) {
	var value string
	err := tx.tx.QueryRowContext(ctx, settingSQL, key).Scan(&value)
	if err != nil {
		return "", dbError("setting "+key, err)
	}
	if value, err = tx.open(value); err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return value, nil
}

// PutSetting writes a named value, replacing any earlier one.
func (tx *tx) PutSetting(ctx context.Context, key, value string) error {
	value, err := tx.seal(value)
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	_, err = tx.tx.ExecContext(ctx, putSettingSQL, key, value)
	if err != nil {
		return dbError("put setting "+key, err)
	}
	return nil
}
