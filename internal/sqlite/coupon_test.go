package sqlite_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tuikuan/tuikuan/internal/refund"
)

// TestCoupons round-trips a stock, a coupon and a request number, and checks the keys
// that make sends and request numbers idempotent.
func TestCoupons(t *testing.T) {
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"))
	now := time.UnixMilli(time.Now().UnixMilli())
	st := &refund.Stock{
		ID: "1234567891", Creator: "1900000109", BelongMerchant: "1900000109", OutRequestNo: "S1",
		Name: "满100减10", GoodsName: "全场", Type: refund.StockNormal, CodeMode: refund.CodeModeWechatpay,
		DiscountAmount: 1000, TransactionMinimum: 10000, BeginTime: now, EndTime: now.Add(time.Hour),
		UseMethod: "OFF_LINE", MaxCoupons: 10, MaxCouponsPerUser: 2, Shareable: true,
		Display: map[string]json.RawMessage{"notify_config": json.RawMessage(`{"notify_appid":"wx1"}`)}, CreateTime: now,
	}
	c := &refund.Coupon{
		Code: "C1", StockID: st.ID, Openid: "o1", Appid: "wx1", Sender: st.Creator, State: refund.CouponSended,
		SendRequestNo: "O1", ReceiveTime: now, AvailableStartTime: now, ExpireTime: now.Add(time.Hour),
	}
	err := s.Update(ctx, func(tx refund.Tx) error {
		if err := tx.InsertStock(ctx, st); err != nil {
			return err
		}
		return tx.InsertCoupon(ctx, c)
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	err = s.View(ctx, func(tx refund.Tx) error {
		gotStock, err := tx.StockByRequest(ctx, st.Creator, "S1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(st, gotStock, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
			t.Errorf("StockByRequest mismatch (-want +got):\n%s", diff)
		}
		got, err := tx.CouponBySend(ctx, st.ID, "o1", "O1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(c, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
			t.Errorf("CouponBySend mismatch (-want +got):\n%s", diff)
		}
		list, err := tx.Coupons(ctx, refund.CouponFilter{Openid: "o1", BelongMerchant: st.BelongMerchant})
		if err != nil || len(list) != 1 {
			t.Errorf("Coupons = %d coupons, %v; want 1", len(list), err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}

	dup := *c
	dup.Code = "C2"
	req := &refund.CouponRequest{Mchid: st.Creator, Kind: refund.RequestReturn, RequestNo: "R1", StockID: st.ID, CouponCode: "C1", Time: now}
	err = s.Update(ctx, func(tx refund.Tx) error {
		if err := tx.InsertCoupon(ctx, &dup); !errors.Is(err, refund.ErrDuplicate) {
			t.Errorf("InsertCoupon(same send request) = %v, want ErrDuplicate", err)
		}
		if err := tx.InsertCouponRequest(ctx, req); err != nil {
			return err
		}
		if err := tx.InsertCouponRequest(ctx, req); !errors.Is(err, refund.ErrDuplicate) {
			t.Errorf("InsertCouponRequest twice = %v, want ErrDuplicate", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}
