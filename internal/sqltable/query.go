package sqltable

import (
	"math"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Dialect is what the console's list queries need to know of a database beyond its
// placeholders. The queries are built here once so that both stores filter, order and
// page alike.
type Dialect struct {
	Mark Placeholder
	// Seq is the column that keeps insertion order, for ties between equal times.
	Seq string
	// Position names the function that returns where its second argument first occurs
	// in its first, 0 when nowhere. A substring test through it treats every character
	// literally and cases alike on both databases, which LIKE does not: SQLite's LIKE
	// ignores the case of ASCII letters, and both read % and _ as wildcards.
	Position string
}

// SQLite and Postgres are the two dialects the stores speak.
var (
	SQLite   = Dialect{Mark: Question, Seq: "rowid", Position: "instr"}
	Postgres = Dialect{Mark: Dollar, Seq: "seq", Position: "strpos"}
)

// query builds a WHERE clause and its arguments; a condition spells each of its
// parameters "?", which add turns into the dialect's mark.
type query struct {
	d     Dialect
	conds []string
	args  []any
}

// add adds cond with one argument for each "?" in it.
func (q *query) add(cond string, args ...any) {
	parts := strings.Split(cond, "?")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p)
		if i < len(parts)-1 {
			q.args = append(q.args, args[i])
			b.WriteString(q.d.Mark(len(q.args)))
		}
	}
	q.conds = append(q.conds, b.String())
}

// eq adds column = v unless v is "", the zero field that selects everything.
func (q *query) eq(column, v string) {
	if v != "" {
		q.add(column+" = ?", v)
	}
}

// either adds "a = v OR b = v" unless v is "".
func (q *query) either(a, b, v string) {
	if v != "" {
		q.add("("+a+" = ? OR "+b+" = ?)", v, v)
	}
}

// where returns the WHERE clause, "" when nothing is filtered.
func (q *query) where() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// page returns the whole statement: selection, its conditions, order, and the page
// Limit and Offset ask for; a Limit of 0 or less has no bound.
func (q *query) page(selection, order string, limit, offset int) (string, []any) {
	l := int64(limit)
	if limit <= 0 {
		// SQLite cannot OFFSET without a LIMIT; the largest bound is none.
		l = math.MaxInt64
	}
	text := selection + q.where() + " ORDER BY " + order +
		" LIMIT " + q.d.Mark(len(q.args)+1) + " OFFSET " + q.d.Mark(len(q.args)+2)
	return text, append(q.args, l, max(offset, 0))
}

// OrdersQuery selects the orders f selects, newest first.
func OrdersQuery(d Dialect, f pay.OrderFilter) (string, []any) {
	q := &query{d: d}
	q.either("mchid", "sp_mchid", f.Mchid)
	q.either("transaction_id", "out_trade_no", f.Number)
	q.eq("trade_state", string(f.State))
	return q.page(Orders.SelectSQL(""), "create_time DESC, "+d.Seq+" DESC", f.Limit, f.Offset)
}

// RefundsQuery selects the refunds f selects, newest first.
func RefundsQuery(d Dialect, f pay.RefundFilter) (string, []any) {
	q := &query{d: d}
	q.either("mchid", "sp_mchid", f.Mchid)
	q.either("refund_id", "out_refund_no", f.Number)
	q.eq("transaction_id", f.TransactionID)
	q.eq("status", string(f.Status))
	if !f.Begin.IsZero() {
		q.add("create_time >= ?", Millis(f.Begin))
	}
	if !f.End.IsZero() {
		q.add("create_time < ?", Millis(f.End))
	}
	return q.page(Refunds.SelectSQL(""), "create_time DESC, "+d.Seq+" DESC", f.Limit, f.Offset)
}

// CountRefundsSQL counts refunds by status, a row for each status there is.
const CountRefundsSQL = `SELECT status, count(*) FROM refunds GROUP BY status`

// StatusCount is one row of CountRefundsSQL.
type StatusCount struct {
	Status pay.Status
	N      int64
}

// ScanStatusCount reads one row of CountRefundsSQL.
func ScanStatusCount(s Scanner) (StatusCount, error) {
	var c StatusCount
	return c, s.Scan(&c.Status, &c.N)
}

// StatusCounts maps the rows of CountRefundsSQL by status, empty and not nil for none.
func StatusCounts(rows []StatusCount) map[pay.Status]int64 {
	out := make(map[pay.Status]int64, len(rows))
	for _, c := range rows {
		out[c.Status] = c.N
	}
	return out
}

// NotificationsQuery selects the notifications f selects, the latest updated first.
func NotificationsQuery(d Dialect, f pay.NotificationFilter) (string, []any) {
	q := &query{d: d}
	q.eq("mchid", f.Mchid)
	q.eq("order_id", f.OrderID)
	q.eq("status", string(f.Status))
	return q.page(Notifications.SelectSQL(""), "update_time DESC, "+d.Seq+" DESC", f.Limit, f.Offset)
}

// CountNotificationsQuery counts the notifications in status, all of them for "".
func CountNotificationsQuery(d Dialect, status pay.NotificationStatus) (string, []any) {
	q := &query{d: d}
	q.eq("status", string(status))
	return "SELECT count(*) FROM notifications" + q.where(), q.args
}

// StocksQuery selects the coupon stocks f selects, newest first.
func StocksQuery(d Dialect, f pay.StockFilter) (string, []any) {
	q := &query{d: d}
	q.eq("creator", f.Creator)
	return q.page(Stocks.SelectSQL(""), "create_time DESC, "+d.Seq+" DESC", f.Limit, f.Offset)
}

// JournalQuery selects the journal entries f selects, newest first.
func JournalQuery(d Dialect, f pay.JournalFilter) (string, []any) {
	q := &query{d: d}
	q.eq("mchid", f.Mchid)
	q.eq("api", f.API)
	if f.Path != "" {
		q.add(d.Position+"(target, ?) > 0", f.Path)
	}
	// The conditions of SQLite's partial indexes of failures, repeated where the filter
	// implies them, so that the planner may use those indexes.
	if f.Status != 0 {
		q.add("status = ?", f.Status)
		if f.Status >= 400 {
			q.add("status >= 400")
		}
	}
	if f.Code != "" {
		q.add("code = ?", f.Code)
		q.add("code <> ''")
	}
	if f.Before != 0 {
		q.add("id < ?", f.Before)
	}
	return q.page(JournalSelectSQL(), "id DESC", f.Limit, 0)
}
