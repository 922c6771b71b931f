package pay

import (
	"context"
	"time"
)

// JournalEntry is one APIv3 or v2 request as the request journal keeps it, for the
// console to show what a merchant's code sent and what it got back. Bodies are kept
// masked and capped, as package journal leaves them: never a key, a signature or a
// clear-text ciphertext.
type JournalEntry struct {
	// ID is set by InsertJournalEntries: larger than every id given before, so that
	// ordering by it is ordering by arrival.
	ID        int64
	At        time.Time // real time the request arrived
	Node      string
	RequestID string
	Mchid     string // the merchant the request named, "" when it named none
	API       string // the endpoint name (package endpoint), "" when no API matched
	Method    string
	Target    string // the raw request target, path and query
	Status    int
	Code      string // the answer's error code, "" for a success
	Latency   time.Duration
	Request   string // request headers that matter and the body, masked and capped
	Answer    string // the answer's body, masked and capped
	// Diagnosis, for a refused signature, is package journal's JSON account of what the
	// server verified beside what the request carried; "" otherwise.
	Diagnosis string
}

// JournalFilter selects journal entries; its zero value selects all.
type JournalFilter struct {
	Mchid string
	API   string
	// Path selects entries whose target contains it as written: case counts, and % and
	// _ are plain characters.
	Path   string
	Status int // 0 for any
	Code   string
	// Before, when not 0, selects entries with an ID below it: the next page of a list
	// whose last entry had that ID.
	Before int64
	Limit  int // 0 for no bound
}

// JournalTx is the part of Tx that keeps the request journal, shared by every node of a
// store so that one list shows the requests all of them served.
type JournalTx interface {
	// InsertJournalEntries adds entries in order, setting each one's ID; an ID is
	// never given twice, even once its entry is trimmed away. No entries is no error.
	InsertJournalEntries(ctx context.Context, entries []*JournalEntry) error
	// TrimJournal deletes every entry whose ID is keep or more below the newest's and
	// returns how many it deleted: keep 0 deletes them all, a negative keep is an error.
	// That leaves the newest keep entries while IDs run without gaps, and fewer, never
	// more, while the IDs of a rolled-back write lie among them (a store may skip them).
	TrimJournal(ctx context.Context, keep int) (int, error)
	// JournalEntries lists up to f.Limit entries f selects, newest (highest ID) first.
	JournalEntries(ctx context.Context, f JournalFilter) ([]*JournalEntry, error)
	// JournalEntry finds entry id; ErrNotFound when there is none, or no longer.
	JournalEntry(ctx context.Context, id int64) (*JournalEntry, error)
}
