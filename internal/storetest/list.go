package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestLists checks the console's lists of orders, refunds, notifications and stocks,
// and the counts beside them, each case on a fresh store from open.
func TestLists(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Orders", func(t *testing.T) { testOrderList(t, open(t)) })
	t.Run("Refunds", func(t *testing.T) { testRefundList(t, open(t)) })
	t.Run("CountRefunds", func(t *testing.T) { testCountRefunds(t, open(t)) })
	t.Run("Notifications", func(t *testing.T) { testNotificationList(t, open(t)) })
	t.Run("Stocks", func(t *testing.T) { testStockList(t, open(t)) })
	t.Run("Empty", func(t *testing.T) { testEmptyLists(t, open(t)) })
}

// listCase is one filter of a list and what it must select, by key, in order.
type listCase[F any] struct {
	name string
	f    F
	want []string
}

// checkList runs every case through list, a method expression such as pay.Tx.Orders,
// and compares the keys of what it returns.
func checkList[F, T any](t *testing.T, s pay.Store, call string, cases []listCase[F],
	list func(pay.Tx, context.Context, F) ([]T, error), key func(T) string) {
	t.Helper()
	for _, tt := range cases {
		got := mustRead(t, s, func(tx pay.Tx) ([]T, error) { return list(tx, t.Context(), tt.f) })
		keys := make([]string, len(got))
		for i, v := range got {
			keys[i] = key(v)
		}
		checkEqual(t, fmt.Sprintf("%s(%s)", call, tt.name), tt.want, keys)
	}
}

// Two merchants under the partner newMerchant names, and one direct merchant.
const (
	listSub     = "1900000109"
	listOther   = "1900000110"
	listDirect  = "1900000111"
	listPartner = "1900000100"
)

// seedListOrders stores the three merchants and four orders: two of the sub-merchant
// through its partner, two of the direct merchant, and two of them created in the same
// millisecond so that insertion order must break the tie.
func seedListOrders(t *testing.T, s pay.Store) []*pay.Order {
	t.Helper()
	direct := newMerchant(listDirect)
	direct.Kind, direct.SpMchid = pay.KindDirect, ""
	Merchants(t, s, newMerchant(listSub), newMerchant(listOther), direct)

	o1 := newOrder("4200000001", listSub, "trade-1")
	o1.CreateTime, o1.TradeState = at(-3*time.Hour), pay.TradeSuccess
	o2 := newOrder("4200000002", listDirect, "trade-2")
	o2.SpMchid, o2.CreateTime, o2.TradeState = "", at(-2*time.Hour), pay.TradeNotPay
	o3 := newOrder("4200000003", listSub, "trade-3")
	o3.CreateTime, o3.TradeState = at(-2*time.Hour), pay.TradeRefund
	// Another merchant's out_trade_no may equal one here: a Number matches both.
	o4 := newOrder("4200000004", listDirect, "trade-1")
	o4.SpMchid, o4.CreateTime, o4.TradeState = "", at(-time.Hour), pay.TradeSuccess
	orders := []*pay.Order{o1, o2, o3, o4}
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, o := range orders {
			if err := tx.InsertOrder(t.Context(), o); err != nil {
				return err
			}
		}
		return nil
	})
	return orders
}

func testOrderList(t *testing.T, s pay.Store) {
	orders := seedListOrders(t, s)
	o1, o2, o3, o4 := orders[0], orders[1], orders[2], orders[3]
	all := mustRead(t, s, func(tx pay.Tx) ([]*pay.Order, error) { return tx.Orders(t.Context(), pay.OrderFilter{}) })
	checkEqual(t, "Orders(all)", []*pay.Order{o4, o3, o2, o1}, all)

	checkList(t, s, "Orders", []listCase[pay.OrderFilter]{
		{"mchid", pay.OrderFilter{Mchid: listSub}, []string{o3.ID, o1.ID}},
		{"partner's mchid", pay.OrderFilter{Mchid: listPartner}, []string{o3.ID, o1.ID}},
		{"direct mchid", pay.OrderFilter{Mchid: listDirect}, []string{o4.ID, o2.ID}},
		{"mchid with none", pay.OrderFilter{Mchid: listOther}, []string{}},
		{"transaction_id", pay.OrderFilter{Number: o2.ID}, []string{o2.ID}},
		{"out_trade_no", pay.OrderFilter{Number: "trade-1"}, []string{o4.ID, o1.ID}},
		{"out_trade_no and mchid", pay.OrderFilter{Number: "trade-1", Mchid: listSub}, []string{o1.ID}},
		{"state", pay.OrderFilter{State: pay.TradeSuccess}, []string{o4.ID, o1.ID}},
		{"state and mchid", pay.OrderFilter{State: pay.TradeSuccess, Mchid: listDirect}, []string{o4.ID}},
		{"limit", pay.OrderFilter{Limit: 2}, []string{o4.ID, o3.ID}},
		{"limit and offset", pay.OrderFilter{Limit: 2, Offset: 2}, []string{o2.ID, o1.ID}},
		{"offset", pay.OrderFilter{Offset: 3}, []string{o1.ID}},
		{"offset past the end", pay.OrderFilter{Offset: 10}, []string{}},
	}, pay.Tx.Orders, func(o *pay.Order) string { return o.ID })
}

// seedListRefunds stores the orders of seedListOrders and four refunds of two of them
// in three statuses, two created in the same millisecond.
func seedListRefunds(t *testing.T, s pay.Store) []*pay.Refund {
	t.Helper()
	orders := seedListOrders(t, s)
	sub, direct := orders[0], orders[1]
	r1 := newRefund("50000000001", "refund-1", sub)
	r2 := newProcessingRefund("50000000002", "refund-2", direct, time.Time{})
	r2.CreateTime = at(time.Minute)
	r3 := newProcessingRefund("50000000003", "refund-3", sub, time.Time{})
	r3.SpMchid, r3.CreateTime = sub.SpMchid, at(time.Minute)
	r4 := newRefund("50000000004", "refund-4", direct)
	r4.CreateTime, r4.Status = at(2*time.Minute), pay.StatusAbnormal
	refunds := []*pay.Refund{r1, r2, r3, r4}
	insertRefunds(t, s, refunds...)
	return refunds
}

func testRefundList(t *testing.T, s pay.Store) {
	refunds := seedListRefunds(t, s)
	r1, r2, r3, r4 := refunds[0], refunds[1], refunds[2], refunds[3]
	all := mustRead(t, s, func(tx pay.Tx) ([]*pay.Refund, error) { return tx.Refunds(t.Context(), pay.RefundFilter{}) })
	checkEqual(t, "Refunds(all)", []*pay.Refund{r4, r3, r2, r1}, all)

	checkList(t, s, "Refunds", []listCase[pay.RefundFilter]{
		{"mchid", pay.RefundFilter{Mchid: listSub}, []string{r3.ID, r1.ID}},
		{"partner's mchid", pay.RefundFilter{Mchid: listPartner}, []string{r3.ID, r1.ID}},
		{"direct mchid", pay.RefundFilter{Mchid: listDirect}, []string{r4.ID, r2.ID}},
		{"mchid with none", pay.RefundFilter{Mchid: listOther}, []string{}},
		{"refund_id", pay.RefundFilter{Number: r2.ID}, []string{r2.ID}},
		{"out_refund_no", pay.RefundFilter{Number: r3.OutRefundNo}, []string{r3.ID}},
		{"unknown number", pay.RefundFilter{Number: "refund-9"}, []string{}},
		{"transaction_id", pay.RefundFilter{TransactionID: r2.TransactionID}, []string{r4.ID, r2.ID}},
		{"status", pay.RefundFilter{Status: pay.StatusProcessing}, []string{r3.ID, r2.ID}},
		{"status and mchid", pay.RefundFilter{Status: pay.StatusProcessing, Mchid: listDirect}, []string{r2.ID}},
		{"begin", pay.RefundFilter{Begin: at(time.Minute)}, []string{r4.ID, r3.ID, r2.ID}},
		{"end, not included", pay.RefundFilter{End: at(time.Minute)}, []string{r1.ID}},
		{"begin and end", pay.RefundFilter{Begin: at(time.Minute), End: at(2 * time.Minute)}, []string{r3.ID, r2.ID}},
		{"limit", pay.RefundFilter{Limit: 3}, []string{r4.ID, r3.ID, r2.ID}},
		{"limit and offset", pay.RefundFilter{Limit: 2, Offset: 1}, []string{r3.ID, r2.ID}},
		{"offset past the end", pay.RefundFilter{Offset: 4}, []string{}},
	}, pay.Tx.Refunds, func(r *pay.Refund) string { return r.ID })
}

func testCountRefunds(t *testing.T, s pay.Store) {
	seedListRefunds(t, s)
	got := mustRead(t, s, func(tx pay.Tx) (map[pay.Status]int64, error) { return tx.CountRefunds(t.Context()) })
	want := map[pay.Status]int64{pay.StatusSuccess: 1, pay.StatusProcessing: 2, pay.StatusAbnormal: 1}
	checkEqual(t, "CountRefunds", want, got)
}

func testNotificationList(t *testing.T, s pay.Store) {
	r := seedRefund(t, s, "50000000001")
	n1 := newNotification("n-1", r.ID, at(time.Second))
	n2 := newNotification("n-2", r.ID, at(0))
	n2.Mchid, n2.Status, n2.UpdateTime = listSub, pay.NotifyDelivered, at(3*time.Second)
	n3 := newNotification("n-3", r.ID, at(2*time.Second))
	// Updated in the same millisecond as n-3 and stored after it.
	n4 := newNotification("n-4", r.ID, at(0))
	n4.Status, n4.UpdateTime = pay.NotifyFailed, at(2*time.Second)
	insertNotifications(t, s, n1, n2, n3, n4)

	all := mustRead(t, s, func(tx pay.Tx) ([]*pay.Notification, error) {
		return tx.Notifications(t.Context(), pay.NotificationFilter{})
	})
	checkEqual(t, "Notifications(all)", []*pay.Notification{n2, n4, n3, n1}, all)

	checkList(t, s, "Notifications", []listCase[pay.NotificationFilter]{
		{"mchid", pay.NotificationFilter{Mchid: listSub}, []string{n2.ID}},
		{"other mchid", pay.NotificationFilter{Mchid: listPartner}, []string{n4.ID, n3.ID, n1.ID}},
		{"status", pay.NotificationFilter{Status: pay.NotifyPending}, []string{n3.ID, n1.ID}},
		{"status and mchid", pay.NotificationFilter{Status: pay.NotifyDelivered, Mchid: listPartner}, []string{}},
		{"limit", pay.NotificationFilter{Limit: 1}, []string{n2.ID}},
		{"limit and offset", pay.NotificationFilter{Limit: 2, Offset: 1}, []string{n4.ID, n3.ID}},
	}, pay.Tx.Notifications, func(n *pay.Notification) string { return n.ID })

	for status, want := range map[pay.NotificationStatus]int64{
		pay.NotifyPending: 2, pay.NotifyDelivered: 1, pay.NotifyFailed: 1, "": 4, "UNKNOWN": 0,
	} {
		got := mustRead(t, s, func(tx pay.Tx) (int64, error) { return tx.CountNotifications(t.Context(), status) })
		if got != want {
			t.Errorf("CountNotifications(%q) = %d, want %d", status, got, want)
		}
	}

	// An order's payment notification, found by its order and by nothing of a refund's.
	paid := newNotification("n-paid", "", at(time.Second))
	paid.OrderID, paid.Refund, paid.EventType, paid.OriginalType = r.TransactionID, nil, "TRANSACTION.SUCCESS", "transaction"
	paid.Order = &pay.OrderSnapshot{TransactionID: r.TransactionID, Mchid: "1900000109", Total: 100, Currency: "CNY"}
	paid.UpdateTime = at(-time.Hour)
	insertNotifications(t, s, paid)
	checkList(t, s, "Notifications", []listCase[pay.NotificationFilter]{
		{"order", pay.NotificationFilter{OrderID: r.TransactionID}, []string{paid.ID}},
		{"other order", pay.NotificationFilter{OrderID: "4200009999"}, []string{}},
	}, pay.Tx.Notifications, func(n *pay.Notification) string { return n.ID })
}

func testStockList(t *testing.T, s pay.Store) {
	s1 := newStock("1234567891", listSub, "stock-req-1")
	s2 := newStock("1234567892", listOther, "stock-req-1")
	s2.CreateTime = at(time.Minute)
	// Created in the same millisecond as s2 and stored after it.
	s3 := newStock("1234567893", listSub, "stock-req-2")
	s3.CreateTime = at(time.Minute)
	insertStocks(t, s, s1, s2, s3)

	all := mustRead(t, s, func(tx pay.Tx) ([]*pay.Stock, error) { return tx.Stocks(t.Context(), pay.StockFilter{}) })
	checkEqual(t, "Stocks(all)", []*pay.Stock{s3, s2, s1}, all)

	checkList(t, s, "Stocks", []listCase[pay.StockFilter]{
		{"creator", pay.StockFilter{Creator: listSub}, []string{s3.ID, s1.ID}},
		{"creator with none", pay.StockFilter{Creator: listDirect}, []string{}},
		{"limit", pay.StockFilter{Limit: 1}, []string{s3.ID}},
		{"limit and offset", pay.StockFilter{Limit: 1, Offset: 1}, []string{s2.ID}},
		{"creator and offset", pay.StockFilter{Creator: listSub, Offset: 1}, []string{s1.ID}},
	}, pay.Tx.Stocks, func(st *pay.Stock) string { return st.ID })
}

// testEmptyLists checks that every list and count of an empty store is empty, not an
// error.
func testEmptyLists(t *testing.T, s pay.Store) {
	ctx := t.Context()
	err := s.View(ctx, func(tx pay.Tx) error {
		orders, err := tx.Orders(ctx, pay.OrderFilter{})
		if err != nil || len(orders) != 0 {
			return fmt.Errorf("Orders = %v, %v; want none", orders, err)
		}
		refunds, err := tx.Refunds(ctx, pay.RefundFilter{Limit: 10})
		if err != nil || len(refunds) != 0 {
			return fmt.Errorf("Refunds = %v, %v; want none", refunds, err)
		}
		counts, err := tx.CountRefunds(ctx)
		if err != nil || len(counts) != 0 {
			return fmt.Errorf("CountRefunds = %v, %v; want none", counts, err)
		}
		ns, err := tx.Notifications(ctx, pay.NotificationFilter{})
		if err != nil || len(ns) != 0 {
			return fmt.Errorf("Notifications = %v, %v; want none", ns, err)
		}
		n, err := tx.CountNotifications(ctx, "")
		if err != nil || n != 0 {
			return fmt.Errorf("CountNotifications = %d, %v; want 0", n, err)
		}
		stocks, err := tx.Stocks(ctx, pay.StockFilter{})
		if err != nil || len(stocks) != 0 {
			return fmt.Errorf("Stocks = %v, %v; want none", stocks, err)
		}
		entries, err := tx.JournalEntries(ctx, pay.JournalFilter{})
		if err != nil || len(entries) != 0 {
			return fmt.Errorf("JournalEntries = %v, %v; want none", entries, err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
