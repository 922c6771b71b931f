package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// InsertJournalEntries adds entries in order as one batch: a single round trip
// whatever their number, and each INSERT's RETURNING read back in the order sent, so
// that every entry gets its own id.
func (t *tx) InsertJournalEntries(ctx context.Context, entries []*pay.JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	insert := sqltable.JournalInsertSQL(sqltable.Dollar)
	var b pgx.Batch
	for _, e := range entries {
		b.Queue(insert, sqltable.Journal.Values(e)...).QueryRow(func(row pgx.Row) error { return row.Scan(&e.ID) })
	}
	if err := t.tx.SendBatch(ctx, &b).Close(); err != nil {
		return dbError("insert journal entries", err)
	}
	return nil
}

// TrimJournal deletes the entries keep or more ids below the newest.
func (t *tx) TrimJournal(ctx context.Context, keep int) (int, error) {
	if err := sqltable.CheckKeep(keep); err != nil {
		return 0, err
	}
	tag, err := t.tx.Exec(ctx, sqltable.TrimJournalSQL(sqltable.Dollar), keep)
	if err != nil {
		return 0, dbError("trim journal", err)
	}
	return int(tag.RowsAffected()), nil
}

// JournalEntries lists the entries f selects, newest first.
func (t *tx) JournalEntries(ctx context.Context, f pay.JournalFilter) ([]*pay.JournalEntry, error) {
	query, args := sqltable.JournalQuery(sqltable.Postgres, f)
	out, err := collect(ctx, t.tx, sqltable.ScanJournalEntry, query, args...)
	if err != nil {
		return nil, dbError("list journal entries", err)
	}
	return out, nil
}

// JournalEntry finds entry id.
func (t *tx) JournalEntry(ctx context.Context, id int64) (*pay.JournalEntry, error) {
	e, err := sqltable.ScanJournalEntry(t.tx.QueryRow(ctx, sqltable.JournalSelectSQL()+` WHERE id = $1`, id))
	if err != nil {
		return nil, dbError("journal entry "+strconv.FormatInt(id, 10), err)
	}
	return e, nil
}
