package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

func openForTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func merchantExists(t *testing.T, ctx context.Context, s *Store, mchid string) bool {
	t.Helper()
	err := s.View(ctx, func(tx pay.Tx) error {
		_, err := tx.Merchant(ctx, mchid)
		return err
	})
	if err != nil && !errors.Is(err, pay.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// Ensure a deferred Update's caller reads its own write, and learns from pay.Durable
// that it is on disk.
func TestDeferredUpdate(t *testing.T) {
	s := openForTest(t)
	ctx := pay.Defer(context.Background())
	err := s.Update(ctx, func(tx pay.Tx) error {
		return tx.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900000001", Kind: pay.KindDirect})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !merchantExists(t, ctx, s, "1900000001") {
		t.Error("a View under the deferred context does not see the Update's write")
	}
	if err := pay.Durable(ctx); err != nil {
		t.Errorf("Durable = %v, want nil", err)
	}
	if !merchantExists(t, context.Background(), s, "1900000001") {
		t.Error("write not kept")
	}
}

// Ensure a deferred Update whose function succeeded but whose batch then failed to
// commit is reported by pay.Durable, and that its write is gone. The commit is made to
// fail by a deferred foreign key left dangling: SQLite checks those at COMMIT.
func TestDeferredUpdate_CommitFails(t *testing.T) {
	s := openForTest(t)
	bg := context.Background()
	// TEMP tables live on the write pool's one connection, for every batch after.
	err := s.Update(bg, func(t pay.Tx) error {
		_, err := t.(*tx).tx.ExecContext(bg, `CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);
			CREATE TEMP TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := pay.Defer(bg)
	err = s.Update(ctx, func(t pay.Tx) error {
		if err := t.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900000002", Kind: pay.KindDirect}); err != nil {
			return err
		}
		_, err := t.(*tx).tx.ExecContext(bg, `INSERT INTO child (parent) VALUES (42)`)
		return err
	})
	if err != nil {
		t.Fatalf("Update = %v, want nil: its function succeeded", err)
	}
	err = pay.Durable(ctx)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("Durable = %v, want the commit's foreign key failure", err)
	}
	if merchantExists(t, ctx, s, "1900000002") {
		t.Error("the write of a batch that failed to commit was kept")
	}
	if err := pay.Durable(ctx); err == nil {
		t.Error("Durable a second time = nil, want the same failure")
	}
}

// Ensure a deferred Update whose function fails returns that error at once, and
// pay.Durable nil: the batch it ran in committed.
func TestDeferredUpdate_FunctionFails(t *testing.T) {
	s := openForTest(t)
	ctx := pay.Defer(context.Background())
	errFailed := errors.New("failed on purpose")
	err := s.Update(ctx, func(t pay.Tx) error {
		if err := t.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900000003", Kind: pay.KindDirect}); err != nil {
			return err
		}
		return errFailed
	})
	if !errors.Is(err, errFailed) {
		t.Fatalf("Update = %v, want %v", err, errFailed)
	}
	if err := pay.Durable(ctx); err != nil {
		t.Errorf("Durable = %v, want nil", err)
	}
	if merchantExists(t, ctx, s, "1900000003") {
		t.Error("the write of a failed function was kept")
	}
}
