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

// TrimJournalSQL deletes every entry but the newest n, n its one argument. The
// subquery finds the id of the newest entry not kept in the primary key's order; with n
// entries or fewer it finds none, and "id <= NULL" deletes nothing.
func TrimJournalSQL(p Placeholder) string {
	return "DELETE FROM journal WHERE id <= (SELECT id FROM journal ORDER BY id DESC LIMIT 1 OFFSET " + p(1) + ")"
}

// CheckKeep refuses a negative count of entries for TrimJournal to keep: it is a
// mistake, not a wish to keep nothing, which is 0.
func CheckKeep(keep int) error {
	if keep < 0 {
		return fmt.Errorf("trim journal: keep %d entries: want 0 or more", keep)
	}
	return nil
}
