package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// JournalKeep is the journal's default length, what a busy server's journal holds at
// all times.
const JournalKeep = 10_000

// benchJournalEntries returns n entries shaped like a busy server's: about a kilobyte
// of request and of answer, a few merchants, APIs and outcomes.
func benchJournalEntries(n int) []*pay.JournalEntry {
	req := "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\",signature=\"***\"\n\n" +
		`{"out_refund_no":"R1","amount":{"refund":100,"total":1000,"currency":"CNY"},"notify_url":"https://example.com/notify","reason":"` +
		strings.Repeat("商品已售完", 60) + `"}`
	answer := `{"refund_id":"50000000382019052709732678859","out_refund_no":"R1","status":"PROCESSING","user_received_account":"` +
		strings.Repeat("支付用户零钱", 50) + `"}`
	apis := []string{"refund.create", "refund.query", "v2.refundquery", "order.query"}
	es := make([]*pay.JournalEntry, n)
	for i := range es {
		e := &pay.JournalEntry{
			At: time.UnixMilli(1_780_000_000_000 + int64(i)), Node: "node-a", RequestID: fmt.Sprintf("req-%08d", i),
			Mchid: fmt.Sprintf("19000001%02d", i%7), API: apis[i%len(apis)], Method: "POST",
			Target: "/v3/refund/domestic/refunds", Status: 200, Latency: 850 * time.Microsecond,
			Request: req, Answer: answer,
		}
		if i%13 == 0 {
			e.Status, e.Code = 400, "PARAM_ERROR"
		}
		es[i] = e
	}
	return es
}

// FillJournal inserts n entries shaped like a busy server's into s, in one Update.
func FillJournal(b *testing.B, s pay.Store, n int) {
	ctx := b.Context()
	es := benchJournalEntries(n)
	if err := s.Update(ctx, func(tx pay.Tx) error { return tx.InsertJournalEntries(ctx, es) }); err != nil {
		b.Fatalf("fill the journal: %v", err)
	}
}

// BenchJournalWrite is the store's share of the request journal: b.N batches of batch
// entries, each in one Update, into s's journal already holding JournalKeep entries, and
// trimmed back to JournalKeep once more than every entries came in since the last trim (0:
// after every batch). cpu-ns/entry, the process's CPU time per entry, is what
// journaling costs a request; ns/entry includes waiting for the disk.
func BenchJournalWrite(b *testing.B, s pay.Store, batch, every int) {
	ctx := b.Context()
	FillJournal(b, s, JournalKeep)
	es := benchJournalEntries(batch)
	since := 0
	b.ResetTimer()
	defer reportCPU(b, batch, "cpu-ns/entry")()
	for b.Loop() {
		since += batch
		trim := since > every
		err := s.Update(ctx, func(tx pay.Tx) error {
			if err := tx.InsertJournalEntries(ctx, es); err != nil {
				return err
			}
			if trim {
				_, err := tx.TrimJournal(ctx, JournalKeep)
				return err
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if trim {
			since = 0
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entry")
}
