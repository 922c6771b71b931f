package sqlite_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tuikuan/tuikuan/internal/refund"
	"github.com/tuikuan/tuikuan/internal/sqlite"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) refund.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"))
	})
}

// TestReopen checks that data outlives the Store and that opening an up-to-date file
// runs no migration twice.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tuikuan.db")
	s := mustOpen(t, path)
	err := s.Update(ctx, func(tx refund.Tx) error {
		return tx.InsertMerchant(ctx, &refund.Merchant{Mchid: "1900000109", Kind: refund.KindDirect})
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for range 2 {
		s := mustOpen(t, path)
		err := s.View(ctx, func(tx refund.Tx) error {
			_, err := tx.Merchant(ctx, "1900000109")
			return err
		})
		if err != nil {
			t.Errorf("Merchant after reopen: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied int
	if err := db.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatalf("count applied migrations: %v", err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("goose_db_version holds %d applied migrations after three opens, want %d", applied, len(files))
	}
}

func TestOpenBadPath(t *testing.T) {
	if _, err := sqlite.Open(filepath.Join(t.TempDir(), "missing", "tuikuan.db")); err == nil {
		t.Errorf("Open in a missing directory succeeded, want an error")
	}
}

// TestViewReadOnly checks that a write slipped into View fails instead of bypassing the
// single writer.
func TestViewReadOnly(t *testing.T) {
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"))
	err := s.View(ctx, func(tx refund.Tx) error { return tx.PutSetting(ctx, "k", "v") })
	if err == nil || errors.Is(err, refund.ErrDuplicate) {
		t.Errorf("PutSetting in View = %v, want a read-only error", err)
	}
}

func mustOpen(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
