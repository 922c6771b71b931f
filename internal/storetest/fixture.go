package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/refund"
)

// base has sub-millisecond digits and a non-UTC zone so that the round trips prove
// storage keeps the instant, not the representation.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CST", 8*60*60))

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// newMerchant returns a merchant with every field set.
func newMerchant(mchid string) *refund.Merchant {
	return &refund.Merchant{
		Mchid:          mchid,
		Kind:           refund.KindSub,
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

// newTransaction returns a paid order of mchid with every field set.
func newTransaction(id, mchid, outTradeNo string) *refund.Transaction {
	return &refund.Transaction{
		ID:         id,
		OutTradeNo: outTradeNo,
		Mchid:      mchid,
		SpMchid:    "1900000100",
		Appid:      "wxd678efh567hg6787",
		SubAppid:   "wx8888888888888888",
		Total:      1000,
		PayerTotal: 900,
		Currency:   "CNY",
		Promotions: []refund.Promotion{
			{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60},
			{PromotionID: "109520", Scope: "GLOBAL", Type: "COUPON", Amount: 40},
		},
		BankType:      "CMB_CREDIT",
		SuccessTime:   at(-time.Hour),
		CreateTime:    at(-2 * time.Hour),
		RefundOutcome: refund.StatusAbnormal,
		Refunded:      300,
		RefundCount:   2,
		LastRefundAt:  at(-time.Minute),
	}
}

// newRefund returns a SUCCESS refund of t with every field set.
func newRefund(id, outRefundNo string, t *refund.Transaction) *refund.Refund {
	return &refund.Refund{
		ID:            id,
		OutRefundNo:   outRefundNo,
		Mchid:         t.Mchid,
		SpMchid:       t.SpMchid,
		TransactionID: t.ID,
		OutTradeNo:    t.OutTradeNo,
		API:           refund.APIEcommerce,
		Reason:        "商品已售完",
		NotifyURL:     "https://weixin.qq.com/notify",
		FundsAccount:  "AVAILABLE",
		RefundAccount: "REFUND_SOURCE_SUB_MERCHANT",
		SpAppid:       "wxd678efh567hg6787",
		SubAppid:      "wx8888888888888888",
		Amount: refund.Amount{
			Refund:           100,
			Total:            t.Total,
			PayerTotal:       t.PayerTotal,
			PayerRefund:      90,
			SettlementTotal:  t.Total,
			SettlementRefund: 100,
			DiscountRefund:   10,
			Currency:         "CNY",
			From: []refund.FundsFrom{
				{Account: "AVAILABLE", Amount: 70},
				{Account: "UNAVAILABLE", Amount: 30},
			},
		},
		Promotions: []refund.PromotionRefund{{
			Promotion:    refund.Promotion{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60},
			RefundAmount: 10,
		}},
		GoodsDetail: []refund.GoodsDetail{
			{MerchantGoodsID: "1217752501201407033233368018", WechatpayGoodsID: "1001", GoodsName: "iPhone6s 16G", UnitPrice: 528800, RefundAmount: 528800, RefundQuantity: 1},
			{MerchantGoodsID: "1217752501201407033233368019", GoodsName: "手机壳", UnitPrice: 100, RefundAmount: 50, RefundQuantity: 2},
		},
		Status:              refund.StatusSuccess,
		Channel:             "ORIGINAL",
		UserReceivedAccount: "招商银行信用卡0403",
		CreateTime:          at(0),
		SuccessTime:         at(time.Minute),
		UpdateTime:          at(time.Minute),
		SettleAt:            at(30 * time.Second),
		Outcome:             refund.StatusSuccess,
	}
}

// newProcessingRefund returns a PROCESSING refund of t that settles at settleAt, with the
// bare fields only: nil lists and zero times where a new refund has them.
func newProcessingRefund(id, outRefundNo string, t *refund.Transaction, settleAt time.Time) *refund.Refund {
	return &refund.Refund{
		ID:            id,
		OutRefundNo:   outRefundNo,
		Mchid:         t.Mchid,
		TransactionID: t.ID,
		OutTradeNo:    t.OutTradeNo,
		API:           refund.APIDomestic,
		Amount:        refund.Amount{Refund: 100, Total: t.Total, Currency: "CNY"},
		Status:        refund.StatusProcessing,
		CreateTime:    at(0),
		SettleAt:      settleAt,
	}
}

// seed stores a merchant and one of its orders, and returns them.
func seed(t *testing.T, s refund.Store, mchid, transactionID, outTradeNo string) (*refund.Merchant, *refund.Transaction) {
	t.Helper()
	m := newMerchant(mchid)
	tr := newTransaction(transactionID, mchid, outTradeNo)
	mustWrite(t, s, func(tx refund.Tx) error {
		if err := tx.InsertMerchant(t.Context(), m); err != nil {
			return err
		}
		return tx.InsertTransaction(t.Context(), tr)
	})
	return m, tr
}

// insertRefunds stores rs in one Update.
func insertRefunds(t *testing.T, s refund.Store, rs ...*refund.Refund) {
	t.Helper()
	mustWrite(t, s, func(tx refund.Tx) error {
		for _, r := range rs {
			if err := tx.InsertRefund(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
}
