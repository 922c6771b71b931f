package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments"
	pjsapi "github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments/jsapi"
)

const spOpenid = "oUpF8uN95-Ptaags6E_roPHg7AG0" // an openid of the partner's appid

// Ensure a partner's JSAPI order for its sub-merchant, placed with the official SDK, is paid
// by the payer naming it by the sub-merchant's mchid and out_trade_no; that the partner gets
// the partner-shape TRANSACTION.SUCCESS under its own APIv3 key; and that go-pay's partner
// query sees it paid.
func TestPay_Partner(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, partner))
	svc := &pjsapi.JsapiApiService{Client: s.wechatpayClient(t, partner)}
	ctx := context.Background()
	no := uniq("SP")
	if _, _, err := svc.Prepay(ctx, pjsapi.PrepayRequest{
		SpAppid: core.String(partner.Appid), SpMchid: core.String(partner.Mchid), SubMchid: core.String(sub.Mchid),
		Description: core.String("推宽-服务商"), OutTradeNo: core.String(no), NotifyUrl: core.String(ep.URL),
		Amount: &pjsapi.Amount{Total: core.Int64(500)}, Payer: &pjsapi.Payer{SpOpenid: core.String(spOpenid)},
	}); err != nil {
		t.Fatalf("partner jsapi prepay: %v", err)
	}
	q, _, err := svc.QueryOrderByOutTradeNo(ctx, pjsapi.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(no), SpMchid: core.String(partner.Mchid), SubMchid: core.String(sub.Mchid)})
	if err != nil || *q.TradeState != "NOTPAY" {
		t.Fatalf("query the placed order = %v, %v; want NOTPAY", q, err)
	}

	if st, _, e := s.payAs(t, map[string]any{"mchid": sub.Mchid, "out_trade_no": no}); st != http.StatusOK {
		t.Fatalf("pay: %d %+v", st, e)
	}
	var tx partnerpayments.Transaction
	paidTransaction(t, ep.next(t, 3*time.Second), &tx)
	if *tx.SpMchid != partner.Mchid || *tx.SubMchid != sub.Mchid || *tx.SpAppid != partner.Appid || *tx.OutTradeNo != no ||
		*tx.TradeType != "JSAPI" || *tx.TradeState != "SUCCESS" || *tx.Payer.SpOpenid != spOpenid || *tx.Amount.Total != 500 {
		t.Errorf("notified transaction = %s", tx)
	}

	gp := s.gopayClient(t, partner)
	got, err := gp.V3PartnerQueryOrder(ctx, wechat.OutTradeNo, no, subMchid(sub))
	if err != nil || got.Code != wechat.Success {
		t.Fatalf("gopay V3PartnerQueryOrder = %+v, %v", got, err)
	}
	if r := got.Response; r.TradeState != "SUCCESS" || r.TransactionId != *tx.TransactionId || r.SubMchid != sub.Mchid || r.Payer.SpOpenid != spOpenid {
		t.Errorf("gopay query = %+v", r)
	}
}

// Ensure an order placed with go-pay's V3PartnerTransactionJsapi is paid with the paySign
// go-pay's PaySignOfJSAPI makes for the front end.
func TestPay_GopayPartner(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	gp := s.gopayClient(t, partner)
	ctx := context.Background()
	no := uniq("GP")
	bm := make(gopay.BodyMap)
	bm.Set("sp_appid", partner.Appid).Set("sub_mchid", sub.Mchid).Set("description", "推宽-gopay").
		Set("out_trade_no", no).Set("notify_url", "http://127.0.0.1:1/notify").
		SetBodyMap("amount", func(b gopay.BodyMap) { b.Set("total", 300).Set("currency", "CNY") }).
		SetBodyMap("payer", func(b gopay.BodyMap) { b.Set("sp_openid", spOpenid) })
	placed, err := gp.V3PartnerTransactionJsapi(ctx, bm)
	if err != nil || placed.Code != wechat.Success || placed.Response.PrepayId == "" {
		t.Fatalf("gopay V3PartnerTransactionJsapi = %+v, %v", placed, err)
	}
	params, err := gp.PaySignOfJSAPI(partner.Appid, placed.Response.PrepayId)
	if err != nil {
		t.Fatal(err)
	}
	var sign map[string]any
	data, _ := json.Marshal(params)
	json.Unmarshal(data, &sign)
	st, paid, e := s.payAs(t, map[string]any{"pay_sign": sign})
	if st != http.StatusOK || *paid.TradeState != "SUCCESS" || *paid.OutTradeNo != no {
		t.Fatalf("pay with go-pay's paySign = %d %+v %s", st, e, paid)
	}
	got, err := gp.V3PartnerQueryOrder(ctx, wechat.OutTradeNo, no, subMchid(sub))
	if err != nil || got.Code != wechat.Success || got.Response.TradeState != "SUCCESS" || got.Response.Amount.Total != 300 {
		t.Errorf("gopay V3PartnerQueryOrder = %+v, %v", got, err)
	}
}
