package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestCoupons checks CouponTx (stocks, coupons and request numbers), each case on a
// fresh store from open.
func TestCoupons(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Stock", func(t *testing.T) { testStock(t, open(t)) })
	t.Run("StockDuplicate", func(t *testing.T) { testStockDuplicate(t, open(t)) })
	t.Run("UpdateStock", func(t *testing.T) { testUpdateStock(t, open(t)) })
	t.Run("Coupon", func(t *testing.T) { testCoupon(t, open(t)) })
	t.Run("CouponDuplicate", func(t *testing.T) { testCouponDuplicate(t, open(t)) })
	t.Run("CouponInAnyStock", func(t *testing.T) { testCouponInAnyStock(t, open(t)) })
	t.Run("CountCoupons", func(t *testing.T) { testCountCoupons(t, open(t)) })
	t.Run("CouponsFilter", func(t *testing.T) { testCouponsFilter(t, open(t)) })
	t.Run("UpdateCoupon", func(t *testing.T) { testUpdateCoupon(t, open(t)) })
	t.Run("CouponRequest", func(t *testing.T) { testCouponRequest(t, open(t)) })
}

// newStock returns a stock of creator with every field set, though a real stock uses
// only one of the three coupon kinds, so that a field the backend drops shows.
func newStock(id, creator, outRequestNo string) *pay.Stock {
	return &pay.Stock{
		ID:                 id,
		Creator:            creator,
		BelongMerchant:     "1900000110",
		OutRequestNo:       outRequestNo,
		Name:               "满100减10",
		Comment:            "仅限门店使用",
		GoodsName:          "全场商品",
		Type:               pay.StockNormal,
		CodeMode:           pay.CodeModeMerchantAPI,
		DiscountAmount:     1000,
		DiscountPercent:    88,
		ExchangePrice:      990,
		TransactionMinimum: 10000,
		BeginTime:          at(0),
		EndTime:            at(30 * 24 * time.Hour),
		DaysAfterReceive:   7,
		WaitDays:           1,
		UseMethod:          "OFF_LINE",
		MaxCoupons:         100,
		MaxCouponsPerUser:  2,
		Transferable:       true,
		Shareable:          true,
		Sent:               3,
		Display: map[string]json.RawMessage{
			"notify_config":   json.RawMessage(`{"notify_appid": "wxd678efh567hg6787"}`),
			"available_week":  json.RawMessage(`{"week_day":[1,2,3],"available_day_time":[{"begin_time":3600,"end_time":7200}]}`),
			"custom_entrance": json.RawMessage(`{"mini_programs_info":{"entrance_words":"去使用","mini_programs_path":"/pages/a"}}`),
		},
		CreateTime: at(-time.Minute),
	}
}

// newCoupon returns a coupon of st with every field set, as one used, returned and
// deactivated would have.
func newCoupon(code string, st *pay.Stock, openid, sendRequestNo string, received time.Time) *pay.Coupon {
	return &pay.Coupon{
		Code:                code,
		StockID:             st.ID,
		Openid:              openid,
		Appid:               "wxd678efh567hg6787",
		Sender:              st.Creator,
		State:               pay.CouponDeactivated,
		SendRequestNo:       sendRequestNo,
		ReceiveTime:         received,
		AvailableStartTime:  received.Add(24 * time.Hour),
		ExpireTime:          received.Add(7 * 24 * time.Hour),
		UseRequestNo:        "use-" + code,
		UseTime:             received.Add(25 * time.Hour),
		TransactionID:       "4200000001",
		ReturnRequestNo:     "return-" + code,
		ReturnTime:          received.Add(26 * time.Hour),
		DeactivateRequestNo: "deactivate-" + code,
		DeactivateTime:      received.Add(27 * time.Hour),
		DeactivateReason:    "商家主动失效",
	}
}

// newSentCoupon returns a coupon of st just sent: the bare fields only, zero times where
// it was never used, returned or deactivated.
func newSentCoupon(code string, st *pay.Stock, openid, sendRequestNo string, received time.Time) *pay.Coupon {
	return &pay.Coupon{
		Code:               code,
		StockID:            st.ID,
		Openid:             openid,
		Appid:              "wxd678efh567hg6787",
		Sender:             st.Creator,
		State:              pay.CouponSended,
		SendRequestNo:      sendRequestNo,
		ReceiveTime:        received,
		AvailableStartTime: received,
		ExpireTime:         received.Add(7 * 24 * time.Hour),
	}
}

func insertStocks(t *testing.T, s pay.Store, sts ...*pay.Stock) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, st := range sts {
			if err := tx.InsertStock(t.Context(), st); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertCoupons(t *testing.T, s pay.Store, cs ...*pay.Coupon) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, c := range cs {
			if err := tx.InsertCoupon(t.Context(), c); err != nil {
				return err
			}
		}
		return nil
	})
}

// couponKeys returns "stock/code" of each of cs, in order, for readable list diffs.
func couponKeys(cs []*pay.Coupon) []string {
	var keys []string
	for _, c := range cs {
		keys = append(keys, c.StockID+"/"+c.Code)
	}
	return keys
}

func testStock(t *testing.T, s pay.Store) {
	ctx := t.Context()
	full := newStock("1234567891", "1900000109", "stock-req-1")
	// A stock with no optional rules, no display fields and nothing sent yet.
	bare := &pay.Stock{ID: "1234567892", Creator: "1900000109", BelongMerchant: "1900000109", OutRequestNo: "stock-req-2",
		Name: "兑换券", GoodsName: "咖啡", Type: pay.StockExchange, CodeMode: pay.CodeModeWechatpay, ExchangePrice: 1,
		BeginTime: at(0), EndTime: at(time.Hour), UseMethod: "MINI_PROGRAMS", MaxCoupons: 1, MaxCouponsPerUser: 1, CreateTime: at(0)}
	insertStocks(t, s, full, bare)

	for _, want := range []*pay.Stock{full, bare} {
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Stock, error) { return tx.Stock(ctx, want.ID) })
		checkEqual(t, "Stock("+want.ID+")", want, got)
		got = mustRead(t, s, func(tx pay.Tx) (*pay.Stock, error) {
			return tx.StockByRequest(ctx, want.Creator, want.OutRequestNo)
		})
		checkEqual(t, "StockByRequest("+want.OutRequestNo+")", want, got)
	}

	missing := []struct {
		call string
		get  func(tx pay.Tx) (*pay.Stock, error)
	}{
		{"Stock(unknown)", func(tx pay.Tx) (*pay.Stock, error) { return tx.Stock(ctx, "1234567899") }},
		{"StockByRequest(unknown out_request_no)", func(tx pay.Tx) (*pay.Stock, error) {
			return tx.StockByRequest(ctx, full.Creator, "stock-req-9")
		}},
		// The belonging merchant did not create it.
		{"StockByRequest(other creator)", func(tx pay.Tx) (*pay.Stock, error) {
			return tx.StockByRequest(ctx, full.BelongMerchant, full.OutRequestNo)
		}},
	}
	for _, tt := range missing {
		_, err := read(t, s, tt.get)
		checkErr(t, tt.call, err, pay.ErrNotFound)
	}
}

func testStockDuplicate(t *testing.T, s pay.Store) {
	ctx := t.Context()
	first := newStock("1234567891", "1900000109", "stock-req-1")
	insertStocks(t, s, first)

	tests := []struct {
		call string
		st   *pay.Stock
		want error
	}{
		{"InsertStock(same stock_id)", newStock(first.ID, "1900000110", "stock-req-2"), pay.ErrDuplicate},
		{"InsertStock(same creator and out_request_no)", newStock("1234567892", first.Creator, first.OutRequestNo), pay.ErrDuplicate},
		// out_request_no is unique per creator only.
		{"InsertStock(same out_request_no, other creator)", newStock("1234567893", "1900000110", first.OutRequestNo), nil},
	}
	for _, tt := range tests {
		err := write(t, s, func(tx pay.Tx) error { return tx.InsertStock(ctx, tt.st) })
		checkErr(t, tt.call, err, tt.want)
	}
}

// UpdateStock writes Sent only: the rest of a stock is fixed when it is created.
func testUpdateStock(t *testing.T, s pay.Store) {
	ctx := t.Context()
	orig := newStock("1234567891", "1900000109", "stock-req-1")
	other := newStock("1234567892", "1900000109", "stock-req-2")
	insertStocks(t, s, orig, other)

	for _, sent := range []int64{4, 0} {
		changed := *newStock(orig.ID, "1900000999", "stock-req-9")
		changed.Name, changed.MaxCoupons, changed.Display, changed.EndTime = "改名", 1, nil, at(time.Hour)
		changed.Sent = sent
		mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateStock(ctx, &changed) })

		want := *orig
		want.Sent = sent
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Stock, error) { return tx.Stock(ctx, orig.ID) })
		checkEqual(t, fmt.Sprintf("Stock after UpdateStock(Sent %d)", sent), &want, got)
	}

	untouched := mustRead(t, s, func(tx pay.Tx) (*pay.Stock, error) { return tx.Stock(ctx, other.ID) })
	checkEqual(t, "other Stock after UpdateStock", other, untouched)

	unknown := newStock("1234567899", "1900000109", "stock-req-9")
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateStock(ctx, unknown) })
	checkErr(t, "UpdateStock(unknown)", err, pay.ErrNotFound)
}

func testCoupon(t *testing.T, s pay.Store) {
	ctx := t.Context()
	st, otherSt := newStock("1234567891", "1900000109", "stock-req-1"), newStock("1234567892", "1900000109", "stock-req-2")
	insertStocks(t, s, st, otherSt)
	full := newCoupon("C1", st, "openid-1", "send-1", at(0))
	bare := newSentCoupon("C2", st, "openid-1", "send-2", at(time.Second))
	insertCoupons(t, s, full, bare)

	for _, want := range []*pay.Coupon{full, bare} {
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, want.StockID, want.Code) })
		checkEqual(t, "Coupon("+want.StockID+", "+want.Code+")", want, got)
		got = mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, "", want.Code) })
		checkEqual(t, "Coupon(\"\", "+want.Code+")", want, got)
		got = mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) {
			return tx.CouponBySend(ctx, want.StockID, want.Openid, want.SendRequestNo)
		})
		checkEqual(t, "CouponBySend("+want.SendRequestNo+")", want, got)
	}
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, st.ID, bare.Code) })
	if !got.UseTime.IsZero() || !got.ReturnTime.IsZero() || !got.DeactivateTime.IsZero() {
		t.Errorf("Coupon(%q) times = %v, %v, %v; want zero", bare.Code, got.UseTime, got.ReturnTime, got.DeactivateTime)
	}

	missing := []struct {
		call string
		get  func(tx pay.Tx) (*pay.Coupon, error)
	}{
		{"Coupon(unknown code)", func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, st.ID, "C9") }},
		{"Coupon(\"\", unknown code)", func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, "", "C9") }},
		{"Coupon(other stock)", func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, otherSt.ID, full.Code) }},
		{"CouponBySend(other stock)", func(tx pay.Tx) (*pay.Coupon, error) {
			return tx.CouponBySend(ctx, otherSt.ID, full.Openid, full.SendRequestNo)
		}},
		{"CouponBySend(other openid)", func(tx pay.Tx) (*pay.Coupon, error) {
			return tx.CouponBySend(ctx, st.ID, "openid-2", full.SendRequestNo)
		}},
		{"CouponBySend(unknown send_request_no)", func(tx pay.Tx) (*pay.Coupon, error) {
			return tx.CouponBySend(ctx, st.ID, full.Openid, "send-9")
		}},
	}
	for _, tt := range missing {
		_, err := read(t, s, tt.get)
		checkErr(t, tt.call, err, pay.ErrNotFound)
	}
}

func testCouponDuplicate(t *testing.T, s pay.Store) {
	ctx := t.Context()
	st, otherSt := newStock("1234567891", "1900000109", "stock-req-1"), newStock("1234567892", "1900000109", "stock-req-2")
	insertStocks(t, s, st, otherSt)
	first := newSentCoupon("C1", st, "openid-1", "send-1", at(0))
	insertCoupons(t, s, first)

	tests := []struct {
		call string
		c    *pay.Coupon
		want error
	}{
		{"InsertCoupon(same code, same stock)", newSentCoupon(first.Code, st, "openid-2", "send-2", at(time.Second)), pay.ErrDuplicate},
		{"InsertCoupon(same send request, same stock and user)", newSentCoupon("C2", st, first.Openid, first.SendRequestNo, at(time.Second)), pay.ErrDuplicate},
		// A code is unique in its stock only; a send request number per stock and user.
		{"InsertCoupon(same code, other stock)", newSentCoupon(first.Code, otherSt, first.Openid, "send-3", at(time.Second)), nil},
		{"InsertCoupon(same send request, other user)", newSentCoupon("C4", st, "openid-2", first.SendRequestNo, at(time.Second)), nil},
		{"InsertCoupon(same send request, other stock)", newSentCoupon("C5", otherSt, first.Openid, first.SendRequestNo, at(time.Second)), nil},
	}
	for _, tt := range tests {
		err := write(t, s, func(tx pay.Tx) error { return tx.InsertCoupon(ctx, tt.c) })
		checkErr(t, tt.call, err, tt.want)
	}

	orphan := newSentCoupon("C9", newStock("1234567899", "1900000109", "stock-req-9"), "openid-1", "send-9", at(0))
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertCoupon(ctx, orphan) }); err == nil {
		t.Errorf("InsertCoupon(unknown stock) succeeded, want an error")
	}
}

// testCouponInAnyStock checks Coupon's "" stock: of two stocks sharing a merchant-made
// code, the coupon sent first, whatever the insertion order.
func testCouponInAnyStock(t *testing.T, s pay.Store) {
	ctx := t.Context()
	st1, st2 := newStock("1234567891", "1900000109", "stock-req-1"), newStock("1234567892", "1900000110", "stock-req-2")
	insertStocks(t, s, st1, st2)
	later := newSentCoupon("SHARED", st1, "openid-1", "send-1", at(time.Hour))
	earlier := newSentCoupon("SHARED", st2, "openid-2", "send-2", at(0))
	insertCoupons(t, s, later, earlier)

	got := mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, "", "SHARED") })
	checkEqual(t, "Coupon(\"\", SHARED)", earlier, got)
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, st1.ID, "SHARED") })
	checkEqual(t, "Coupon("+st1.ID+", SHARED)", later, got)
}

func testCountCoupons(t *testing.T, s pay.Store) {
	ctx := t.Context()
	st, otherSt := newStock("1234567891", "1900000109", "stock-req-1"), newStock("1234567892", "1900000109", "stock-req-2")
	insertStocks(t, s, st, otherSt)
	insertCoupons(t, s,
		newSentCoupon("C1", st, "openid-1", "send-1", at(0)),
		newCoupon("C2", st, "openid-1", "send-2", at(0)), // used or not, it counts
		newSentCoupon("C3", st, "openid-2", "send-3", at(0)),
		newSentCoupon("C4", otherSt, "openid-1", "send-4", at(0)),
	)

	tests := []struct {
		stockID, openid string
		want            int64
	}{
		{st.ID, "", 3},
		{st.ID, "openid-1", 2},
		{st.ID, "openid-2", 1},
		{st.ID, "openid-3", 0},
		{otherSt.ID, "", 1},
		{"1234567899", "", 0},
	}
	for _, tt := range tests {
		call := fmt.Sprintf("CountCoupons(%q, %q)", tt.stockID, tt.openid)
		got, err := read(t, s, func(tx pay.Tx) (int64, error) { return tx.CountCoupons(ctx, tt.stockID, tt.openid) })
		if err != nil {
			t.Errorf("%s: %v", call, err)
		} else if got != tt.want {
			t.Errorf("%s = %d, want %d", call, got, tt.want)
		}
	}
}

// testCouponsFilter checks each CouponFilter field alone and together, and the
// oldest-first order, ties in insertion order.
func testCouponsFilter(t *testing.T, s pay.Store) {
	ctx := t.Context()
	const creatorA, belongB, creatorC = "1900000109", "1900000110", "1900000120"
	// s1: A's own; s2: A's for B; s3: C's own.
	s1 := newStock("1234567891", creatorA, "stock-req-1")
	s1.BelongMerchant = creatorA
	s2 := newStock("1234567892", creatorA, "stock-req-2")
	s2.BelongMerchant = belongB
	s3 := newStock("1234567893", creatorC, "stock-req-3")
	s3.BelongMerchant = creatorC
	insertStocks(t, s, s1, s2, s3)

	mk := func(code string, st *pay.Stock, openid, appid, sender string, received time.Duration) *pay.Coupon {
		c := newSentCoupon(code, st, openid, "send-"+code, at(received))
		c.Appid, c.Sender = appid, sender
		return c
	}
	// Inserted out of order; C2a and C2b were received in the same millisecond.
	insertCoupons(t, s,
		mk("C3", s2, "u1", "wx1", creatorA, 3*time.Second),
		mk("C1", s1, "u1", "wx1", creatorA, time.Second),
		mk("C2a", s3, "u1", "wx2", creatorC, 2*time.Second),
		mk("C5", s1, "u2", "wx1", belongB, 5*time.Second), // sent by another merchant
		mk("C2b", s1, "u1", "wx1", creatorA, 2*time.Second),
		mk("C4", s2, "u2", "wx2", creatorA, 4*time.Second),
	)
	k := func(st *pay.Stock, code string) string { return st.ID + "/" + code }

	tests := []struct {
		name string
		f    pay.CouponFilter
		want []string
	}{
		{"all", pay.CouponFilter{}, []string{k(s1, "C1"), k(s3, "C2a"), k(s1, "C2b"), k(s2, "C3"), k(s2, "C4"), k(s1, "C5")}},
		{"openid", pay.CouponFilter{Openid: "u1"}, []string{k(s1, "C1"), k(s3, "C2a"), k(s1, "C2b"), k(s2, "C3")}},
		{"appid", pay.CouponFilter{Appid: "wx2"}, []string{k(s3, "C2a"), k(s2, "C4")}},
		{"stock", pay.CouponFilter{StockID: s2.ID}, []string{k(s2, "C3"), k(s2, "C4")}},
		{"belonging merchant", pay.CouponFilter{BelongMerchant: belongB}, []string{k(s2, "C3"), k(s2, "C4")}},
		{"creator", pay.CouponFilter{Creator: creatorA}, []string{k(s1, "C1"), k(s1, "C2b"), k(s2, "C3"), k(s2, "C4"), k(s1, "C5")}},
		{"sender", pay.CouponFilter{Sender: belongB}, []string{k(s1, "C5")}},
		{"openid and belonging merchant", pay.CouponFilter{Openid: "u1", BelongMerchant: belongB}, []string{k(s2, "C3")}},
		{"every field", pay.CouponFilter{Openid: "u2", Appid: "wx2", StockID: s2.ID, BelongMerchant: belongB, Creator: creatorA, Sender: creatorA},
			[]string{k(s2, "C4")}},
		{"nothing matches", pay.CouponFilter{Openid: "u1", Sender: belongB}, nil},
		{"unknown user", pay.CouponFilter{Openid: "u9"}, nil},
	}
	for _, tt := range tests {
		got, err := read(t, s, func(tx pay.Tx) ([]*pay.Coupon, error) { return tx.Coupons(ctx, tt.f) })
		if err != nil {
			t.Errorf("Coupons(%s): %v", tt.name, err)
			continue
		}
		checkEqual(t, "Coupons("+tt.name+")", tt.want, couponKeys(got))
	}

	// The list holds whole coupons.
	want := mk("C4", s2, "u2", "wx2", creatorA, 4*time.Second)
	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.Coupon, error) {
		return tx.Coupons(ctx, pay.CouponFilter{Openid: "u2", Appid: "wx2"})
	})
	checkEqual(t, "Coupons(u2, wx2)", []*pay.Coupon{want}, got)
}

// UpdateCoupon writes every field but the keys, zero times included.
func testUpdateCoupon(t *testing.T, s pay.Store) {
	ctx := t.Context()
	st, otherSt := newStock("1234567891", "1900000109", "stock-req-1"), newStock("1234567892", "1900000109", "stock-req-2")
	insertStocks(t, s, st, otherSt)
	orig := newSentCoupon("C1", st, "openid-1", "send-1", at(0))
	sameCode := newSentCoupon("C1", otherSt, "openid-1", "send-1", at(0))
	insertCoupons(t, s, orig, sameCode)

	// Every non-key field changes, each time to something else.
	changed := newCoupon(orig.Code, st, "openid-2", "send-2", at(time.Hour))
	changed.Appid, changed.Sender = "wx8888888888888888", "1900000110"
	for _, want := range []*pay.Coupon{changed, orig} {
		mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateCoupon(ctx, want) })
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, st.ID, orig.Code) })
		checkEqual(t, "Coupon after UpdateCoupon(state "+string(want.State)+")", want, got)
	}

	untouched := mustRead(t, s, func(tx pay.Tx) (*pay.Coupon, error) { return tx.Coupon(ctx, otherSt.ID, sameCode.Code) })
	checkEqual(t, "same code in other stock after UpdateCoupon", sameCode, untouched)

	for _, c := range []*pay.Coupon{
		newCoupon("C9", st, "openid-1", "send-9", at(0)),                    // unknown code
		newCoupon(orig.Code, newStock("1234567899", "", ""), "", "", at(0)), // unknown stock
	} {
		err := write(t, s, func(tx pay.Tx) error { return tx.UpdateCoupon(ctx, c) })
		checkErr(t, "UpdateCoupon("+c.StockID+", "+c.Code+")", err, pay.ErrNotFound)
	}
}

func testCouponRequest(t *testing.T, s pay.Store) {
	ctx := t.Context()
	const mchid = "1900000109"
	first := &pay.CouponRequest{Mchid: mchid, Kind: pay.RequestUse, RequestNo: "req-1",
		StockID: "1234567891", CouponCode: "C1", Time: at(0)}
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertCouponRequest(ctx, first) })

	got := mustRead(t, s, func(tx pay.Tx) (*pay.CouponRequest, error) {
		return tx.CouponRequest(ctx, mchid, pay.RequestUse, "req-1")
	})
	checkEqual(t, "CouponRequest(USE, req-1)", first, got)

	again := func(mchid, kind string) *pay.CouponRequest {
		return &pay.CouponRequest{Mchid: mchid, Kind: kind, RequestNo: first.RequestNo, StockID: "1234567892", CouponCode: "C2", Time: at(time.Hour)}
	}
	tests := []struct {
		call string
		r    *pay.CouponRequest
		want error
	}{
		{"InsertCouponRequest(same merchant, kind and number)", again(mchid, pay.RequestUse), pay.ErrDuplicate},
		// A number is used once per merchant and kind.
		{"InsertCouponRequest(other kind)", again(mchid, pay.RequestReturn), nil},
		{"InsertCouponRequest(third kind)", again(mchid, pay.RequestDeactivate), nil},
		{"InsertCouponRequest(other merchant)", again("1900000110", pay.RequestUse), nil},
	}
	for _, tt := range tests {
		err := write(t, s, func(tx pay.Tx) error { return tx.InsertCouponRequest(ctx, tt.r) })
		checkErr(t, tt.call, err, tt.want)
	}
	// The clash left the first record as it was.
	got = mustRead(t, s, func(tx pay.Tx) (*pay.CouponRequest, error) {
		return tx.CouponRequest(ctx, mchid, pay.RequestUse, "req-1")
	})
	checkEqual(t, "CouponRequest(USE, req-1) after a clash", first, got)
	want := again(mchid, pay.RequestReturn)
	got = mustRead(t, s, func(tx pay.Tx) (*pay.CouponRequest, error) {
		return tx.CouponRequest(ctx, mchid, pay.RequestReturn, "req-1")
	})
	checkEqual(t, "CouponRequest(RETURN, req-1)", want, got)

	missing := []struct{ mchid, kind, no string }{
		{mchid, pay.RequestUse, "req-9"},
		{"1900000999", pay.RequestUse, "req-1"},
	}
	for _, m := range missing {
		_, err := read(t, s, func(tx pay.Tx) (*pay.CouponRequest, error) { return tx.CouponRequest(ctx, m.mchid, m.kind, m.no) })
		checkErr(t, fmt.Sprintf("CouponRequest(%s, %s, %s)", m.mchid, m.kind, m.no), err, pay.ErrNotFound)
	}
}
