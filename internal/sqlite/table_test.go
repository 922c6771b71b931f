package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// TestTables checks that every column the shared table lists name exists in the
// migrated SQLite schema; sqltable's own test checks the lists agree among themselves.
func TestTables(t *testing.T) {
	db, err := openPool(filepath.Join(t.TempDir(), "tuikuan.db"), "_txlock", "immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migrate(db); err != nil {
		t.Fatal(err)
	}
	for _, s := range sqltable.Shapes() {
		t.Run(s.Name, func(t *testing.T) {
			schema := tableColumns(t, db, s.Name)
			for _, c := range slices.Concat(s.Columns, s.Key, s.Update) {
				if !slices.Contains(schema, c) {
					t.Errorf("column %s is not in the migrated table (%v)", c, schema)
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
