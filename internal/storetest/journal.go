package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestJournal checks JournalTx, the request journal, each case on a fresh store from
// open.
func TestJournal(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("JournalEntry", func(t *testing.T) { testJournalEntry(t, open(t)) })
	t.Run("JournalEntries", func(t *testing.T) { testJournalEntries(t, open(t)) })
	t.Run("JournalPages", func(t *testing.T) { testJournalPages(t, open(t)) })
	t.Run("JournalMany", func(t *testing.T) { testJournalMany(t, open(t)) })
	t.Run("TrimJournal", func(t *testing.T) { testTrimJournal(t, open(t)) })
}

// errRollBack makes an Update roll back.
var errRollBack = errors.New("roll back")

// newJournalEntry returns an entry with every field set; requestID tells entries apart
// in the lists' diffs.
func newJournalEntry(requestID string, arrived time.Time) *pay.JournalEntry {
	return &pay.JournalEntry{
		At:        arrived,
		Node:      "node-a",
		RequestID: requestID,
		Mchid:     "1900000109",
		API:       "refund.create",
		Method:    "POST",
		Target:    "/v3/refund/domestic/refunds",
		Status:    200,
		Latency:   1234567 * time.Microsecond,
		Request:   "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\",signature=\"***\"\n\n{\"out_refund_no\":\"refund-1\"}",
		Answer:    `{"refund_id":"50000000001","status":"PROCESSING"}`,
	}
}

// insertJournal stores es in one Update.
func insertJournal(t *testing.T, s pay.Store, es ...*pay.JournalEntry) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertJournalEntries(t.Context(), es) })
}

// checkIncreasing reports ids of es that are not each above the one before, and above
// after.
func checkIncreasing(t *testing.T, after int64, es []*pay.JournalEntry) {
	t.Helper()
	for _, e := range es {
		if e.ID <= after {
			t.Errorf("entry %s has ID %d, want above %d", e.RequestID, e.ID, after)
		}
		after = e.ID
	}
}

func testJournalEntry(t *testing.T, s pay.Store) {
	ctx := t.Context()
	plain := newJournalEntry("req-1", at(0))
	refused := newJournalEntry("req-2", at(time.Second))
	refused.Mchid, refused.API, refused.Status, refused.Code = "", "", 401, "SIGN_ERROR"
	refused.Diagnosis = `{"message":"签名错误","expected":"…"}`
	insertJournal(t, s, plain, refused)
	checkIncreasing(t, 0, []*pay.JournalEntry{plain, refused})

	for _, want := range []*pay.JournalEntry{plain, refused} {
		got, err := read(t, s, func(tx pay.Tx) (*pay.JournalEntry, error) { return tx.JournalEntry(ctx, want.ID) })
		if err != nil {
			t.Errorf("JournalEntry(%d): %v", want.ID, err)
			continue
		}
		checkEqual(t, "JournalEntry("+want.RequestID+")", want, got)
	}
	_, err := read(t, s, func(tx pay.Tx) (*pay.JournalEntry, error) { return tx.JournalEntry(ctx, refused.ID+1) })
	checkErr(t, "JournalEntry(unknown)", err, pay.ErrNotFound)

	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertJournalEntries(ctx, nil) }); err != nil {
		t.Errorf("InsertJournalEntries(none): %v", err)
	}
	// A later Update numbers after an earlier one.
	later := newJournalEntry("req-3", at(2*time.Second))
	insertJournal(t, s, later)
	checkIncreasing(t, refused.ID, []*pay.JournalEntry{later})
}

func testJournalEntries(t *testing.T, s pay.Store) {
	e1 := newJournalEntry("req-1", at(0))
	e1.Target = "/v3/refund/domestic/refunds/refund_1"
	e2 := newJournalEntry("req-2", at(time.Second))
	e2.Mchid, e2.API, e2.Method = "1900000110", "order.query", "GET"
	e2.Target = "/v3/pay/transactions/out-trade-no/trade-1?mchid=1900000110"
	e3 := newJournalEntry("req-3", at(2*time.Second))
	e3.Status, e3.Code = 400, "PARAM_ERROR"
	e3.Target = "/v3/refund/domestic/refunds?discount=50%off"
	e4 := newJournalEntry("req-4", at(3*time.Second))
	e4.Mchid, e4.API, e4.Status, e4.Code = "", "", 404, "NOT_FOUND"
	e4.Target = "/v3/unknown/REFUND"
	insertJournal(t, s, e1, e2, e3, e4)

	all := mustRead(t, s, func(tx pay.Tx) ([]*pay.JournalEntry, error) {
		return tx.JournalEntries(t.Context(), pay.JournalFilter{})
	})
	checkEqual(t, "JournalEntries(all)", []*pay.JournalEntry{e4, e3, e2, e1}, all)

	checkList(t, s, "JournalEntries", []listCase[pay.JournalFilter]{
		{"mchid", pay.JournalFilter{Mchid: "1900000109"}, []string{"req-3", "req-1"}},
		{"api", pay.JournalFilter{API: "order.query"}, []string{"req-2"}},
		{"path", pay.JournalFilter{Path: "/refund/"}, []string{"req-3", "req-1"}},
		{"path in the query", pay.JournalFilter{Path: "mchid=1900000110"}, []string{"req-2"}},
		// The path is matched as written: neither % nor _ is a wildcard, and case counts.
		{"path %", pay.JournalFilter{Path: "%"}, []string{"req-3"}},
		{"path 50%o", pay.JournalFilter{Path: "50%o"}, []string{"req-3"}},
		{"path _", pay.JournalFilter{Path: "_"}, []string{"req-1"}},
		{"path refund-1", pay.JournalFilter{Path: "refund-1"}, []string{}},
		{"path in capitals", pay.JournalFilter{Path: "/REFUND"}, []string{"req-4"}},
		{"status", pay.JournalFilter{Status: 200}, []string{"req-2", "req-1"}},
		{"code", pay.JournalFilter{Code: "PARAM_ERROR"}, []string{"req-3"}},
		{"status and mchid", pay.JournalFilter{Status: 400, Mchid: "1900000109"}, []string{"req-3"}},
		{"mchid and api with none", pay.JournalFilter{Mchid: "1900000110", API: "refund.create"}, []string{}},
		{"limit", pay.JournalFilter{Limit: 3}, []string{"req-4", "req-3", "req-2"}},
		{"before", pay.JournalFilter{Before: e3.ID}, []string{"req-2", "req-1"}},
		{"before the first", pay.JournalFilter{Before: e1.ID}, []string{}},
	}, pay.Tx.JournalEntries, func(e *pay.JournalEntry) string { return e.RequestID })
}

// testJournalPages walks a filtered list page by page, as the console does: each page
// starts below the last ID of the one before.
func testJournalPages(t *testing.T, s pay.Store) {
	var es []*pay.JournalEntry
	for i := range 7 {
		e := newJournalEntry("req-"+string(rune('a'+i)), at(time.Duration(i)*time.Second))
		if i%3 == 2 {
			e.Mchid = "1900000110"
		}
		es = append(es, e)
	}
	insertJournal(t, s, es...)
	checkIncreasing(t, 0, es)

	var pages [][]string
	f := pay.JournalFilter{Mchid: "1900000109", Limit: 2}
	for range 5 {
		page := mustRead(t, s, func(tx pay.Tx) ([]*pay.JournalEntry, error) { return tx.JournalEntries(t.Context(), f) })
		if len(page) == 0 {
			break
		}
		var ids []string
		for _, e := range page {
			ids = append(ids, e.RequestID)
		}
		pages = append(pages, ids)
		f.Before = page[len(page)-1].ID
	}
	want := [][]string{{"req-g", "req-e"}, {"req-d", "req-b"}, {"req-a"}}
	checkEqual(t, "JournalEntries pages", want, pages)
}

// testJournalMany inserts more entries in one call than a store may put in one
// statement, and finds each under the ID it was given.
func testJournalMany(t *testing.T, s pay.Store) {
	es := make([]*pay.JournalEntry, 150)
	for i := range es {
		es[i] = newJournalEntry(fmt.Sprintf("req-%03d", i), at(time.Duration(i)*time.Millisecond))
	}
	insertJournal(t, s, es...)
	checkIncreasing(t, 0, es)
	for _, e := range es {
		got := mustRead(t, s, func(tx pay.Tx) (*pay.JournalEntry, error) { return tx.JournalEntry(t.Context(), e.ID) })
		if got.RequestID != e.RequestID {
			t.Errorf("JournalEntry(%d) = %s, want %s", e.ID, got.RequestID, e.RequestID)
		}
	}
}

func testTrimJournal(t *testing.T, s pay.Store) {
	ctx := t.Context()
	var es []*pay.JournalEntry
	for i := range 5 {
		es = append(es, newJournalEntry("req-"+string(rune('a'+i)), at(time.Duration(i)*time.Second)))
	}
	insertJournal(t, s, es...)

	trim := func(keep int) (int, error) {
		var n int
		err := write(t, s, func(tx pay.Tx) error {
			var err error
			n, err = tx.TrimJournal(ctx, keep)
			return err
		})
		return n, err
	}
	left := func() []string {
		got := mustRead(t, s, func(tx pay.Tx) ([]*pay.JournalEntry, error) { return tx.JournalEntries(ctx, pay.JournalFilter{}) })
		ids := []string{}
		for _, e := range got {
			ids = append(ids, e.RequestID)
		}
		return ids
	}

	for _, tt := range []struct {
		keep, deleted int
		left          []string
	}{
		{keep: 10, deleted: 0, left: []string{"req-e", "req-d", "req-c", "req-b", "req-a"}},
		{keep: 5, deleted: 0, left: []string{"req-e", "req-d", "req-c", "req-b", "req-a"}},
		{keep: 2, deleted: 3, left: []string{"req-e", "req-d"}},
		{keep: 2, deleted: 0, left: []string{"req-e", "req-d"}},
		{keep: 0, deleted: 2, left: []string{}},
		{keep: 0, deleted: 0, left: []string{}},
	} {
		n, err := trim(tt.keep)
		if err != nil {
			t.Fatalf("TrimJournal(%d): %v", tt.keep, err)
		}
		if n != tt.deleted {
			t.Errorf("TrimJournal(%d) = %d, want %d", tt.keep, n, tt.deleted)
		}
		checkEqual(t, "entries left after TrimJournal", tt.left, left())
	}
	_, err := read(t, s, func(tx pay.Tx) (*pay.JournalEntry, error) { return tx.JournalEntry(ctx, es[0].ID) })
	checkErr(t, "JournalEntry(trimmed)", err, pay.ErrNotFound)

	if _, err := trim(-1); err == nil {
		t.Error("TrimJournal(-1) succeeded, want an error")
	}
	// IDs never repeat, even once every entry is gone: a page list holding an old ID
	// must not find a new entry under it.
	again := newJournalEntry("req-f", at(time.Minute))
	insertJournal(t, s, again)
	checkIncreasing(t, es[len(es)-1].ID, []*pay.JournalEntry{again})

	// The trim counts back from the newest ID, wherever the IDs start.
	insertJournal(t, s, newJournalEntry("req-g", at(time.Minute)), newJournalEntry("req-h", at(time.Minute)))
	if n, err := trim(2); err != nil || n != 1 {
		t.Errorf("TrimJournal(2) after more entries = %d, %v, want 1", n, err)
	}
	checkEqual(t, "entries left after TrimJournal", []string{"req-h", "req-g"}, left())

	// A rolled-back write may use up IDs (PostgreSQL's sequence does): the trim then
	// keeps fewer than keep, never more, and always the newest.
	err = write(t, s, func(tx pay.Tx) error {
		if err := tx.InsertJournalEntries(ctx, []*pay.JournalEntry{newJournalEntry("req-lost", at(time.Hour))}); err != nil {
			return err
		}
		return errRollBack
	})
	checkErr(t, "Update that rolls back", err, errRollBack)
	insertJournal(t, s, newJournalEntry("req-i", at(time.Hour)), newJournalEntry("req-j", at(time.Hour)))
	if _, err := trim(3); err != nil {
		t.Fatalf("TrimJournal(3) after a rolled-back write: %v", err)
	}
	got := left()
	if want := []string{"req-j", "req-i", "req-h"}; len(got) < 2 || !slices.Equal(got, want[:len(got)]) {
		t.Errorf("entries left after TrimJournal(3) = %q, want the newest 3, or 2 if an ID was skipped", got)
	}
}
