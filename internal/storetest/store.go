package storetest

import (
	"path/filepath"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqlite"
)

// The store fixture shared by every package's tests: a real SQLite store per test, the
// way the server runs, rather than a test double.

// NewSQLite returns a fresh, migrated SQLite store in tb's temporary directory, closed
// through tb.Cleanup.
func NewSQLite(tb testing.TB, opts ...sqlite.Option) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(filepath.Join(tb.TempDir(), "tuikuan.db"), opts...)
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Merchants stores copies of ms in s in one Update, and stops the test if that fails.
// Copies, so that tests may share merchants declared once as package variables.
func Merchants(tb testing.TB, s pay.Store, ms ...*pay.Merchant) {
	tb.Helper()
	ctx := tb.Context()
	err := s.Update(ctx, func(tx pay.Tx) error {
		for _, m := range ms {
			m := *m
			if err := tx.InsertMerchant(ctx, &m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("insert merchants: %v", err)
	}
}
