package sqlite

import (
	"context"
	"strconv"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// journalChunk is how many entries one INSERT adds. Each INSERT statement also copies
// the pages it changes to a statement journal, a temporary file, so that it can be
// undone alone; one statement per entry copied the table's and every index's last pages
// again for every entry, a third of the CPU an entry cost. Its 13 × 64 arguments are far
// below SQLite's limit of 32766.
const journalChunk = 64

var (
	insertJournalChunkSQL = hot(sqltable.Journal.InsertRowsSQL(sqltable.Question, journalChunk))
	trimJournalSQL        = hot(sqltable.TrimJournalSQL(sqltable.Question))
)

// What pragmas sets up, and the journal's trim's exception to it. Not hot: SQLite
// applies this pragma when it compiles it, so a prepared one would do nothing when run.
const (
	secureDeleteSQL      = "PRAGMA secure_delete = 1"
	relaxSecureDeleteSQL = "PRAGMA secure_delete = FAST"
)

// InsertJournalEntries adds entries in order, journalChunk at a time through the
// connection's prepared statement and the rest in one more. It numbers them from the
// id of the last row each INSERT added: the writer is alone and AUTOINCREMENT takes
// one more than the largest id for each row, in the order of the VALUES.
func (tx *tx) InsertJournalEntries(ctx context.Context, entries []*pay.JournalEntry) error {
	for len(entries) > 0 {
		chunk := entries[:min(len(entries), journalChunk)]
		entries = entries[len(chunk):]
		q := insertJournalChunkSQL
		if len(chunk) < journalChunk {
			q = sqltable.Journal.InsertRowsSQL(sqltable.Question, len(chunk))
		}
		args := make([]any, 0, len(chunk)*len(sqltable.Journal.Columns))
		for _, e := range chunk {
			args = append(args, sqltable.Journal.Values(e)...)
		}
		res, err := tx.tx.ExecContext(ctx, q, args...)
		if err != nil {
			return dbError("insert journal entries from "+chunk[0].RequestID, err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return dbError("insert journal entries from "+chunk[0].RequestID, err)
		}
		for i, e := range chunk {
			e.ID = last - int64(len(chunk)-1-i)
		}
	}
	return nil
}

// TrimJournal deletes the entries keep or more ids below the newest. It does so with
// secure_delete relaxed to FAST: the journal holds masked text only, and zeroing every
// page its trim frees, as the rest of the database needs, wrote each of them again —
// a quarter of the CPU an entry cost. secure_delete is the connection's, not the
// transaction's, so it is set back whatever the trim did.
func (tx *tx) TrimJournal(ctx context.Context, keep int) (n int, err error) {
	if err := sqltable.CheckKeep(keep); err != nil {
		return 0, err
	}
	if _, err := tx.tx.ExecContext(ctx, relaxSecureDeleteSQL); err != nil {
		return 0, dbError("trim journal", err)
	}
	defer func() {
		if _, rerr := tx.tx.ExecContext(context.WithoutCancel(ctx), secureDeleteSQL); rerr != nil && err == nil {
			err = dbError("trim journal: restore secure_delete", rerr)
		}
	}()
	res, err := tx.tx.ExecContext(ctx, trimJournalSQL, keep)
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
