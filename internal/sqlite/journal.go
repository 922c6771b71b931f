package sqlite

import (
	"context"
	"strconv"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var insertJournalSQL = hot(sqltable.JournalInsertSQL(sqltable.Question))

// InsertJournalEntries adds entries in order through the connection's prepared
// statement, each returning its id.
func (tx *tx) InsertJournalEntries(ctx context.Context, entries []*pay.JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if err := tx.tx.QueryRowContext(ctx, insertJournalSQL, sqltable.Journal.Values(e)...).Scan(&e.ID); err != nil {
			return dbError("insert journal entry "+e.RequestID, err)
		}
	}
	return nil
}

// TrimJournal deletes the entries keep or more ids below the newest.
func (tx *tx) TrimJournal(ctx context.Context, keep int) (int, error) {
	if err := sqltable.CheckKeep(keep); err != nil {
		return 0, err
	}
	res, err := tx.tx.ExecContext(ctx, sqltable.TrimJournalSQL(sqltable.Question), keep)
	return affected("trim journal", res, err)
}

// JournalEntries lists the entries f selects, newest first.
func (tx *tx) JournalEntries(ctx context.Context, f pay.JournalFilter) ([]*pay.JournalEntry, error) {
	query, args := sqltable.JournalQuery(sqltable.SQLite, f)
	return listed(ctx, tx, sqltable.ScanJournalEntry, "list journal entries", query, args...)
}

// JournalEntry finds entry id.
func (tx *tx) JournalEntry(ctx context.Context, id int64) (*pay.JournalEntry, error) {
	e, err := sqltable.ScanJournalEntry(tx.tx.QueryRowContext(ctx, sqltable.JournalSelectSQL()+` WHERE id = ?`, id))
	if err != nil {
		return nil, dbError("journal entry "+strconv.FormatInt(id, 10), err)
	}
	return e, nil
}
