package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// shape is what TestTables checks of a table, whatever its row type.
type shape struct {
	name                 string
	columns, key, update []string
	values, dests        int
	insert               string
	updates              map[string]string // UPDATE by placeholder style; none when never updated
}

func shapeOf[T any](t *table[T]) shape {
	s := shape{
		name: t.name, columns: t.columns, key: t.key, update: t.update,
		values: len(t.values(new(T))), dests: len(t.dest(new(T))),
		insert: t.insertSQL(sqlitePlaceholder),
	}
	if len(t.update) > 0 {
		s.updates = map[string]string{"?": t.updateSQL(sqlitePlaceholder), "$": t.updateSQL(pgPlaceholder)}
	}
	return s
}

// TestTables checks, for every table, that the column list, the values, the scan
// destinations and the placeholders of INSERT and UPDATE agree in count, and that every
// column named exists in the migrated schema.
func TestTables(t *testing.T) {
	db, err := openPool(filepath.Join(t.TempDir(), "tuikuan.db"), "_txlock", "immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migrate(db); err != nil {
		t.Fatal(err)
	}
	for _, s := range []shape{
		shapeOf(merchants), shapeOf(orders), shapeOf(refunds), shapeOf(notifications),
		shapeOf(attempts), shapeOf(complaints), shapeOf(complaintLogs), shapeOf(images),
		shapeOf(stocks), shapeOf(coupons), shapeOf(couponRequests), shapeOf(advanceReturns),
	} {
		t.Run(s.name, func(t *testing.T) {
			n := len(s.columns)
			if s.values != n || s.dests != n {
				t.Errorf("%d columns, %d values, %d scan destinations; want all equal", n, s.values, s.dests)
			}
			if got := strings.Count(s.insert, "?"); got != n {
				t.Errorf("INSERT has %d placeholders, want %d: %s", got, n, s.insert)
			}
			for mark, update := range s.updates {
				want := len(s.update) + len(s.key)
				if got := strings.Count(update, mark); got != want {
					t.Errorf("UPDATE has %d %q placeholders, want %d: %s", got, mark, want, update)
				}
			}
			if s.updates != nil && !strings.HasSuffix(s.updates["$"], "$"+strconv.Itoa(len(s.update)+len(s.key))) {
				t.Errorf("PostgreSQL UPDATE = %s, want its placeholders numbered through the keys", s.updates["$"])
			}
			schema := tableColumns(t, db, s.name)
			for _, c := range slices.Concat(s.columns, s.key, s.update) {
				if !slices.Contains(schema, c) {
					t.Errorf("column %s is not in the migrated table (%v)", c, schema)
				}
			}
			for _, c := range slices.Concat(s.key, s.update) {
				if !slices.Contains(s.columns, c) {
					t.Errorf("UPDATE names %s, which is not among the columns", c)
				}
			}
		})
	}
}

// tableColumns returns the columns of a table as the migrated schema has them.
func tableColumns(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	cols, err := collectDB(db, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatalf("table_info(%s): %v", table, err)
	}
	if len(cols) == 0 {
		t.Fatalf("no table %s in the migrated schema", table)
	}
	return cols
}

func collectDB(db *sql.DB, query string, args ...any) ([]string, error) {
	tx, err := db.Begin()
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return collect(context.Background(), tx, func(s scanner) (string, error) {
		var name string
		return name, s.Scan(&name)
	}, query, args...)
}
