package console

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// parseYuan reads an amount typed in yuan ("12.34", "12") as fen, refusing more than
// two decimals rather than rounding a tester's typo into a different amount.
func parseYuan(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	// Digits only on both sides: ParseInt would take a sign, and "1.-5" would become 50 fen.
	if s == "" || len(frac) > 2 || !digits(whole) || !digits(frac) {
		return 0, pay.ParamError(field, "金额以元为单位，最多两位小数", s)
	}
	if whole == "" {
		whole = "0"
	}
	frac += strings.Repeat("0", 2-len(frac))
	y, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || y > (math.MaxInt64-99)/100 {
		return 0, pay.ParamError(field, "金额以元为单位，最多两位小数", s)
	}
	return y*100 + f, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// listOffset is the list's offset from the query, 0 when absent or bad.
func listOffset(q url.Values) int {
	n, err := strconv.Atoi(q.Get("offset"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// trimPage cuts a list asked for with one row too many back to a page and says where
// the next page starts, -1 when there is none.
func trimPage[T any](rows []T, offset int) ([]T, int) {
	if len(rows) > pageSize {
		return rows[:pageSize], offset + pageSize
	}
	return rows, -1
}

// pager holds the links to the previous and next pages, "" when there is none.
type pager struct{ Prev, Next string }

func pagerOf(u *url.URL, offset, next int) pager {
	var p pager
	link := func(o int) string {
		q := u.Query()
		q.Set("offset", strconv.Itoa(o))
		return u.Path + "?" + q.Encode()
	}
	if offset > 0 {
		p.Prev = link(max(offset-pageSize, 0))
	}
	if next >= 0 {
		p.Next = link(next)
	}
	return p
}
