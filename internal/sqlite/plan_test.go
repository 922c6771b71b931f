package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
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
		plan := explain(t, s.read, q, args...)
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

func explain(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %q: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestJournalFilterPlans checks that the journal's filters for failures find them
// through the partial indexes that hold failures only, and that the others read the
// journal newest first without sorting it.
func TestJournalFilterPlans(t *testing.T) {
	s := openForTest(t)
	for _, c := range []struct {
		f     pay.JournalFilter
		index string // "" for the table's own order
	}{
		{pay.JournalFilter{Status: 500, Limit: 50}, "journal_failed"},
		{pay.JournalFilter{Status: 404, Before: 900, Limit: 50}, "journal_failed"},
		{pay.JournalFilter{Code: "PARAM_ERROR", Limit: 50}, "journal_coded"},
		{pay.JournalFilter{Mchid: "1900000109", Limit: 50}, "journal_mchid"},
		{pay.JournalFilter{API: "refund.apply", Limit: 50}, "journal_api"},
		{pay.JournalFilter{Status: 200, Limit: 50}, ""},
		{pay.JournalFilter{Limit: 50}, ""},
	} {
		q, args := sqltable.JournalQuery(sqltable.SQLite, c.f)
		plan := strings.Join(explain(t, s.read, q, args...), "; ")
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%+v sorts: %s", c.f, plan)
		}
		if c.index != "" && !strings.Contains(plan, "INDEX "+c.index+" ") {
			t.Errorf("%+v: %s, want a search of %s", c.f, plan, c.index)
		}
		if c.index == "" && strings.Contains(plan, "INDEX") {
			t.Errorf("%+v: %s, want the table read newest first", c.f, plan)
		}
	}
}
