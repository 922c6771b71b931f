package sqlite_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqlite"
	"github.com/tuikuan/tuikuan/internal/sqltable"
	"github.com/tuikuan/tuikuan/internal/storetest"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) pay.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"))
	})
}

// TestReopen checks that data outlives the Store and that opening an up-to-date file
// runs no migration twice.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tuikuan.db")
	s := mustOpen(t, path)
	err := s.Update(ctx, func(tx pay.Tx) error {
		return tx.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900000109", Kind: pay.KindDirect})
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for range 2 {
		s := mustOpen(t, path)
		err := s.View(ctx, func(tx pay.Tx) error {
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
	err := s.View(ctx, func(tx pay.Tx) error { return tx.PutSetting(ctx, "k", "v") })
	if err == nil || errors.Is(err, pay.ErrDuplicate) {
		t.Errorf("PutSetting in View = %v, want a read-only error", err)
	}
}

func mustOpen(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testSealer(t *testing.T) *wxcrypto.Sealer {
	t.Helper()
	s, err := wxcrypto.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStoreSealed runs the conformance suite on a store that seals its secrets: sealing
// is invisible to the domain.
func TestStoreSealed(t *testing.T) {
	sealer := testSealer(t)
	storetest.Run(t, func(t *testing.T) pay.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"), sqlite.WithSealer(sealer))
	})
}

// TestOpenSealsClearValues opens a database written before secrets were sealed: it keeps
// working, and afterwards no file of it holds a secret in clear.
func TestOpenSealsClearValues(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tuikuan.db")
	const v3, v2, token = "V3KEYv3keyV3KEYv3keyV3KEYv3key01", "V2KEYv2keyV2KEYv2keyV2KEYv2key01", "TOKENtokenTOKENtokenTOKENtokenTOKENtoken"
	// The old format, written with SQL as the code before sealing wrote it.
	old := mustOpen(t, path)
	old.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO merchants (mchid, kind, apiv3_key, apiv2_key) VALUES ('1900000109', 'direct', ?, ?)`, v3, v2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO settings (key, value) VALUES ('sandbox_token', ?)`, token); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for range 2 { // the second open finds nothing left to seal
		s, err := sqlite.Open(path, sqlite.WithSealer(testSealer(t)))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		var m *pay.Merchant
		var got string
		err = s.View(ctx, func(tx pay.Tx) error {
			if m, err = tx.Merchant(ctx, "1900000109"); err != nil {
				return err
			}
			got, err = tx.Setting(ctx, "sandbox_token")
			return err
		})
		if err != nil || m.APIv3Key != v3 || m.APIv2Key != v2 || got != token {
			t.Errorf("after upgrade: merchant %+v, token %q, %v; want the clear values", m, got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, secret := range []string{v3, v2, token} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds %s in clear", filepath.Base(f), secret)
			}
		}
	}
}

// TestOpenWrongServerKey checks that secrets sealed under another key fail loudly
// instead of reading as garbage.
func TestOpenWrongServerKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tuikuan.db")
	s, err := sqlite.Open(path, sqlite.WithSealer(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx pay.Tx) error { return tx.PutSetting(ctx, "k", "v") }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	other, _ := wxcrypto.NewSealer(bytes.Repeat([]byte{8}, 32))
	s, err = sqlite.Open(path, sqlite.WithSealer(other))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx pay.Tx) error { _, err := tx.Setting(ctx, "k"); return err })
	if err == nil || !strings.Contains(err.Error(), "server.key") {
		t.Errorf("Setting under another key = %v, want an error naming server.key", err)
	}
}

// TestOpenFileModes checks that the database and its WAL and shared-memory files are
// readable by their owner only, also when an older version created them 0644.
func TestOpenFileModes(t *testing.T) {
	ctx := t.Context()
	for _, name := range []string{"New", "Old"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tuikuan.db")
			if name == "Old" {
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := mustOpen(t, path)
			if err := s.Update(ctx, func(tx pay.Tx) error { return tx.PutSetting(ctx, "k", "v") }); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				info, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if info.Mode().Perm() != 0o600 {
					t.Errorf("%s mode = %v, want 0600", filepath.Base(f), info.Mode().Perm())
				}
			}
		})
	}
}

// TestWALBounded checks that the WAL shrinks back after a burst of writes is
// checkpointed, instead of keeping the largest size it ever had.
func TestWALBounded(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tuikuan.db")
	s := mustOpen(t, path)
	big := strings.Repeat("x", 64<<10)
	err := s.Update(ctx, func(tx pay.Tx) error {
		for i := range 200 { // about 13 MB in one transaction
			if err := tx.PutSetting(ctx, fmt.Sprint("big", i), big); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Autocheckpoints run after commits; the WAL is reused, and cut, by the writes
	// after one.
	for i := range 5 {
		if err := s.Update(ctx, func(tx pay.Tx) error { return tx.PutSetting(ctx, "small", fmt.Sprint(i)) }); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 4<<20 {
		t.Errorf("WAL is %d bytes after the burst was checkpointed, want at most 4 MiB", info.Size())
	}
}

// TestUpgradeToConsole checks that a database written before the console's lists
// migrates: its rows list in insertion order and the journal starts empty.
func TestUpgradeToConsole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tuikuan.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 11); err != nil {
		t.Fatalf("migrate to 11: %v", err)
	}
	m, orders, refunds := storetest.UpgradeRows()
	mustExec(t, db, sqltable.Merchants.InsertSQL(sqltable.Question), sqltable.Merchants.Values(m)...)
	// Orders as they were at 11, before they kept their refund split.
	orders11 := sqltable.Orders.Without("refund_split")
	for _, o := range orders {
		mustExec(t, db, orders11.InsertSQL(sqltable.Question), orders11.Values(o)...)
	}
	for _, r := range refunds {
		mustExec(t, db, sqltable.Refunds.InsertSQL(sqltable.Question), sqltable.Refunds.Values(r)...)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.CheckUpgraded(t, mustOpen(t, path), orders, refunds)
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// BenchmarkStore_InsertRefund is the store's share of a refund apply, with group commit
// and without; TUIKUAN_BENCH_CLIENTS sets how many run at once.
func BenchmarkStore_InsertRefund(b *testing.B) {
	for _, group := range []bool{true, false} {
		b.Run(fmt.Sprintf("group=%v", group), func(b *testing.B) {
			storetest.BenchInsertRefund(b, mustOpen(b, filepath.Join(b.TempDir(), "tuikuan.db"), sqlite.WithGroupCommit(group)))
		})
	}
}

// BenchmarkStore_RefundLookup looks refunds up among 10,000, or among
// TUIKUAN_BENCH_REFUNDS in the database TUIKUAN_BENCH_DB (generated on the first run,
// reused after: a million refunds take about 330 MB and minutes to write).
func BenchmarkStore_RefundLookup(b *testing.B) {
	n, path := 10_000, filepath.Join(b.TempDir(), "tuikuan.db")
	if v := os.Getenv("TUIKUAN_BENCH_REFUNDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("TUIKUAN_BENCH_REFUNDS=%q: want a positive count", v)
		}
		if path = os.Getenv("TUIKUAN_BENCH_DB"); path == "" {
			b.Skip("TUIKUAN_BENCH_REFUNDS needs TUIKUAN_BENCH_DB, the file to generate or reuse")
		}
	}
	s := mustOpen(b, path)
	if err := storetest.Populate(b.Context(), s, n); err != nil {
		b.Fatal(err)
	}
	storetest.BenchRefundLookup(b, s, n)
}
