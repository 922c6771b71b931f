package sqltable

import (
	"fmt"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Journal stores pay.JournalEntry, its latency in microseconds. Its id is not among the
// columns: the database numbers entries as they arrive (JournalInsertSQL returns it) and
// JournalSelectSQL reads it first. Entries are never updated.
var Journal = &Table[pay.JournalEntry]{
	Name: "journal",
	Columns: []string{"at", "node", "request_id", "mchid", "api", "method", "target", "status", "code",
		"latency_us", "request", "answer", "diagnosis"},
	Values: func(e *pay.JournalEntry) []any {
		return []any{Millis(e.At), e.Node, e.RequestID, e.Mchid, e.API, e.Method, e.Target, e.Status, e.Code,
			e.Latency.Microseconds(), e.Request, e.Answer, e.Diagnosis}
	},
	Dest: func(e *pay.JournalEntry) []any {
		return []any{TimeDest(&e.At), &e.Node, &e.RequestID, &e.Mchid, &e.API, &e.Method, &e.Target, &e.Status, &e.Code,
			DurationDest(&e.Latency), &e.Request, &e.Answer, &e.Diagnosis}
	},
}

// JournalInsertSQL adds one entry and returns the id the database gave it.
func JournalInsertSQL(p Placeholder) string { return Journal.InsertSQL(p) + " RETURNING id" }

// JournalSelectSQL selects the id of entries, then Journal's columns, as
// ScanJournalEntry reads them.
func JournalSelectSQL() string {
	return "SELECT id, " + strings.Join(Journal.Columns, ", ") + " FROM " + Journal.Name
}

// ScanJournalEntry reads one row of JournalSelectSQL.
func ScanJournalEntry(s Scanner) (*pay.JournalEntry, error) {
	e := new(pay.JournalEntry)
	if err := s.Scan(append([]any{&e.ID}, Journal.Dest(e)...)...); err != nil {
		return nil, err
	}
	return e, nil
}

// TrimJournalSQL deletes the entries whose id is n or more below the newest's, n its
// one argument: every entry but the newest n wherever ids run without gaps, as SQLite's
// do. max(id) is one step down the primary key, where finding the n-th newest entry
// walked n of them on every trim. Where ids skip (PostgreSQL's, after a rolled-back
// write), it keeps fewer than n until the gap is trimmed away, never more. With no
// entries max(id) is NULL, and "id <= NULL" deletes nothing.
func TrimJournalSQL(p Placeholder) string {
	return "DELETE FROM journal WHERE id <= (SELECT max(id) FROM journal) - " + p(1)
}

// CheckKeep refuses a negative count of entries for TrimJournal to keep: it is a
// mistake, not a wish to keep nothing, which is 0.
func CheckKeep(keep int) error {
	if keep < 0 {
		return fmt.Errorf("trim journal: keep %d entries: want 0 or more", keep)
	}
	return nil
}
