package pay_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestRefundClone_SharesNothing walks Refund's fields: every slice must be one Clone
// copies (a new reference field fails here until Clone copies it too), and a clone's
// change must not reach the original.
func TestRefundClone_SharesNothing(t *testing.T) {
	copied := map[string]bool{"Amount.From": true, "Promotions": true, "GoodsDetail": true}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := prefix + f.Name
			switch f.Type.Kind() {
			case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
			case reflect.Struct:
				if f.Type != reflect.TypeFor[time.Time]() {
					walk(name+".", f.Type)
				}
			case reflect.Slice:
				if !copied[name] {
					t.Errorf("Refund.%s is a %s that Clone does not copy", name, f.Type)
				}
				elem := f.Type.Elem()
				if elem.Kind() != reflect.Struct {
					t.Errorf("Refund.%s holds %s: check Clone copies it deeply", name, elem)
					continue
				}
				walk(name+"[].", elem)
			default:
				t.Errorf("Refund.%s is a %s: make Clone copy it deeply", name, f.Type)
			}
		}
	}
	walk("", reflect.TypeFor[pay.Refund]())

	r := &pay.Refund{
		ID:          "50300000000001",
		Amount:      pay.Amount{Refund: 1, Total: 2, From: []pay.FundsFrom{{Account: "AVAILABLE", Amount: 1}}},
		Promotions:  []pay.PromotionRefund{{Promotion: pay.Promotion{PromotionID: "p1"}, RefundAmount: 1}},
		GoodsDetail: []pay.GoodsDetail{{MerchantGoodsID: "g1", RefundQuantity: 1}},
	}
	c := r.Clone()
	if !reflect.DeepEqual(c, r) {
		t.Fatalf("Clone = %+v, want %+v", c, r)
	}
	c.Amount.From[0].Amount = 9
	c.Promotions[0].RefundAmount = 9
	c.GoodsDetail[0].RefundQuantity = 9
	if r.Amount.From[0].Amount != 1 || r.Promotions[0].RefundAmount != 1 || r.GoodsDetail[0].RefundQuantity != 1 {
		t.Errorf("a change to the clone reached the original: %+v", r)
	}
	if empty := (&pay.Refund{GoodsDetail: []pay.GoodsDetail{}}).Clone(); empty.GoodsDetail == nil || empty.Promotions != nil {
		t.Errorf("Clone changed nil or empty: GoodsDetail %#v, Promotions %#v", empty.GoodsDetail, empty.Promotions)
	}
}
