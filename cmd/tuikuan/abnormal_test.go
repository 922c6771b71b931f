package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// The clear text a test sends encrypted and then looks for where it must never be.
const (
	testAccount = "6222020200112233445"
	testName    = "张小三"
)

// abnormalRefund makes a refund of a fresh order and settles it ABNORMAL.
func (s *testServer) abnormalRefund(t *testing.T, m identity.MerchantCredential, payer string) *refunddomestic.Refund {
	t.Helper()
	o := s.pay(t, map[string]any{"mchid": payer, "total": 500})
	req := refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("A")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(500), Total: core.Int64(500), Currency: core.String("CNY")},
	}
	if m.Kind == "partner" {
		req.SubMchid = core.String(payer)
	}
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "ABNORMAL"}, nil); st != 200 {
		t.Fatalf("settle ABNORMAL: %d", st)
	}
	return r
}

// postAbnormal sends apply-abnormal-refund through wechatpay-go, encrypting with the SDK's
// own OAEP helper, and decodes the refund it answers.
func (s *testServer) postAbnormal(t *testing.T, c *core.Client, refundID string, body map[string]any) (*refunddomestic.Refund, error) {
	t.Helper()
	return postDecode[refunddomestic.Refund](t, c, "/v3/refund/domestic/refunds/"+refundID+"/apply-abnormal-refund", body)
}

// postDecode POSTs body to path through wechatpay-go and decodes a 2xx answer into a T.
func postDecode[T any](t *testing.T, c *core.Client, path string, body map[string]any) (*T, error) {
	t.Helper()
	result, err := c.Post(context.Background(), "https://api.mch.weixin.qq.com"+path, body)
	if err != nil {
		return nil, err
	}
	defer result.Response.Body.Close()
	var r T
	if err := json.NewDecoder(result.Response.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return &r, nil
}

func (s *testServer) encrypt(t *testing.T, plain string) string {
	t.Helper()
	pub, err := utils.LoadPublicKeyWithPath(s.path(s.creds.Platform.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	out, err := utils.EncryptOAEPWithPublicKey(plain, pub)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Ensure an ABNORMAL refund is rescued to the user's bank card: it goes back to
// PROCESSING on OTHER_BANKCARD, names the card by bank and last four digits, settles,
// and the clear-text account and name reach neither the logs nor the database.
func TestAbnormalRefund_UserBankCard(t *testing.T) {
	s := startServer(t, "--log-level", "debug")
	m := s.merchant(t, "direct")
	c := s.wechatpayClient(t, m)
	r := s.abnormalRefund(t, m, m.Mchid)
	got, err := s.postAbnormal(t, c, *r.RefundId, map[string]any{
		"out_refund_no": *r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT",
		"bank_account": s.encrypt(t, testAccount), "real_name": s.encrypt(t, testName),
	})
	if err != nil {
		t.Fatalf("apply-abnormal-refund: %v", err)
	}
	if *got.Status != refunddomestic.STATUS_PROCESSING || *got.Channel != refunddomestic.CHANNEL_OTHER_BANKCARD || *got.UserReceivedAccount != "工商银行借记卡3445" {
		t.Errorf("answer = status %s channel %s account %q, want PROCESSING OTHER_BANKCARD 工商银行借记卡3445", *got.Status, *got.Channel, *got.UserReceivedAccount)
	}
	var settled struct{ Status, UserReceivedAccount string }
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, &settled); st != 200 || settled.Status != "SUCCESS" {
		t.Errorf("settle after rescue = %d %+v", st, settled)
	}
	again, err := s.postAbnormal(t, c, *r.RefundId, map[string]any{
		"out_refund_no": *r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT",
		"bank_account": s.encrypt(t, testAccount), "real_name": s.encrypt(t, testName),
	})
	if err != nil || *again.Status != refunddomestic.STATUS_SUCCESS {
		t.Errorf("repeat of the rescue = %v, %v; want the refund as it now is", again, err)
	}

	s.stop()
	if logs := s.logs.String(); strings.Contains(logs, testAccount) || strings.Contains(logs, testName) || !strings.Contains(logs, "apply-abnormal-refund") {
		t.Errorf("logs hold the clear-text account or name (or no request line at all):\n%s", logs)
	}
	if testDB != "" {
		t.Log("on PostgreSQL (TUIKUAN_TEST_DB): no database file to search for the account")
		return
	}
	files, _ := filepath.Glob(s.path("tuikuan.db*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if bytes.Contains(data, []byte(testAccount)) || bytes.Contains(data, []byte(testName)) {
			t.Errorf("%s holds the clear-text account or name", filepath.Base(f))
		}
	}
}

// Ensure the rescue to the merchant's bank account needs no bank fields.
func TestAbnormalRefund_MerchantBankCard(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	r := s.abnormalRefund(t, m, m.Mchid)
	got, err := s.postAbnormal(t, s.wechatpayClient(t, m), *r.RefundId, map[string]any{"out_refund_no": *r.OutRefundNo, "type": "MERCHANT_BANK_CARD"})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Status != refunddomestic.STATUS_PROCESSING || *got.UserReceivedAccount != "商户结算银行账户" {
		t.Errorf("answer = status %s account %q", *got.Status, *got.UserReceivedAccount)
	}
}

// Ensure every documented failure answers its code, and a refused request changes nothing.
func TestAbnormalRefund_Errors(t *testing.T) {
	s := startServer(t)
	direct, partner, sub := s.merchant(t, "direct"), s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.wechatpayClient(t, direct)
	r := s.abnormalRefund(t, direct, direct.Mchid)
	processing := s.pay(t, map[string]any{"mchid": direct.Mchid, "total": 10})
	svc := refunddomestic.RefundsApiService{Client: c}
	p, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(processing.TransactionID), OutRefundNo: core.String("AP-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(10), Total: core.Int64(10), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	card := func(extra map[string]any) map[string]any {
		b := map[string]any{"out_refund_no": *r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "CMB_DEBIT",
			"bank_account": s.encrypt(t, testAccount), "real_name": s.encrypt(t, testName)}
		for k, v := range extra {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	tests := []struct {
		name     string
		client   *core.Client
		refundID string
		body     map[string]any
		status   int
		code     string
		field    string
	}{
		{"UnknownRefund", c, "50300000000000000000000000000", card(nil), 404, "RESOURCE_NOT_EXISTS", ""},
		{"NotAbnormal", c, *p.RefundId, card(map[string]any{"out_refund_no": "AP-1"}), 400, "INVALID_REQUEST", ""},
		{"OtherRefundNo", c, *r.RefundId, card(map[string]any{"out_refund_no": "AP-1"}), 400, "INVALID_REQUEST", ""},
		{"CreditCard", c, *r.RefundId, card(map[string]any{"bank_type": "CMB_CREDIT"}), 400, "PARAM_ERROR", "bank_type"},
		{"NoBankType", c, *r.RefundId, card(map[string]any{"bank_type": nil}), 400, "PARAM_ERROR", "bank_type"},
		{"NoAccount", c, *r.RefundId, card(map[string]any{"bank_account": nil}), 400, "PARAM_ERROR", "bank_account"},
		{"NoName", c, *r.RefundId, card(map[string]any{"real_name": nil}), 400, "PARAM_ERROR", "real_name"},
		{"Undecryptable", c, *r.RefundId, card(map[string]any{"bank_account": "bm90IGVuY3J5cHRlZA=="}), 400, "PARAM_ERROR", "bank_account"},
		{"NotACardNumber", c, *r.RefundId, card(map[string]any{"bank_account": s.encrypt(t, "12ab")}), 400, "PARAM_ERROR", "bank_account"},
		{"NoType", c, *r.RefundId, card(map[string]any{"type": nil}), 400, "PARAM_ERROR", "type"},
		{"BadType", c, *r.RefundId, card(map[string]any{"type": "CASH"}), 400, "PARAM_ERROR", "type"},
		{"NoOutRefundNo", c, *r.RefundId, card(map[string]any{"out_refund_no": nil}), 400, "PARAM_ERROR", "out_refund_no"},
		{"OtherMerchant", s.wechatpayClient(t, partner), *r.RefundId, card(map[string]any{"sub_mchid": sub.Mchid}), 404, "RESOURCE_NOT_EXISTS", ""},
		{"PartnerWithoutSubMchid", s.wechatpayClient(t, partner), *r.RefundId, card(nil), 400, "PARAM_ERROR", "sub_mchid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.postAbnormal(t, tt.client, tt.refundID, tt.body)
			ae := apiError(t, err)
			if ae.StatusCode != tt.status || ae.Code != tt.code {
				t.Fatalf("apply-abnormal-refund = %d %s %q, want %d %s", ae.StatusCode, ae.Code, ae.Message, tt.status, tt.code)
			}
			if tt.field != "" {
				if d, _ := ae.Detail.(map[string]any); d["field"] != tt.field {
					t.Errorf("detail = %v, want field %s", ae.Detail, tt.field)
				}
			}
			if strings.Contains(ae.Body, testAccount) || strings.Contains(ae.Body, testName) {
				t.Errorf("error body echoes the clear text: %s", ae.Body)
			}
		})
	}
	var order paidOrder
	s.sandbox(t, "GET", "/sandbox/v1/transactions/"+processing.TransactionID, nil, &order)
	if len(order.Refunds) != 1 || order.Refunds[0].Status != "PROCESSING" {
		t.Errorf("refused requests changed the refund: %+v", order.Refunds)
	}
}

// Ensure go-pay v3's V3AbnormalRefund works for a partner acting for its sub-merchant,
// with its own encryption helper and signature verification on.
func TestAbnormalRefund_Gopay(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	r := s.abnormalRefund(t, partner, sub.Mchid)
	client := s.gopayClient(t, partner)
	account, err := client.V3EncryptText(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := client.V3EncryptText(testName)
	bm := make(gopay.BodyMap)
	bm.Set("sub_mchid", sub.Mchid).Set("out_refund_no", *r.OutRefundNo).Set("type", "USER_BANK_CARD").
		Set("bank_type", "PSBC_DEBIT").Set("bank_account", account).Set("real_name", name)
	rsp, err := client.V3AbnormalRefund(context.Background(), *r.RefundId, bm)
	if err != nil || rsp.Code != 0 {
		t.Fatalf("V3AbnormalRefund = %+v, %v", rsp, err)
	}
	if rsp.Response.Status != "PROCESSING" || rsp.Response.Channel != "OTHER_BANKCARD" || rsp.Response.UserReceivedAccount != "邮储银行借记卡3445" {
		t.Errorf("answer = %+v", rsp.Response)
	}
}

// Ensure a merchant's sandbox view of a rescued refund shows the account and name masked.
func TestAbnormalRefund_NoClearTextInSandbox(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	r := s.abnormalRefund(t, m, m.Mchid)
	if _, err := s.postAbnormal(t, s.wechatpayClient(t, m), *r.RefundId, map[string]any{
		"out_refund_no": *r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ABC_DEBIT",
		"bank_account": s.encrypt(t, testAccount), "real_name": s.encrypt(t, testName),
	}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", s.base+"/sandbox/v1/transactions/"+*r.TransactionId, nil)
	req.Header.Set("Authorization", "Bearer "+s.creds.SandboxToken)
	resp, err := (&http.Client{Transport: s.transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(body, []byte(testAccount)) || bytes.Contains(body, []byte(testName)) {
		t.Errorf("sandbox view shows clear text: %s", body)
	}
	var o struct {
		Refunds []struct {
			Abnormal struct {
				Type        string `json:"type"`
				BankAccount string `json:"bank_account"`
				RealName    string `json:"real_name"`
			} `json:"abnormal_refund"`
		}
	}
	json.Unmarshal(body, &o)
	if len(o.Refunds) != 1 || o.Refunds[0].Abnormal.BankAccount != "6222***********3445" || o.Refunds[0].Abnormal.RealName != "张**" {
		t.Errorf("sandbox view of the rescue = %+v, want the account and name masked", o.Refunds)
	}
}

// postEcommerceAbnormal sends the e-commerce apply-abnormal-refund through wechatpay-go
// (go-pay v1.5.115 has no call for this path) and decodes the answer into go-pay's
// e-commerce refund model, the shape a go-pay user reads it with.
func (s *testServer) postEcommerceAbnormal(t *testing.T, c *core.Client, refundID string, body map[string]any) (*wechat.EcommerceRefundQuery, error) {
	t.Helper()
	return postDecode[wechat.EcommerceRefundQuery](t, c, "/v3/ecommerce/refunds/"+refundID+"/apply-abnormal-refund", body)
}

// ecommerceAbnormalRefund makes an e-commerce refund of a fresh order of sub through
// go-pay, as partner, and settles it ABNORMAL.
func (s *testServer) ecommerceAbnormalRefund(t *testing.T, partner, sub identity.MerchantCredential) *wechat.EcommerceRefund {
	t.Helper()
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 500})
	rsp, err := s.gopayClient(t, partner).V3EcommerceRefund(context.Background(), ecommerceBody(partner, sub, o, uniq("EA"), 500, 500))
	if err != nil || rsp.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefund = %+v, %v", rsp, err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+rsp.Response.RefundId+"/settle", map[string]string{"status": "ABNORMAL"}, nil); st != 200 {
		t.Fatalf("settle ABNORMAL: %d", st)
	}
	return rsp.Response
}

// Ensure an e-commerce platform rescues its sub-merchant's ABNORMAL refund on the
// e-commerce path: the answer is the e-commerce refund, back to PROCESSING on
// OTHER_BANKCARD, and go-pay's e-commerce query then sees the same.
func TestAbnormalRefund_Ecommerce(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	r := s.ecommerceAbnormalRefund(t, partner, sub)
	got, err := s.postEcommerceAbnormal(t, s.wechatpayClient(t, partner), r.RefundId, map[string]any{
		"sub_mchid": sub.Mchid, "out_refund_no": r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT",
		"bank_account": s.encrypt(t, testAccount), "real_name": s.encrypt(t, testName),
	})
	if err != nil {
		t.Fatalf("e-commerce apply-abnormal-refund: %v", err)
	}
	if got.RefundId != r.RefundId || got.Status != "PROCESSING" || got.Channel != "OTHER_BANKCARD" ||
		got.UserReceivedAccount != "工商银行借记卡3445" || got.RefundAccount != "REFUND_SOURCE_SUB_MERCHANT" ||
		got.TransactionId == "" || got.Amount == nil || got.Amount.Refund != 500 {
		t.Errorf("answer = %+v, want the e-commerce refund, PROCESSING on OTHER_BANKCARD to 工商银行借记卡3445", got)
	}
	q, err := s.gopayClient(t, partner).V3EcommerceRefundQueryById(context.Background(), r.RefundId, subMchid(sub))
	if err != nil || q.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefundQueryById = %+v, %v", q, err)
	}
	if q.Response.Status != "PROCESSING" || q.Response.Channel != "OTHER_BANKCARD" {
		t.Errorf("query after the rescue = status %s channel %s", q.Response.Status, q.Response.Channel)
	}

	// Another merchant's ABNORMAL refund, and callers the e-commerce path is not for.
	direct := s.merchant(t, "direct")
	other := s.abnormalRefund(t, direct, direct.Mchid)
	tests := []struct {
		name     string
		client   *core.Client
		refundID string
		body     map[string]any
		status   int
		code     string
	}{
		{"DirectMerchant", s.wechatpayClient(t, direct), *other.RefundId, map[string]any{"out_refund_no": *other.OutRefundNo, "type": "MERCHANT_BANK_CARD"}, 403, "NO_AUTH"},
		{"SubMerchantItself", s.wechatpayClient(t, sub), r.RefundId, map[string]any{"out_refund_no": r.OutRefundNo, "type": "MERCHANT_BANK_CARD"}, 403, "NO_AUTH"},
		{"NoSubMchid", s.wechatpayClient(t, partner), r.RefundId, map[string]any{"out_refund_no": r.OutRefundNo, "type": "MERCHANT_BANK_CARD"}, 400, "PARAM_ERROR"},
		{"NotItsSubMchid", s.wechatpayClient(t, partner), *other.RefundId, map[string]any{"sub_mchid": direct.Mchid, "out_refund_no": *other.OutRefundNo, "type": "MERCHANT_BANK_CARD"}, 403, "NO_AUTH"},
		{"OtherMerchantsRefund", s.wechatpayClient(t, partner), *other.RefundId, map[string]any{"sub_mchid": sub.Mchid, "out_refund_no": *other.OutRefundNo, "type": "MERCHANT_BANK_CARD"}, 404, "RESOURCE_NOT_EXISTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.postEcommerceAbnormal(t, tt.client, tt.refundID, tt.body)
			if ae := apiError(t, err); ae.StatusCode != tt.status || ae.Code != tt.code {
				t.Errorf("e-commerce apply-abnormal-refund = %d %s %q, want %d %s", ae.StatusCode, ae.Code, ae.Message, tt.status, tt.code)
			}
		})
	}
}
