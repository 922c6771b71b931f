package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestHotStatementsSearch checks that no hot statement reads a whole table or sorts
// what it found: each finds its rows through an index, so that its cost does not grow
// with the table. An order's refunds are sorted: there are few, and an index for their
// order would cost every insert.
func TestHotStatementsSearch(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range hotSQL {
		// Each parameter bound to NULL: the plan does not depend on the values.
		args := make([]any, strings.Count(q, "?"))
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("explain %q: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		t.Logf("%s\n\t%s", q, strings.Join(plan, "\n\t"))
		for _, step := range plan {
			sorted := strings.Contains(step, "TEMP B-TREE") && q != refundsOfOrderSQL
			// A multi-row INSERT scans its own VALUES, not a table.
			scan := strings.HasPrefix(step, "SCAN ") && !strings.HasSuffix(step, " VALUES CLAUSE")
			if scan || sorted {
				t.Errorf("%q: %s", q, step)
			}
		}
	}
}

// TestTempStore checks that the writer keeps its savepoint journals in memory and the
// readers, whose console lists may sort many rows, keep SQLite's default.
func TestTempStore(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		pool string
		db   *sql.DB
		want int
	}{{"write", s.write, 2}, {"read", s.read, 0}} {
		var got int
		if err := c.db.QueryRow(`PRAGMA temp_store`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s pool: temp_store = %d, want %d", c.pool, got, c.want)
		}
	}
}
