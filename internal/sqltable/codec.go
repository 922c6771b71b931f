package sqltable

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// NullIfEmpty stores "" as NULL, for optional references that a foreign key checks.
func NullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NullStringDest returns a Scan destination that reads NULL as "".
func NullStringDest(s *string) sql.Scanner { return nullStringScanner{s} }

type nullStringScanner struct{ s *string }

func (n nullStringScanner) Scan(src any) error {
	var v sql.NullString
	if err := v.Scan(src); err != nil {
		return err
	}
	*n.s = v.String
	return nil
}

// JSONList stores a list as a JSON array, never null.
func JSONList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// JSONListDest returns a Scan destination that reads what JSONList wrote into *l.
func JSONListDest(l *[]string) sql.Scanner { return jsonListScanner{l} }

type jsonListScanner struct{ l *[]string }

func (j jsonListScanner) Scan(src any) error {
	var text string
	if err := (nullStringScanner{&text}).Scan(src); err != nil {
		return err
	}
	return json.Unmarshal([]byte(text), j.l)
}

// DurationDest returns a Scan destination that reads microseconds into *d.
func DurationDest(d *time.Duration) sql.Scanner { return durationScanner{d} }

type durationScanner struct{ d *time.Duration }

func (s durationScanner) Scan(src any) error {
	us, ok := src.(int64)
	if !ok {
		return fmt.Errorf("duration column holds %T, want int64", src)
	}
	*s.d = time.Duration(us) * time.Microsecond
	return nil
}

// Millis stores the zero time as 0 so that "not set" survives the round trip; a time at
// exactly the Unix epoch reads back as unset, which no real order or refund has.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// TimeDest returns a Scan destination that reads what Millis wrote into *t.
func TimeDest(t *time.Time) sql.Scanner { return millisScanner{t} }

type millisScanner struct{ t *time.Time }

func (s millisScanner) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T, want int64", src)
	}
	*s.t = time.Time{}
	if v != 0 {
		*s.t = time.UnixMilli(v)
	}
	return nil
}

// EncodeSplit stores an order's running refund split as a JSON array of integers, the
// payer's total first, then each promotion's; NULL for an order without one, which the
// domain computes from its refunds when it needs it.
func EncodeSplit(s *pay.RefundSplit) any {
	if s == nil {
		return nil
	}
	b, _ := json.Marshal(append([]int64{s.Payer}, s.Promotions...)) // integers always marshal
	return string(b)
}

// SplitDest returns a Scan destination that reads what EncodeSplit wrote into *s.
func SplitDest(s **pay.RefundSplit) sql.Scanner { return splitScanner{s} }

type splitScanner struct{ s **pay.RefundSplit }

func (d splitScanner) Scan(src any) error {
	*d.s = nil
	var text string
	if err := (nullStringScanner{&text}).Scan(src); err != nil {
		return err
	}
	if text == "" {
		return nil
	}
	var n []int64
	if err := json.Unmarshal([]byte(text), &n); err != nil {
		return fmt.Errorf("decode refund split: %w", err)
	}
	if len(n) == 0 {
		return fmt.Errorf("decode refund split: empty")
	}
	*d.s = &pay.RefundSplit{Payer: n[0], Promotions: n[1:]}
	return nil
}
