package sqltable

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTables checks, for every table, that the column list, the values, the scan
// destinations and the placeholders of INSERT and UPDATE agree in count. Each store's
// own TestTables checks that every column named exists in its migrated schema.
func TestTables(t *testing.T) {
	for _, s := range Shapes() {
		t.Run(s.Name, func(t *testing.T) {
			n := len(s.Columns)
			if s.Values != n || s.Dests != n {
				t.Errorf("%d columns, %d values, %d scan destinations; want all equal", n, s.Values, s.Dests)
			}
			if got := strings.Count(s.Insert, "?"); got != n {
				t.Errorf("INSERT has %d placeholders, want %d: %s", got, n, s.Insert)
			}
			for mark, update := range s.Updates {
				want := len(s.Update) + len(s.Key)
				if got := strings.Count(update, mark); got != want {
					t.Errorf("UPDATE has %d %q placeholders, want %d: %s", got, mark, want, update)
				}
			}
			if s.Updates != nil && !strings.HasSuffix(s.Updates["$"], "$"+strconv.Itoa(len(s.Update)+len(s.Key))) {
				t.Errorf("PostgreSQL UPDATE = %s, want its placeholders numbered through the keys", s.Updates["$"])
			}
			for _, c := range slices.Concat(s.Key, s.Update) {
				if !slices.Contains(s.Columns, c) {
					t.Errorf("UPDATE names %s, which is not among the columns", c)
				}
			}
		})
	}
}

// TestInsertRowsSQL checks that each row of a multi-row INSERT takes the next run of
// arguments, as the rows' values are appended one after another.
func TestInsertRowsSQL(t *testing.T) {
	tbl := &Table[struct{}]{Name: "t", Columns: []string{"a", "b"}}
	for _, tt := range []struct {
		p    Placeholder
		n    int
		want string
	}{
		{Dollar, 1, "INSERT INTO t (a, b) VALUES ($1, $2)"},
		{Dollar, 3, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)"},
		{Question, 2, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"},
	} {
		if got := tbl.InsertRowsSQL(tt.p, tt.n); got != tt.want {
			t.Errorf("InsertRowsSQL(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
