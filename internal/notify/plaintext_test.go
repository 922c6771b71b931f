package notify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"

	"github.com/tuikuan/tuikuan/internal/golden"
	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// successSnapshot is the refund of the example on
// https://pay.weixin.qq.com/doc/v3/merchant/4012082053 (通知报文).
func successSnapshot() *pay.RefundSnapshot {
	return &pay.RefundSnapshot{
		ID: "50200207182018070300011301001", OutRefundNo: "7752501201407033233368018",
		Mchid: "1900000100", TransactionID: "1008450740201411110005820873", OutTradeNo: "20150806125346",
		Status: pay.StatusSuccess, SuccessTime: time.Date(2018, 6, 8, 2, 34, 56, 0, time.UTC),
		UserReceivedAccount: "招商银行信用卡0403", FundsAccount: "AVAILABLE",
		Amount: pay.Amount{Refund: 999, Total: 999, PayerTotal: 999, PayerRefund: 999, SettlementTotal: 999, SettlementRefund: 999, Currency: "CNY"},
	}
}

// paidSnapshot is the order of the example on
// https://pay.weixin.qq.com/doc/v3/merchant/4012791861 (通知报文), paid with a coupon.
func paidSnapshot() *pay.OrderSnapshot {
	return &pay.OrderSnapshot{
		TransactionID: "1217752501201407033233368018", OutTradeNo: "1217752501201407033233368018",
		Appid: "wxd678efh567hg6787", Mchid: "1230000109", TradeType: pay.TradeJSAPI,
		TradeState: pay.TradeSuccess, TradeStateDesc: "支付成功", BankType: "CMC", Attach: "自定义数据",
		SuccessTime: time.Date(2018, 6, 8, 2, 34, 56, 0, time.UTC), PayerOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		Total: 100, PayerTotal: 90, Currency: "CNY",
		Promotions: []pay.Promotion{{PromotionID: "109519", Scope: "GLOBAL", Type: "COUPON", Amount: 10, StockID: "931386"}},
	}
}

// paidPartnerSnapshot is paidSnapshot placed by a partner for its sub-merchant, paid by
// the payer under sub_appid and with no promotion.
func paidPartnerSnapshot() *pay.OrderSnapshot {
	s := paidSnapshot()
	s.Appid, s.SpMchid, s.SubAppid, s.Mchid = "wx8888888888888888", "1230000109", "wxd678efh567hg6999", "1900000109"
	s.PayerOpenid, s.SubOpenid, s.PayerTotal, s.Promotions = "", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", 100, nil
	return s
}

// Ensure the v3 resources render byte for byte as recorded: the refund's for a direct
// merchant and a partner, SUCCESS with its time and CLOSED without, the complaint's, and
// the payment's for a direct merchant and a partner.
func TestPlaintextV3_Golden(t *testing.T) {
	partner := successSnapshot()
	partner.SpMchid, partner.Mchid = "1900000200", "1900000201"
	closed := successSnapshot()
	closed.Status, closed.SuccessTime = pay.StatusClosed, time.Time{}
	tests := []struct {
		name string
		n    *pay.Notification
	}{
		{"v3_refund_direct", &pay.Notification{Refund: successSnapshot()}},
		{"v3_refund_partner", &pay.Notification{Refund: partner}},
		{"v3_refund_closed", &pay.Notification{Refund: closed}},
		{"v3_complaint", &pay.Notification{Complaint: &pay.ComplaintSnapshot{ComplaintID: "200201820200101080076610000", Action: "CREATE_COMPLAINT"}}},
		{"v3_transaction_direct", &pay.Notification{Order: paidSnapshot()}},
		{"v3_transaction_partner", &pay.Notification{Order: paidPartnerSnapshot()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notify.PlaintextV3(tt.n)
			if err != nil {
				t.Fatalf("PlaintextV3: %v", err)
			}
			golden.Check(t, tt.name, append(got, '\n'))
		})
	}
}

type complaintResourceJSON struct {
	ComplaintID string `json:"complaint_id"`
	ActionType  string `json:"action_type"`
}

// checkComplaintResource checks that the resource is a JSON object giving back id and
// action (invalid UTF-8 comes back as U+FFFD, as encoding/json writes it).
func checkComplaintResource(t *testing.T, id, action string) {
	t.Helper()
	got, err := notify.PlaintextV3(&pay.Notification{Complaint: &pay.ComplaintSnapshot{ComplaintID: id, Action: action}})
	if err != nil {
		t.Fatalf("complaint resource (%q, %q): %v", id, action, err)
	}
	var r complaintResourceJSON
	if err := json.Unmarshal(got, &r); err != nil {
		t.Fatalf("complaint resource (%q, %q) = %s, not JSON: %v", id, action, got, err)
	}
	if !utf8.ValidString(id) || !utf8.ValidString(action) {
		return
	}
	if diff := cmp.Diff(complaintResourceJSON{id, action}, r); diff != "" {
		t.Errorf("complaint resource (%q, %q) = %s, mismatch (-want +got):\n%s", id, action, got, diff)
	}
}

func TestComplaintResource(t *testing.T) {
	tests := []struct{ name, id, action string }{
		{"Digits", "200220250601000000000000001", "CREATE_COMPLAINT"},
		{"Quote", `2002"1`, "CONTINUE_COMPLAINT"},
		{"Backslash", `2002\1`, "USER_RESPONSE"},
		{"Delete", "2002\x7f", "CREATE_COMPLAINT"},
		{"Bell", "2002\a", "CREATE_COMPLAINT"},
		{"NUL", "2002\x00", "CREATE_COMPLAINT"},
		{"Chinese", "投诉2002", "CREATE_COMPLAINT"},
		{"LineSeparator", "2002\u2028", "CREATE_COMPLAINT"},
		{"NonBMP", "2002\U0001F600", "CREATE_COMPLAINT"},
		{"InvalidUTF8", "2002\xff", "CREATE_COMPLAINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkComplaintResource(t, tt.id, tt.action) })
	}
}

func FuzzComplaintResource(f *testing.F) {
	f.Add("200220250601000000000000001", "CREATE_COMPLAINT")
	f.Add("2002\x7f", "\a")
	f.Fuzz(checkComplaintResource)
}

// Ensure a notification stored before snapshots, as an upgraded data dir holds it, is
// delivered with the plaintext rendered when it was owed.
func TestDeliverer_Legacy(t *testing.T) {
	var store pay.Store
	f := newFixtureOver(t, func(s pay.Store) pay.Store { store = s; return s })
	refundID := f.owe(t, "") // no URL: owes nothing of its own
	const legacy = `{"mchid":"1900000101","transaction_id":"4200000001","refund_status":"SUCCESS"}`
	now := f.svc.Time.Clock().Now()
	n := &pay.Notification{ID: "legacy-1", RefundID: refundID, Mchid: mchid, EventType: "REFUND.SUCCESS",
		OriginalType: "refund", Legacy: legacy, Status: pay.NotifyPending, NextAttemptAt: now, CreateTime: now, UpdateTime: now}
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	t.Cleanup(srv.Close)
	n.URL = srv.URL
	if err := store.Update(t.Context(), func(tx pay.Tx) error { return tx.InsertNotification(t.Context(), n) }); err != nil {
		t.Fatalf("InsertNotification: %v", err)
	}
	run(t, notify.New(notify.Config{Service: f.svc, Platform: f.platform}))

	var env struct {
		Resource wxcrypto.Resource `json:"resource"`
	}
	if err := json.Unmarshal(<-bodies, &env); err != nil {
		t.Fatalf("envelope: %v", err)
	}
	got, err := wxcrypto.Decrypt(apiv3Key, env.Resource)
	if err != nil || string(got) != legacy {
		t.Errorf("resource = %s, %v; want %s", got, err, legacy)
	}
}

// Ensure a TRANSACTION.SUCCESS resource decodes into wechatpay-go's Transaction of its
// shape with every field it carries known to the SDK, and with what the snapshot says.
func TestPlaintextV3_TransactionDecodesInSDK(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		var got payments.Transaction
		decodeStrict(t, &pay.Notification{Order: paidSnapshot()}, &got)
		if *got.Mchid != "1230000109" || *got.Payer.Openid != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" ||
			*got.Amount.PayerTotal != 90 || len(got.PromotionDetail) != 1 || *got.PromotionDetail[0].MerchantContribute != 10 {
			t.Errorf("payments.Transaction = %+v; want the snapshot's mchid, payer, payer_total and coupon", got)
		}
	})
	t.Run("partner", func(t *testing.T) {
		var got partnerpayments.Transaction
		decodeStrict(t, &pay.Notification{Order: paidPartnerSnapshot()}, &got)
		if *got.SpMchid != "1230000109" || *got.SubMchid != "1900000109" || *got.SubAppid != "wxd678efh567hg6999" ||
			*got.Payer.SubOpenid != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || got.Payer.SpOpenid != nil {
			t.Errorf("partnerpayments.Transaction = %+v; want the snapshot's parties and sub_openid", got)
		}
	})
}

func decodeStrict(t *testing.T, n *pay.Notification, v any) {
	t.Helper()
	b, err := notify.PlaintextV3(n)
	if err != nil {
		t.Fatalf("PlaintextV3: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decode %s into %T: %v", b, v, err)
	}
}
