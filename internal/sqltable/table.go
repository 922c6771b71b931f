// Package sqltable lists every table's columns once, with the row type's values and scan
// destinations in the same order, for the SQL stores to share: internal/sqlite and
// internal/postgres build INSERT, UPDATE and SELECT from these lists with their own
// placeholder function and keep their own SQL only where the dialects really differ.
//
// Both dialects store values the same way: times as integer Unix milliseconds (0 for
// "not set"), lists as JSON text, optional references as NULL.
package sqltable

import (
	"slices"
	"strconv"
	"strings"
)

// Placeholder returns the SQL text of the n-th (1-based) bind parameter.
type Placeholder func(n int) string

// Question is SQLite's anonymous "?".
func Question(int) string { return "?" }

// Dollar is PostgreSQL's "$n".
func Dollar(n int) string { return "$" + strconv.Itoa(n) }

// Scanner is what a row of every driver has: *sql.Row, *sql.Rows, pgx.Row, pgx.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Table lists one table's columns once. Values and Dest list a row's fields in the
// order of Columns, and every statement is built from Columns, so INSERT, UPDATE and
// scan cannot disagree about which field goes where (the tests check the counts).
type Table[T any] struct {
	Name    string
	Columns []string
	Key     []string // what UPDATE's WHERE matches on
	Update  []string // what UPDATE writes: the columns a row's life changes
	Values  func(*T) []any
	Dest    func(*T) []any
}

// SelectSQL returns "SELECT <columns> FROM <name>", the columns prefixed with alias and
// a dot unless alias is "".
func (t *Table[T]) SelectSQL(alias string) string {
	cols := t.Columns
	if alias != "" {
		cols = make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = alias + "." + c
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + t.Name
}

// InsertSQL returns an INSERT of every column.
func (t *Table[T]) InsertSQL(p Placeholder) string { return t.InsertRowsSQL(p, 1) }

// InsertRowsSQL returns an INSERT of every column of n rows, inserted in the order
// their values come: the arguments of the first row, then the second's, and so on.
func (t *Table[T]) InsertRowsSQL(p Placeholder, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.Name + " (" + strings.Join(t.Columns, ", ") + ") VALUES ")
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range t.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p(r*len(t.Columns) + i + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// UpdateSQL returns an UPDATE of t.Update matching t.Key; its arguments are UpdateArgs'.
func (t *Table[T]) UpdateSQL(p Placeholder) string {
	set := make([]string, len(t.Update))
	for i, c := range t.Update {
		set[i] = c + " = " + p(i+1)
	}
	where := make([]string, len(t.Key))
	for i, c := range t.Key {
		where[i] = c + " = " + p(len(t.Update)+i+1)
	}
	return "UPDATE " + t.Name + " SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(where, " AND ")
}

// UpdateArgs picks UpdateSQL's arguments from v's values.
func (t *Table[T]) UpdateArgs(v *T) []any {
	values := t.Values(v)
	args := make([]any, 0, len(t.Update)+len(t.Key))
	for _, c := range slices.Concat(t.Update, t.Key) {
		args = append(args, values[slices.Index(t.Columns, c)])
	}
	return args
}

// Scan reads one row of SelectSQL's columns.
func (t *Table[T]) Scan(s Scanner) (*T, error) {
	v := new(T)
	if err := s.Scan(t.Dest(v)...); err != nil {
		return nil, err
	}
	return v, nil
}

// Except returns columns without those named, for the UPDATE of every column but keys.
func Except(columns []string, without ...string) []string {
	return slices.DeleteFunc(slices.Clone(columns), func(c string) bool { return slices.Contains(without, c) })
}

// Shape is what the tests check of a table, whatever its row type.
type Shape struct {
	Name                 string
	Columns, Key, Update []string
	Values, Dests        int
	Insert               string
	Updates              map[string]string // UPDATE by placeholder mark; none when never updated
}

func (t *Table[T]) shape() Shape {
	s := Shape{
		Name: t.Name, Columns: t.Columns, Key: t.Key, Update: t.Update,
		Values: len(t.Values(new(T))), Dests: len(t.Dest(new(T))),
		Insert: t.InsertSQL(Question),
	}
	if len(t.Update) > 0 {
		s.Updates = map[string]string{"?": t.UpdateSQL(Question), "$": t.UpdateSQL(Dollar)}
	}
	return s
}

// Shapes returns the shape of every table, for a store's tests to check its schema
// against.
func Shapes() []Shape {
	return []Shape{
		Merchants.shape(), Orders.shape(), OrderTotals.shape(), Refunds.shape(), Notifications.shape(),
		Attempts.shape(), Complaints.shape(), ComplaintLogs.shape(), Images.shape(),
		Stocks.shape(), Coupons.shape(), CouponRequests.shape(), AdvanceReturns.shape(),
		Journal.shape(),
	}
}

// Rows is what the rows of every driver have in common for reading: *sql.Rows, pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
}

// ScanAll reads every row with scan; the caller closes rows and checks their Err.
func ScanAll[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Without returns t as it was before columns were added to it: what an upgrade test
// writes into a database migrated only that far.
func (t *Table[T]) Without(columns ...string) *Table[T] {
	var keep []int
	for i, c := range t.Columns {
		if !slices.Contains(columns, c) {
			keep = append(keep, i)
		}
	}
	pick := func(all []any) []any {
		out := make([]any, len(keep))
		for j, i := range keep {
			out[j] = all[i]
		}
		return out
	}
	return &Table[T]{
		Name:    t.Name,
		Columns: Except(t.Columns, columns...),
		Key:     t.Key,
		Update:  Except(t.Update, columns...),
		Values:  func(v *T) []any { return pick(t.Values(v)) },
		Dest:    func(v *T) []any { return pick(t.Dest(v)) },
	}
}
