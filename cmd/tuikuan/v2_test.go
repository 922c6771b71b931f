package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/wechat"
	"github.com/google/go-cmp/cmp"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// v2Client is go-pay's v2 client for m, pointed at the test server's one port with
// BaseURL (docs/wire.md#hosts) over scheme; gopay does not check the server certificate.
// With cert it presents m's CA-issued client certificate, as /secapi/ needs.
func (s *testServer) v2Client(t testing.TB, m identity.MerchantCredential, scheme string, cert bool) *wechat.Client {
	t.Helper()
	c := wechat.NewClient(m.Appid, m.Mchid, m.APIv2Key, true)
	u, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = scheme + "://" + u.Host
	if cert {
		if err := c.AddCertPemFilePath(s.path(m.ClientCertFile), s.path(m.PrivateKeyFile)); err != nil {
			t.Fatalf("AddCertPemFilePath: %v", err)
		}
	}
	return c
}

var v2SignTypes = []string{wechat.SignType_MD5, wechat.SignType_HMAC_SHA256}

// v2Verify checks an answer's sign the way gopay's users do, over the parsed BodyMap.
func v2Verify(t testing.TB, m identity.MerchantCredential, signType string, bm gopay.BodyMap) {
	t.Helper()
	c := make(gopay.BodyMap, len(bm))
	for k, v := range bm {
		c[k] = v
	}
	if ok, err := wechat.VerifySign(m.APIv2Key, signType, c); !ok || err != nil {
		t.Errorf("wechat.VerifySign(%s) = %t, %v over %v", signType, ok, err, bm)
	}
}

// v2Fail checks a protocol failure: return_code FAIL and its message, nothing else.
func v2Fail(t testing.TB, bm gopay.BodyMap, msg string) {
	t.Helper()
	if bm.GetString("return_code") != "FAIL" || bm.GetString("return_msg") != msg || bm.GetString("sign") != "" {
		t.Errorf("answer = %v, want unsigned return_code FAIL, return_msg %q", bm, msg)
	}
}

// v2ErrCode checks a business failure, signed with signType.
func v2ErrCode(t testing.TB, m identity.MerchantCredential, signType string, bm gopay.BodyMap, code string) {
	t.Helper()
	if bm.GetString("return_code") != "SUCCESS" || bm.GetString("result_code") != "FAIL" || bm.GetString("err_code") != code || bm.GetString("err_code_des") == "" {
		t.Errorf("answer = %v, want result_code FAIL, err_code %s with err_code_des", bm, code)
	}
	v2Verify(t, m, signType, bm)
}

func v2RefundBody(o paidOrder, no string, amount int64, signType string) gopay.BodyMap {
	bm := make(gopay.BodyMap)
	bm.Set("nonce_str", uniq("n")).
		Set("sign_type", signType).
		Set("transaction_id", o.TransactionID).
		Set("out_refund_no", no).
		Set("total_fee", o.Total).
		Set("refund_fee", amount).
		Set("refund_desc", "商品已售完")
	return bm
}

func v2QueryBody(signType string, kv ...string) gopay.BodyMap {
	bm := make(gopay.BodyMap)
	bm.Set("nonce_str", uniq("n")).Set("sign_type", signType)
	for i := 0; i < len(kv); i += 2 {
		bm.Set(kv[i], kv[i+1])
	}
	return bm
}

// Ensure gopay's v2 Refund, with the merchant's client certificate, refunds in both sign
// types, and that the refund is the one the v3 API sees: one domain, two encodings.
func TestV2_Refund(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	ctx := context.Background()
	v3 := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})

	for i, st := range v2SignTypes {
		no := uniq("V2R")
		rsp, bm, err := c.Refund(ctx, v2RefundBody(o, no, 300, st))
		if err != nil {
			t.Fatalf("Refund(%s): %v", st, err)
		}
		v2Verify(t, m, st, bm)
		if rsp.ReturnCode != "SUCCESS" || rsp.ResultCode != "SUCCESS" || rsp.RefundId == "" || rsp.OutRefundNo != no ||
			rsp.TransactionId != o.TransactionID || rsp.OutTradeNo != o.OutTradeNo || rsp.RefundFee != "300" ||
			rsp.TotalFee != "1000" || rsp.CashRefundFee != "300" || rsp.Appid != m.Appid || rsp.MchId != m.Mchid {
			t.Errorf("Refund(%s) = %+v", st, rsp)
		}

		// The same out_refund_no again is the same refund.
		again, _, err := c.Refund(ctx, v2RefundBody(o, no, 300, st))
		if err != nil || again.RefundId != rsp.RefundId {
			t.Errorf("replay = %+v, %v; want refund_id %s", again, err, rsp.RefundId)
		}

		q, _, err := v3.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(no)})
		if err != nil {
			t.Fatalf("v3 QueryByOutRefundNo(%s): %v", no, err)
		}
		if *q.RefundId != rsp.RefundId || *q.Amount.Refund != 300 || *q.Status != refunddomestic.STATUS_PROCESSING {
			t.Errorf("v3 query = id %s refund %d status %s; want %s 300 PROCESSING", *q.RefundId, *q.Amount.Refund, *q.Status, rsp.RefundId)
		}
		if got := s.order(t, o.TransactionID).Refunded; got != int64(300*(i+1)) {
			t.Errorf("order refunded = %d, want %d", got, 300*(i+1))
		}
	}

	// A v3 refund is visible through v2, settled or not.
	no := uniq("V3R")
	r, _, err := v3.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(no),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(100), Total: core.Int64(1000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("v3 Create: %v", err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, nil); st != http.StatusOK {
		t.Fatalf("settle: %d", st)
	}
	q, bm, err := c.QueryRefund(ctx, v2QueryBody(wechat.SignType_HMAC_SHA256, "out_refund_no", no))
	if err != nil {
		t.Fatalf("QueryRefund: %v", err)
	}
	v2Verify(t, m, wechat.SignType_HMAC_SHA256, bm)
	if q.RefundId0 != *r.RefundId || q.RefundStatus0 != "SUCCESS" || q.RefundFee0 != "100" || len(q.RefundSuccessTime0) != len("2016-07-25 15:26:26") {
		t.Errorf("v2 query of a v3 refund = %+v", q)
	}

	// Over-refunding is refused by the same rule of money as v3's.
	rsp, bm, err := c.Refund(ctx, v2RefundBody(o, uniq("V2X"), 301, wechat.SignType_MD5))
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	v2ErrCode(t, m, wechat.SignType_MD5, bm, "INVALID_REQUEST")
	if rsp.ErrCodeDes != "申请退款金额超过订单可退金额" {
		t.Errorf("err_code_des = %q", rsp.ErrCodeDes)
	}
}

// Ensure /secapi/pay/refund insists on the caller's own client certificate, and that a
// refused request refunds nothing.
func TestV2_RefundCertificate(t *testing.T) {
	s := startServer(t)
	m, partner := s.merchant(t, "direct"), s.merchant(t, "partner")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	ctx := context.Background()
	refundWith := func(c *wechat.Client) (gopay.BodyMap, error) {
		_, bm, err := c.Refund(ctx, v2RefundBody(o, uniq("C"), 100, wechat.SignType_MD5))
		return bm, err
	}

	t.Run("PlainHTTP", func(t *testing.T) {
		bm, err := refundWith(s.v2Client(t, m, "http", true))
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		v2Fail(t, bm, "No required SSL certificate was sent")
	})
	t.Run("NoCertificate", func(t *testing.T) {
		bm, err := refundWith(s.v2Client(t, m, "https", false))
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		v2Fail(t, bm, "No required SSL certificate was sent")
	})
	t.Run("OtherMerchantsCertificate", func(t *testing.T) {
		c := s.v2Client(t, m, "https", false)
		if err := c.AddCertPemFilePath(s.path(partner.ClientCertFile), s.path(partner.PrivateKeyFile)); err != nil {
			t.Fatal(err)
		}
		bm, err := refundWith(c)
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		v2Fail(t, bm, "certificate not match")
	})
	t.Run("APICertificate", func(t *testing.T) {
		// apiclient_cert.pem is self-signed, not issued by the data dir's CA, which the
		// server names as the one it accepts: Go's TLS client then sends no certificate
		// at all. (A client that sends it anyway fails the handshake.)
		c := s.v2Client(t, m, "https", false)
		if err := c.AddCertPemFilePath(s.path(m.CertFile), s.path(m.PrivateKeyFile)); err != nil {
			t.Fatal(err)
		}
		bm, err := refundWith(c)
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		v2Fail(t, bm, "No required SSL certificate was sent")
	})
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("order refunded = %d after refused requests, want 0", got)
	}
	// /pay/refundquery needs no certificate, over either scheme.
	for _, scheme := range []string{"http", "https"} {
		_, bm, err := s.v2Client(t, m, scheme, false).QueryRefund(ctx, v2QueryBody(wechat.SignType_MD5, "out_trade_no", o.OutTradeNo))
		if err != nil {
			t.Fatalf("QueryRefund over %s: %v", scheme, err)
		}
		v2ErrCode(t, m, wechat.SignType_MD5, bm, "REFUNDNOTEXIST")
	}
}

// Ensure gopay's QueryRefund finds a refund by each of the four ids, in both sign types.
func TestV2_QueryRefund(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000, "promotions": []map[string]any{
		{"promotion_id": "109519", "scope": "SINGLE", "type": "DISCOUNT", "amount": 60},
		{"promotion_id": "109520", "scope": "GLOBAL", "type": "COUPON", "amount": 40},
	}})
	no := uniq("Q")
	bm := v2RefundBody(o, no, 500, wechat.SignType_MD5)
	bm.Set("refund_account", "REFUND_SOURCE_RECHARGE_FUNDS")
	r, _, err := c.Refund(ctx, bm)
	if err != nil || r.ResultCode != "SUCCESS" {
		t.Fatalf("Refund = %+v, %v", r, err)
	}
	if r.CouponRefundCount == "" || r.CouponRefundFee == "" || r.CouponType0 == "" || r.SettlementTotalFee != "940" {
		t.Errorf("Refund of a discounted order = %+v; want coupon fields and settlement_total_fee 940", r)
	}
	ids := [][2]string{
		{"refund_id", r.RefundId}, {"out_refund_no", no},
		{"transaction_id", o.TransactionID}, {"out_trade_no", o.OutTradeNo},
	}
	for _, id := range ids {
		for _, st := range v2SignTypes {
			t.Run(id[0]+"/"+st, func(t *testing.T) {
				q, bm, err := c.QueryRefund(ctx, v2QueryBody(st, id[0], id[1]))
				if err != nil {
					t.Fatalf("QueryRefund: %v", err)
				}
				v2Verify(t, m, st, bm)
				if q.ResultCode != "SUCCESS" || q.RefundCount != "1" || q.RefundId0 != r.RefundId || q.OutRefundNo0 != no ||
					q.TransactionId != o.TransactionID || q.OutTradeNo != o.OutTradeNo || q.TotalFee != "1000" ||
					q.RefundFee0 != "500" || q.RefundStatus0 != "PROCESSING" || q.RefundChannel0 != "ORIGINAL" ||
					q.RefundAccount0 != "REFUND_SOURCE_RECHARGE_FUNDS" || q.RefundRecvAccout0 == "" || q.RefundSuccessTime0 != "" {
					t.Errorf("QueryRefund(%s) = %+v", id[0], q)
				}
				if q.CouponType00 == "" || q.CouponRefundId00 == "" || q.CouponRefundFee00 == "" || q.CouponRefundCount0 == "" {
					t.Errorf("QueryRefund(%s) coupon fields = %q %q %q %q", id[0], q.CouponType00, q.CouponRefundId00, q.CouponRefundFee00, q.CouponRefundCount0)
				}
			})
		}
	}
}

// Ensure the refund query's paging (分页查询, https://pay.weixin.qq.com/doc/v2/merchant/4011939577) over an order with 36
// partial refunds.
func TestV2_QueryRefundPaging(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 3600})
	prefix := uniq("P")
	for i := range 36 {
		r, _, err := c.Refund(ctx, v2RefundBody(o, fmt.Sprintf("%s_%02d", prefix, i), 10, wechat.SignType_MD5))
		if err != nil || r.ResultCode != "SUCCESS" {
			t.Fatalf("Refund %d = %+v, %v", i, r, err)
		}
	}
	for _, tt := range []struct{ offset, first, count int }{
		{0, 0, 10}, {10, 10, 10},
		{24, 24, 10}, // the seed's offset=24: the 25th to the 34th
		{30, 30, 6},
	} {
		for _, st := range v2SignTypes {
			_, bm, err := c.QueryRefund(ctx, v2QueryBody(st, "out_trade_no", o.OutTradeNo, "offset", strconv.Itoa(tt.offset)))
			if err != nil {
				t.Fatalf("QueryRefund(offset %d): %v", tt.offset, err)
			}
			v2Verify(t, m, st, bm)
			if bm.GetString("total_refund_count") != "36" || bm.GetString("refund_count") != strconv.Itoa(tt.count) {
				t.Errorf("offset %d: total_refund_count %s refund_count %s, want 36 and %d", tt.offset, bm.GetString("total_refund_count"), bm.GetString("refund_count"), tt.count)
			}
			for n := range tt.count {
				if got, want := bm.GetString(fmt.Sprintf("out_refund_no_%d", n)), fmt.Sprintf("%s_%02d", prefix, tt.first+n); got != want {
					t.Errorf("offset %d: out_refund_no_%d = %s, want %s", tt.offset, n, got, want)
				}
			}
			if extra := bm.GetString(fmt.Sprintf("out_refund_no_%d", tt.count)); extra != "" {
				t.Errorf("offset %d: out_refund_no_%d = %s, want none", tt.offset, tt.count, extra)
			}
		}
	}
	_, bm, err := c.QueryRefund(ctx, v2QueryBody(wechat.SignType_HMAC_SHA256, "transaction_id", o.TransactionID, "offset", "36"))
	if err != nil {
		t.Fatalf("QueryRefund(offset 36): %v", err)
	}
	v2ErrCode(t, m, wechat.SignType_HMAC_SHA256, bm, "PARAM_ERROR")
}

// Ensure a partner refunds and queries for its sub-merchant with sub_mch_id, with its own
// key and its own client certificate.
func TestV2_Partner(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.v2Client(t, partner, "https", true)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000})
	for _, st := range v2SignTypes {
		no := uniq("SP")
		bm := v2RefundBody(o, no, 100, st)
		bm.Set("sub_mch_id", sub.Mchid).Set("sub_appid", sub.Appid)
		r, rbm, err := c.Refund(ctx, bm)
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		v2Verify(t, partner, st, rbm)
		if r.ResultCode != "SUCCESS" || r.MchId != partner.Mchid || r.SubMchId != sub.Mchid || r.SubAppid != sub.Appid || r.Appid != partner.Appid {
			t.Errorf("partner Refund(%s) = %+v", st, r)
		}
		q, qbm, err := c.QueryRefund(ctx, v2QueryBody(st, "sub_mch_id", sub.Mchid, "refund_id", r.RefundId))
		if err != nil {
			t.Fatalf("QueryRefund: %v", err)
		}
		v2Verify(t, partner, st, qbm)
		if q.ResultCode != "SUCCESS" || q.OutRefundNo0 != no || q.SubMchId != sub.Mchid {
			t.Errorf("partner QueryRefund(%s) = %+v", st, q)
		}
	}
	// Without sub_mch_id a partner has no orders to refund.
	_, bm, err := c.Refund(ctx, v2RefundBody(o, uniq("SP"), 100, wechat.SignType_MD5))
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	v2ErrCode(t, partner, wechat.SignType_MD5, bm, "PARAM_ERROR")
	// An unknown sub_mch_id, named by the signed caller, is a business MCHID_NOT_EXIST.
	_, bm, err = c.QueryRefund(ctx, v2QueryBody(wechat.SignType_MD5, "sub_mch_id", "1999999999", "out_trade_no", o.OutTradeNo))
	if err != nil {
		t.Fatalf("QueryRefund: %v", err)
	}
	v2ErrCode(t, partner, wechat.SignType_MD5, bm, "MCHID_NOT_EXIST")
}

// Ensure each documented error of the refund query (https://pay.weixin.qq.com/doc/v2/merchant/4011939577) and the refund apply
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4), at the level tuikuan answers it.
func TestV2_Errors(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})

	query := func(t *testing.T, c *wechat.Client, bm gopay.BodyMap) gopay.BodyMap {
		t.Helper()
		_, res, err := c.QueryRefund(ctx, bm)
		if err != nil {
			t.Fatalf("QueryRefund: %v", err)
		}
		return res
	}
	refund := func(t *testing.T, bm gopay.BodyMap) gopay.BodyMap {
		t.Helper()
		_, res, err := c.Refund(ctx, bm)
		if err != nil {
			t.Fatalf("Refund: %v", err)
		}
		return res
	}

	// Protocol level: return_code=FAIL, unsigned.
	t.Run("SIGNERROR", func(t *testing.T) {
		wrong := m
		wrong.APIv2Key = strings.Repeat("0", 32)
		v2Fail(t, query(t, s.v2Client(t, wrong, "http", false), v2QueryBody(wechat.SignType_MD5, "out_trade_no", o.OutTradeNo)), "签名错误")
	})
	t.Run("APPID_NOT_EXIST", func(t *testing.T) {
		v2Fail(t, query(t, c, v2QueryBody(wechat.SignType_MD5, "appid", "wx0000000000000000", "out_trade_no", o.OutTradeNo)), "APPID不存在")
	})
	t.Run("MCHID_NOT_EXIST", func(t *testing.T) {
		unknown := m
		unknown.Mchid = "1999999999"
		v2Fail(t, query(t, s.v2Client(t, unknown, "http", false), v2QueryBody(wechat.SignType_MD5, "out_trade_no", o.OutTradeNo)), "MCHID不存在")
	})
	raw := func(t *testing.T, method, ct, body string) gopay.BodyMap {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+"/pay/refundquery", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := (&http.Client{Transport: s.transport}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, want 200; %s", method, resp.StatusCode, data)
		}
		bm, err := wechatBodyMap(data)
		if err != nil {
			t.Fatalf("parse %s: %v", data, err)
		}
		return bm
	}
	t.Run("REQUIRE_POST_METHOD", func(t *testing.T) {
		v2Fail(t, raw(t, "GET", "", ""), "请使用post方法")
	})
	t.Run("XML_FORMAT_ERROR", func(t *testing.T) {
		for _, body := range []string{
			`<xml><appid>wx</appid>`,
			`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><mch_id>&x;</mch_id></xml>`,
			`<xml><mch_id>1</mch_id><mch_id>2</mch_id></xml>`,
			"<xml><mch_id>\xff</mch_id></xml>",
			"<xml><a>" + strings.Repeat("x", 70<<10) + "</a></xml>",
		} {
			v2Fail(t, raw(t, "POST", "text/xml; charset=utf-8", body), "XML格式错误")
		}
	})

	// Business level: result_code=FAIL with err_code, signed with the request's sign type.
	for _, st := range v2SignTypes {
		t.Run("REFUNDNOTEXIST/"+st, func(t *testing.T) {
			v2ErrCode(t, m, st, query(t, c, v2QueryBody(st, "out_refund_no", "NOSUCHREFUND")), "REFUNDNOTEXIST")
			v2ErrCode(t, m, st, query(t, c, v2QueryBody(st, "out_trade_no", o.OutTradeNo)), "REFUNDNOTEXIST") // paid, never refunded
		})
		t.Run("INVALID_TRANSACTIONID/"+st, func(t *testing.T) {
			v2ErrCode(t, m, st, query(t, c, v2QueryBody(st, "transaction_id", "123")), "INVALID_TRANSACTIONID")
			bm := v2RefundBody(o, uniq("E"), 100, st)
			bm.Set("transaction_id", "4200000000000000000000000001") // well formed, no such order
			v2ErrCode(t, m, st, refund(t, bm), "INVALID_TRANSACTIONID")
		})
		t.Run("PARAM_ERROR/"+st, func(t *testing.T) {
			bm := v2RefundBody(o, uniq("E"), 100, st)
			bm.Set("refund_fee", "1.5")
			v2ErrCode(t, m, st, refund(t, bm), "PARAM_ERROR")
		})
		t.Run("INVALID_REQUEST/"+st, func(t *testing.T) {
			bm := v2RefundBody(o, uniq("E"), 100, st)
			bm.Set("total_fee", 999)
			v2ErrCode(t, m, st, refund(t, bm), "INVALID_REQUEST")
		})
		for magic, code := range map[string]string{
			"SANDBOX_SYSTEM_ERROR_":      "SYSTEMERROR",
			"SANDBOX_NOT_ENOUGH_":        "NOTENOUGH",
			"SANDBOX_FREQUENCY_LIMITED_": "FREQUENCY_LIMITED",
			"SANDBOX_ACCOUNT_ABNORMAL_":  "USER_ACCOUNT_ABNORMAL",
		} {
			t.Run(code+"/"+st, func(t *testing.T) {
				v2ErrCode(t, m, st, refund(t, v2RefundBody(o, uniq(magic), 100, st)), code)
			})
		}
	}
	t.Run("SYSTEMERROR/FaultRule", func(t *testing.T) {
		if st := s.sandbox(t, "POST", "/sandbox/v1/faults", map[string]any{"api": "v2.refundquery", "error": "SYSTEM_ERROR"}, nil); st != http.StatusOK {
			t.Fatalf("add fault rule: status %d", st)
		}
		v2ErrCode(t, m, wechat.SignType_MD5, query(t, c, v2QueryBody(wechat.SignType_MD5, "out_trade_no", o.OutTradeNo)), "SYSTEMERROR")
	})
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("order refunded = %d after failed applies, want 0", got)
	}
}

// wechatBodyMap parses an answer the way gopay does.
func wechatBodyMap(data []byte) (gopay.BodyMap, error) {
	bm := make(gopay.BodyMap)
	return bm, xml.Unmarshal(data, &bm)
}

// Ensure a refund made over v2 is notified the v2 way, end to end: the merchant's
// endpoint parses the envelope and decrypts req_info with go-pay, and its documented
// success reply stops the retries.
func TestV2_Notification(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	got := make(chan gopay.BodyMap, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env, err := wechat.ParseNotifyToBodyMap(r)
		if err != nil {
			t.Errorf("ParseNotifyToBodyMap: %v", err)
		}
		info, err := wechat.DecryptRefundNotifyReqInfo(env.GetString("req_info"), m.APIv2Key)
		if err != nil {
			t.Errorf("DecryptRefundNotifyReqInfo: %v", err)
		} else {
			bm := gopay.BodyMap{"return_code": env.GetString("return_code"), "mch_id": env.GetString("mch_id"),
				"refund_status": info.RefundStatus, "out_refund_no": info.OutRefundNo, "refund_fee": info.RefundFee,
				"success_time": info.SuccessTime, "refund_recv_accout": info.RefundRecvAccout}
			got <- bm
		}
		w.Write([]byte(`<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`))
	}))
	defer hook.Close()

	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 300})
	bm := v2RefundBody(o, "V2N-1", 300, wechat.SignType_MD5)
	bm.Set("notify_url", hook.URL+"/v2/refund")
	rsp, _, err := s.v2Client(t, m, "https", true).Refund(context.Background(), bm)
	if err != nil || rsp.ResultCode != "SUCCESS" {
		t.Fatalf("Refund = %+v, %v", rsp, err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+rsp.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, nil); st != 200 {
		t.Fatalf("settle: %d", st)
	}
	select {
	case n := <-got:
		want := gopay.BodyMap{"return_code": "SUCCESS", "mch_id": m.Mchid, "refund_status": "SUCCESS", "out_refund_no": "V2N-1",
			"refund_fee": "300", "success_time": n.GetString("success_time"), "refund_recv_accout": "支付用户零钱"}
		if diff := cmp.Diff(want, n); diff != "" || len(n.GetString("success_time")) != len("2006-01-02 15:04:05") {
			t.Errorf("v2 notification (-want +got):\n%s", diff)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no v2 notification within 5 s")
	}
	var list struct {
		Data []struct{ Status string } `json:"data"`
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s.sandbox(t, "GET", "/sandbox/v1/refunds/"+rsp.RefundId+"/notifications", nil, &list)
		if len(list.Data) == 1 && list.Data[0].Status == "DELIVERED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications = %+v, want one DELIVERED", list.Data)
		}
	}
}

// Ensure a v2 request whose root is <request>, as some Go v2 clients write it, is read
// like one rooted at <xml>, and answered at <xml>.
func TestV2_RequestRoot(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	no := uniq("R")
	if r, _, err := c.Refund(context.Background(), v2RefundBody(o, no, 300, wechat.SignType_MD5)); err != nil || r.ResultCode != "SUCCESS" {
		t.Fatalf("Refund = %+v, %v", r, err)
	}

	for _, st := range v2SignTypes {
		t.Run(st, func(t *testing.T) {
			bm := v2QueryBody(st, "appid", m.Appid, "mch_id", m.Mchid, "out_refund_no", no)
			bm.Set("sign", wechat.GetReleaseSign(m.APIv2Key, st, bm))
			var body strings.Builder
			body.WriteString("<request>")
			for k, v := range bm {
				fmt.Fprintf(&body, "<%s><![CDATA[%v]]></%s>", k, v, k)
			}
			body.WriteString("</request>")
			resp, err := (&http.Client{Transport: s.transport}).Post(s.base+"/pay/refundquery", "text/xml; charset=utf-8", strings.NewReader(body.String()))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if !strings.HasPrefix(string(data), "<xml>") {
				t.Errorf("answer root: %s, want <xml>", data)
			}
			res, err := wechatBodyMap(data)
			if err != nil {
				t.Fatalf("parse %s: %v", data, err)
			}
			if res.GetString("return_code") != "SUCCESS" || res.GetString("result_code") != "SUCCESS" ||
				res.GetString("out_refund_no_0") != no || res.GetString("refund_fee_0") != "300" {
				t.Errorf("refundquery with a <request> root = %v", res)
			}
			v2Verify(t, m, st, res)
		})
	}
}
