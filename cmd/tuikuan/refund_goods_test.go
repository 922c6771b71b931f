package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-pay/gopay"
	"github.com/google/go-cmp/cmp"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// Ensure the domestic Refund object carries amount.refund_fee and, under each promotion
// the refund gave money back to, the goods the request named, as the 应答示例 of 发起异常
// 退款 shows them ("refund_fee" : 100 in amount; promotion_detail[].goods_detail with
// merchant_goods_id, wechatpay_goods_id, goods_name, unit_price, refund_amount,
// refund_quantity: https://pay.weixin.qq.com/docs/merchant/apis/refund/refunds/create-abnormal-refund.html).
// wechatpay-go decodes goods_detail from the apply answer; gopay decodes both from the
// query; the raw query answer shows refund_fee is sent, 0 because sandbox payments are
// charged no fee.
func TestRefund_FeeAndPromotionGoods(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000, "promotions": []map[string]any{
		{"promotion_id": "109519", "scope": "GLOBAL", "type": "COUPON", "amount": 100},
	}})
	goods := refunddomestic.GoodsDetail{
		MerchantGoodsId: core.String("1217752501201407033233368018"), WechatpayGoodsId: core.String("1001"),
		GoodsName: core.String("iPhone6s 16G"), UnitPrice: core.Int64(500), RefundAmount: core.Int64(500), RefundQuantity: core.Int64(1),
	}
	no := uniq("G")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(no),
		Amount:      &refunddomestic.AmountReq{Refund: core.Int64(500), Total: core.Int64(1000), Currency: core.String("CNY")},
		GoodsDetail: []refunddomestic.GoodsDetail{goods},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(r.PromotionDetail) != 1 {
		t.Fatalf("promotion_detail = %+v, want the one coupon", r.PromotionDetail)
	}
	if diff := cmp.Diff([]refunddomestic.GoodsDetail{goods}, r.PromotionDetail[0].GoodsDetail); diff != "" {
		t.Errorf("apply answer promotion_detail[0].goods_detail mismatch (-want +got):\n%s", diff)
	}

	q, err := s.gopayClient(t, m).V3RefundQuery(ctx, no, make(gopay.BodyMap))
	noErr(t, "V3RefundQuery", q.Code, q.Error, err)
	if q.Response.Amount.RefundFee != 0 || len(q.Response.PromotionDetail) != 1 || len(q.Response.PromotionDetail[0].GoodsDetail) != 1 {
		t.Fatalf("V3RefundQuery = amount %+v promotion_detail %+v", q.Response.Amount, q.Response.PromotionDetail)
	}
	if g := q.Response.PromotionDetail[0].GoodsDetail[0]; g.MerchantGoodsId != *goods.MerchantGoodsId || g.WechatpayGoodsId != "1001" ||
		g.GoodsName != "iPhone6s 16G" || g.UnitPrice != 500 || g.RefundAmount != 500 || g.RefundQuantity != 1 {
		t.Errorf("V3RefundQuery goods_detail = %+v", g)
	}

	target := "/v3/refund/domestic/refunds/" + no
	a := s.send(t, "GET", target, nil, map[string]string{"Authorization": s.signer(t, m).authorize(t, "GET", target, nil)})
	var raw struct {
		Amount map[string]json.RawMessage `json:"amount"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &raw) != nil || string(raw.Amount["refund_fee"]) != "0" {
		t.Errorf("raw query answer = %d %s, want amount.refund_fee 0", a.status, a.body)
	}
}
