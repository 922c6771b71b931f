package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// UpgradeRows returns rows for a store's upgrade test to write, in this order, into a
// database migrated only as far as the schema before the console's lists: a merchant,
// two orders created in the same millisecond and a refund of each, also created
// together. CheckUpgraded then checks them on the store opened over that database.
func UpgradeRows() (*pay.Merchant, []*pay.Order, []*pay.Refund) {
	m := newMerchant("1900000109")
	o1, o2 := newOrder("4200000001", m.Mchid, "trade-1"), newOrder("4200000002", m.Mchid, "trade-2")
	o1.Split, o2.Split = nil, nil // stored before orders kept their refund split
	r1, r2 := newRefund("50000000001", "refund-1", o1), newRefund("50000000002", "refund-2", o2)
	return m, []*pay.Order{o1, o2}, []*pay.Refund{r1, r2}
}

// CheckUpgraded checks that rows stored before the upgrade list with insertion order
// breaking their tie, and that the upgraded store keeps a journal.
func CheckUpgraded(t *testing.T, s pay.Store, orders []*pay.Order, refunds []*pay.Refund) {
	t.Helper()
	ctx := t.Context()
	gotOrders := mustRead(t, s, func(tx pay.Tx) ([]*pay.Order, error) { return tx.Orders(ctx, pay.OrderFilter{}) })
	checkEqual(t, "Orders after upgrade", []*pay.Order{orders[1], orders[0]}, gotOrders)
	gotRefunds := mustRead(t, s, func(tx pay.Tx) ([]*pay.Refund, error) { return tx.Refunds(ctx, pay.RefundFilter{}) })
	checkEqual(t, "Refunds after upgrade", []*pay.Refund{refunds[1], refunds[0]}, gotRefunds)

	// New rows come after the old ones in the insertion order.
	o3 := newOrder("4200000003", orders[0].Mchid, "trade-3")
	o3.CreateTime = orders[0].CreateTime
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, o3) })
	gotOrders = mustRead(t, s, func(tx pay.Tx) ([]*pay.Order, error) { return tx.Orders(ctx, pay.OrderFilter{Limit: 1}) })
	checkEqual(t, "Orders after upgrade and insert", []*pay.Order{o3}, gotOrders)

	e := newJournalEntry("req-1", at(time.Second))
	insertJournal(t, s, e)
	got := mustRead(t, s, func(tx pay.Tx) (*pay.JournalEntry, error) { return tx.JournalEntry(ctx, e.ID) })
	checkEqual(t, "JournalEntry after upgrade", e, got)
}
