package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// placeholder returns the SQL text of the n-th (1-based) bind parameter. Statements are
// built from a table's column list and a placeholder function rather than written with
// hand-counted "?", so that a PostgreSQL store can reuse the column lists, values and
// scan destinations with its own placeholder (pgPlaceholder) and keep its own SQL only
// where the dialects really differ.
type placeholder func(n int) string

// sqlitePlaceholder is SQLite's anonymous "?".
func sqlitePlaceholder(int) string { return "?" }

// pgPlaceholder is PostgreSQL's "$n", for the PostgreSQL store to share these builders.
func pgPlaceholder(n int) string { return "$" + strconv.Itoa(n) }

// table lists one table's columns once. values and dest list a row's fields in the
// order of columns, and every statement is built from columns, so INSERT, UPDATE and
// scan cannot disagree about which field goes where (TestTables checks the counts).
type table[T any] struct {
	name    string
	columns []string
	key     []string // what UPDATE's WHERE matches on
	update  []string // what UPDATE writes: the columns a row's life changes
	values  func(*T) []any
	dest    func(*T) []any
}

// selectSQL returns "SELECT <columns> FROM <name>", the columns prefixed with alias and
// a dot unless alias is "".
func (t *table[T]) selectSQL(alias string) string {
	cols := t.columns
	if alias != "" {
		cols = make([]string, len(t.columns))
		for i, c := range t.columns {
			cols[i] = alias + "." + c
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + t.name
}

// insertSQL returns an INSERT of every column.
func (t *table[T]) insertSQL(p placeholder) string {
	marks := make([]string, len(t.columns))
	for i := range marks {
		marks[i] = p(i + 1)
	}
	return "INSERT INTO " + t.name + " (" + strings.Join(t.columns, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
}

// updateSQL returns an UPDATE of t.update matching t.key; its arguments are updateArgs'.
func (t *table[T]) updateSQL(p placeholder) string {
	set := make([]string, len(t.update))
	for i, c := range t.update {
		set[i] = c + " = " + p(i+1)
	}
	where := make([]string, len(t.key))
	for i, c := range t.key {
		where[i] = c + " = " + p(len(t.update)+i+1)
	}
	return "UPDATE " + t.name + " SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(where, " AND ")
}

// updateArgs picks updateSQL's arguments from v's values.
func (t *table[T]) updateArgs(v *T) []any {
	values := t.values(v)
	args := make([]any, 0, len(t.update)+len(t.key))
	for _, c := range slices.Concat(t.update, t.key) {
		args = append(args, values[slices.Index(t.columns, c)])
	}
	return args
}

// scan reads one row of selectSQL's columns.
func (t *table[T]) scan(s scanner) (*T, error) {
	v := new(T)
	if err := s.Scan(t.dest(v)...); err != nil {
		return nil, err
	}
	return v, nil
}

// except returns columns without those named, for the UPDATE of every column but keys.
func except(columns []string, without ...string) []string {
	return slices.DeleteFunc(slices.Clone(columns), func(c string) bool { return slices.Contains(without, c) })
}

// collect runs query and reads every row it returns with scan.
func collect[T any](ctx context.Context, tx *sql.Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// nullIfEmpty stores "" as NULL, for optional references that a foreign key checks.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullStringDest returns a Scan destination that reads NULL as "".
func nullStringDest(s *string) sql.Scanner { return nullStringScanner{s} }

type nullStringScanner struct{ s *string }

func (n nullStringScanner) Scan(src any) error {
	var v sql.NullString
	if err := v.Scan(src); err != nil {
		return err
	}
	*n.s = v.String
	return nil
}

// jsonList stores a list as a JSON array, never null.
func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// jsonListDest returns a Scan destination that reads what jsonList wrote into *l.
func jsonListDest(l *[]string) sql.Scanner { return jsonListScanner{l} }

type jsonListScanner struct{ l *[]string }

func (j jsonListScanner) Scan(src any) error {
	var text string
	if err := (nullStringScanner{&text}).Scan(src); err != nil {
		return err
	}
	return json.Unmarshal([]byte(text), j.l)
}

// durationDest returns a Scan destination that reads microseconds into *d.
func durationDest(d *time.Duration) sql.Scanner { return durationScanner{d} }

type durationScanner struct{ d *time.Duration }

func (s durationScanner) Scan(src any) error {
	us, ok := src.(int64)
	if !ok {
		return fmt.Errorf("duration column holds %T, want int64", src)
	}
	*s.d = time.Duration(us) * time.Microsecond
	return nil
}
