package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// testDB returns the URL of a fresh database, dropped at the end of the test, made
// through the server TUIKUAN_TEST_DB names. Without it the test skips.
func testDB(t testing.TB) string {
	t.Helper()
	admin := needDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to TUIKUAN_TEST_DB: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "tuikuan_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		conn.Close(ctx)
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("TUIKUAN_TEST_DB: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// needDB returns TUIKUAN_TEST_DB, skipping the test when it is unset.
func needDB(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TUIKUAN_TEST_DB")
	if admin == "" {
		t.Skip("PostgreSQL tests need TUIKUAN_TEST_DB=postgres://… (a role that may create databases); " +
			"`eval \"$(.ci/postgres start)\"` starts a throwaway server and sets it")
	}
	return admin
}

func mustOpen(t testing.TB, url string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	needDB(t)
	storetest.Run(t, func(t *testing.T) pay.Store { return mustOpen(t, testDB(t)) })
}

// TestTwoNodes races refunds of one order through two stores on one database, as two
// tuikuan nodes would: the order's row lock, not a process, must keep them apart.
func TestTwoNodes(t *testing.T) {
	needDB(t)
	storetest.TestTransactions(t, func(t *testing.T) pay.Store {
		db := testDB(t)
		return twoNodes{mustOpen(t, db), mustOpen(t, db), new(atomic.Int64)}
	})
}

// twoNodes sends Updates to its stores in turn.
type twoNodes struct {
	a, b *Store
	n    *atomic.Int64
}

func (s twoNodes) Update(ctx context.Context, fn func(pay.Tx) error) error {
	if s.n.Add(1)%2 == 0 {
		return s.a.Update(ctx, fn)
	}
	return s.b.Update(ctx, fn)
}

func (s twoNodes) View(ctx context.Context, fn func(pay.Tx) error) error { return s.a.View(ctx, fn) }
func (s twoNodes) Close() error                                          { return nil }

// TestTables checks that every column the shared table lists name exists in the
// migrated PostgreSQL schema.
func TestTables(t *testing.T) {
	s := mustOpen(t, testDB(t))
	for _, sh := range sqltable.Shapes() {
		t.Run(sh.Name, func(t *testing.T) {
			rows, err := s.pool.Query(t.Context(), `SELECT column_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1`, sh.Name)
			if err != nil {
				t.Fatal(err)
			}
			schema, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(schema) == 0 {
				t.Fatalf("no table %s in the migrated schema", sh.Name)
			}
			for _, c := range slices.Concat(sh.Columns, sh.Key, sh.Update) {
				if !slices.Contains(schema, c) {
					t.Errorf("column %s is not in the migrated table (%v)", c, schema)
				}
			}
		})
	}
}

// TestReopen checks that opening an up-to-date database migrates nothing twice and
// keeps the data.
func TestReopen(t *testing.T) {
	db := testDB(t)
	ctx := t.Context()
	s := mustOpen(t, db)
	storetest.Merchants(t, s, &pay.Merchant{Mchid: "1900000109", Kind: pay.KindDirect})
	s.Close()
	s = mustOpen(t, db)
	err := s.View(ctx, func(tx pay.Tx) error {
		_, err := tx.Merchant(ctx, "1900000109")
		return err
	})
	if err != nil {
		t.Errorf("Merchant after reopen: %v", err)
	}
}

// TestMoneyChecks checks that the schema itself refuses an order refunded beyond its
// total, whatever the code above it does.
func TestMoneyChecks(t *testing.T) {
	s := mustOpen(t, testDB(t))
	ctx := t.Context()
	storetest.Merchants(t, s, &pay.Merchant{Mchid: "1900000109", Kind: pay.KindDirect})
	o := &pay.Order{ID: "4200000001", OutTradeNo: "trade-1", Mchid: "1900000109", Total: 100, PayerTotal: 100}
	err := s.Update(ctx, func(tx pay.Tx) error { return tx.InsertOrder(ctx, o) })
	if err != nil {
		t.Fatalf("InsertOrder: %v", err)
	}
	o.Refunded = 101
	if err := s.Update(ctx, func(tx pay.Tx) error { return tx.UpdateOrder(ctx, o) }); err == nil {
		t.Errorf("UpdateOrder with Refunded > Total succeeded, want a CHECK violation")
	}
	r := &pay.Refund{ID: "5000000001", OutRefundNo: "r1", Mchid: o.Mchid, TransactionID: o.ID,
		API: "v3", Status: pay.StatusProcessing, Amount: pay.Amount{Refund: 200, Total: 100}}
	if err := s.Update(ctx, func(tx pay.Tx) error { return tx.InsertRefund(ctx, r) }); err == nil {
		t.Errorf("InsertRefund of more than the total succeeded, want a CHECK violation")
	}
}

// TestStatementTimeout checks that a statement that runs too long fails instead of
// holding the caller.
func TestStatementTimeout(t *testing.T) {
	s := mustOpen(t, testDB(t), WithStatementTimeout(200*time.Millisecond))
	ctx := t.Context()
	start := time.Now()
	err := s.Update(ctx, func(rt pay.Tx) error {
		_, err := rt.(*tx).tx.Exec(ctx, `SELECT pg_sleep(5)`)
		return err
	})
	if err == nil {
		t.Fatal("pg_sleep(5) under a 200ms statement timeout succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Update failed after %v, want about the 200ms timeout", d)
	}
}

// TestOpenUnreachable checks that a server that does not answer makes Open fail soon;
// it needs no PostgreSQL.
func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	// Port 1 on localhost: nothing listens, the connection is refused at once.
	_, err := Open(t.Context(), "postgres://tuikuan@127.0.0.1:1/tuikuan?connect_timeout=2")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open failed after %v, want within the connect timeout", d)
	}
	var nf *pay.Error
	if errors.As(err, &nf) {
		t.Errorf("Open error = %v, want a connection error", err)
	}
}

// TestSharedClaims checks that two nodes on one database claim due notifications
// without waiting on each other or leasing one notification twice.
func TestSharedClaims(t *testing.T) {
	needDB(t)
	storetest.TestSharedClaims(t, func(t *testing.T) (pay.Store, pay.Store) {
		db := testDB(t)
		return mustOpen(t, db), mustOpen(t, db)
	})
}

// TestUpgradeToConsole checks that a database written before the console's lists
// migrates: its orders gain an insertion order, its rows list in it, and the journal
// starts empty.
func TestUpgradeToConsole(t *testing.T) {
	url := testDB(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 2); err != nil {
		t.Fatalf("migrate to 2: %v", err)
	}
	m, placed, refunded := storetest.UpgradeRows()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec(merchants.InsertSQL(sqltable.Dollar), merchants.Values(m)...)
	// Orders as they were at 2, before they kept their refund split.
	orders2 := orders.Without("refund_split")
	for _, o := range placed {
		exec(orders2.InsertSQL(sqltable.Dollar), orders2.Values(o)...)
	}
	for _, r := range refunded {
		exec(refunds.InsertSQL(sqltable.Dollar), refunds.Values(r)...)
	}
	db.Close()
	storetest.CheckUpgraded(t, mustOpen(t, url), placed, refunded)
}

// BenchmarkStore_InsertRefund is the store's share of a refund apply, through a pool
// of TUIKUAN_BENCH_POOL connections if set, else the default pool.
func BenchmarkStore_InsertRefund(b *testing.B) {
	db := testDB(b)
	if n := os.Getenv("TUIKUAN_BENCH_POOL"); n != "" {
		u, err := url.Parse(db)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("pool_max_conns", n)
		u.RawQuery = q.Encode()
		db = u.String()
	}
	storetest.BenchInsertRefund(b, mustOpen(b, db))
}

// BenchmarkStore_RefundLookup looks refunds up among 10,000, or among
// TUIKUAN_BENCH_REFUNDS in a database of their own (written each run).
func BenchmarkStore_RefundLookup(b *testing.B) {
	n := 10_000
	if v := os.Getenv("TUIKUAN_BENCH_REFUNDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("TUIKUAN_BENCH_REFUNDS=%q: want a positive count", v)
		}
	}
	s := mustOpen(b, testDB(b))
	if err := storetest.Populate(b.Context(), s, n); err != nil {
		b.Fatal(err)
	}
	storetest.BenchRefundLookup(b, s, n)
}
