package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// base has sub-millisecond digits and a non-UTC zone so that the round trips prove
// storage keeps the instant, not the representation.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CST", 8*60*60))

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// newMerchant returns a merchant with every field set.
func newMerchant(mchid string) *pay.Merchant {
	return &pay.Merchant{
		Mchid:          mchid,
		Kind:           pay.KindSub,
		SpMchid:        "1900000100",
		Appid:          "wxd678efh567hg6787",
		CertSerial:     "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
		CertPEM:        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		APIv3Key:       "0123456789abcdef0123456789abcdef",
		APIv2Key:       "fedcba9876543210fedcba9876543210",
		PrivateKeyFile: "keys/" + mchid + "_key.pem",
		CertFile:       "keys/" + mchid + "_cert.pem",
		CreateTime:     at(0),
	}
}

// newOrder returns a paid order of mchid with every field set.
func newOrder(id, mchid, outTradeNo string) *pay.Order {
	return &pay.Order{
		ID:         id,
		OutTradeNo: outTradeNo,
		Mchid:      mchid,
		SpMchid:    "1900000100",
		Appid:      "wxd678efh567hg6787",
		SubAppid:   "wx8888888888888888",
		Total:      1000,
		PayerTotal: 900,
		Currency:   "CNY",
		Promotions: []pay.Promotion{
			{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60},
			{PromotionID: "109520", Scope: "GLOBAL", Type: "COUPON", Amount: 40},
		},
		BankType:      "CMB_CREDIT",
		SuccessTime:   at(-time.Hour),
		CreateTime:    at(-2 * time.Hour),
		RefundOutcome: pay.StatusAbnormal,
		Refunded:      300,
		RefundCount:   2,
		Split:         &pay.RefundSplit{Payer: 270, Promotions: []int64{18, 12}},
		LastRefundAt:  at(-time.Minute),

		TradeType:      pay.TradeJSAPI,
		TradeState:     pay.TradeRefund,
		TradeStateDesc: "转入退款",
		Description:    "Image形象店-深圳腾大-QQ公仔",
		Attach:         "自定义数据",
		NotifyURL:      "https://merchant.example/paid",
		GoodsTag:       "WXG",
		TimeExpire:     at(time.Hour),
		SupportFapiao:  true,
		LimitPay:       []string{"no_credit"},
		ProfitSharing:  true,
		SpOpenid:       "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		SubOpenid:      "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p",
		PayerClientIP:  "203.0.113.7",
		PrepayID:       "wx20250601100000" + id,
		CodeURL:        "weixin://wxpay/bizpayurl?pr=" + id,
		H5URL:          "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1234567890",
		PlaceDigest:    "3b5d5c3712955042212316173ccf37be",
		Protocol:       pay.ProtocolV2,
	}
}

// newRefund returns a SUCCESS refund of t with every field set.
func newRefund(id, outRefundNo string, t *pay.Order) *pay.Refund {
	return &pay.Refund{
		ID:            id,
		OutRefundNo:   outRefundNo,
		Mchid:         t.Mchid,
		SpMchid:       t.SpMchid,
		TransactionID: t.ID,
		OutTradeNo:    t.OutTradeNo,
		API:           pay.APIEcommerce,
		Reason:        "商品已售完",
		NotifyURL:     "https://weixin.qq.com/notify",
		FundsAccount:  "AVAILABLE",
		RefundAccount: "REFUND_SOURCE_SUB_MERCHANT",
		SpAppid:       "wxd678efh567hg6787",
		SubAppid:      "wx8888888888888888",
		Amount: pay.Amount{
			Refund:           100,
			Total:            t.Total,
			PayerTotal:       t.PayerTotal,
			PayerRefund:      90,
			SettlementTotal:  t.Total,
			SettlementRefund: 100,
			DiscountRefund:   10,
			Currency:         "CNY",
			From: []pay.FundsFrom{
				{Account: "AVAILABLE", Amount: 70},
				{Account: "UNAVAILABLE", Amount: 30},
			},
		},
		Promotions: []pay.PromotionRefund{{
			Promotion:    pay.Promotion{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60},
			RefundAmount: 10,
		}},
		GoodsDetail: []pay.GoodsDetail{
			{MerchantGoodsID: "1217752501201407033233368018", WechatpayGoodsID: "1001", GoodsName: "iPhone6s 16G", UnitPrice: 528800, RefundAmount: 528800, RefundQuantity: 1},
			{MerchantGoodsID: "1217752501201407033233368019", GoodsName: "手机壳", UnitPrice: 100, RefundAmount: 50, RefundQuantity: 2},
		},
		Status:              pay.StatusSuccess,
		Channel:             "ORIGINAL",
		UserReceivedAccount: "招商银行信用卡0403",
		CreateTime:          at(0),
		SuccessTime:         at(time.Minute),
		UpdateTime:          at(time.Minute),
		SettleAt:            at(30 * time.Second),
		Outcome:             pay.StatusSuccess,
	}
}

// newProcessingRefund returns a PROCESSING refund of t that settles at settleAt, with the
// bare fields only: nil lists and zero times where a new refund has them.
func newProcessingRefund(id, outRefundNo string, t *pay.Order, settleAt time.Time) *pay.Refund {
	return &pay.Refund{
		ID:            id,
		OutRefundNo:   outRefundNo,
		Mchid:         t.Mchid,
		TransactionID: t.ID,
		OutTradeNo:    t.OutTradeNo,
		API:           pay.APIDomestic,
		Amount:        pay.Amount{Refund: 100, Total: t.Total, Currency: "CNY"},
		Status:        pay.StatusProcessing,
		CreateTime:    at(0),
		SettleAt:      settleAt,
	}
}

// seed stores a merchant and one of its orders, and returns them.
func seed(t *testing.T, s pay.Store, mchid, transactionID, outTradeNo string) (*pay.Merchant, *pay.Order) {
	t.Helper()
	m := newMerchant(mchid)
	tr := newOrder(transactionID, mchid, outTradeNo)
	Merchants(t, s, m)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertOrder(t.Context(), tr) })
	return m, tr
}

// insertRefunds stores rs in one Update.
func insertRefunds(t *testing.T, s pay.Store, rs ...*pay.Refund) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, r := range rs {
			if err := tx.InsertRefund(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
}
