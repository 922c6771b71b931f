package sqltable

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Lists are stored as JSON through storage types of their own, so that renaming a
// domain field cannot silently change what is on disk. The tags follow WeChat Pay's
// wire names, which is what an operator reading the column expects.

type storedFundsFrom struct {
	Account string `json:"account"`
	Amount  int64  `json:"amount"`
}

type storedPromotion struct {
	PromotionID  string `json:"promotion_id"`
	Scope        string `json:"scope"`
	Type         string `json:"type"`
	Amount       int64  `json:"amount"`
	RefundAmount int64  `json:"refund_amount,omitempty"`
	CouponCode   string `json:"coupon_code,omitempty"`
	StockID      string `json:"stock_id,omitempty"`
}

type storedGoods struct {
	MerchantGoodsID  string `json:"merchant_goods_id"`
	WechatpayGoodsID string `json:"wechatpay_goods_id,omitempty"`
	GoodsName        string `json:"goods_name,omitempty"`
	UnitPrice        int64  `json:"unit_price"`
	RefundAmount     int64  `json:"refund_amount"`
	RefundQuantity   int64  `json:"refund_quantity"`
}

func toStoredFundsFrom(f pay.FundsFrom) storedFundsFrom {
	return storedFundsFrom(f)
}

func fromStoredFundsFrom(f storedFundsFrom) pay.FundsFrom {
	return pay.FundsFrom(f)
}

func toStoredPromotion(p pay.Promotion) storedPromotion {
	return storedPromotion{PromotionID: p.PromotionID, Scope: p.Scope, Type: p.Type, Amount: p.Amount, CouponCode: p.CouponCode, StockID: p.StockID}
}

func fromStoredPromotion(p storedPromotion) pay.Promotion {
	return pay.Promotion{PromotionID: p.PromotionID, Scope: p.Scope, Type: p.Type, Amount: p.Amount, CouponCode: p.CouponCode, StockID: p.StockID}
}

func toStoredPromotionRefund(p pay.PromotionRefund) storedPromotion {
	s := toStoredPromotion(p.Promotion)
	s.RefundAmount = p.RefundAmount
	return s
}

func fromStoredPromotionRefund(p storedPromotion) pay.PromotionRefund {
	return pay.PromotionRefund{Promotion: fromStoredPromotion(p), RefundAmount: p.RefundAmount}
}

func toStoredGoods(g pay.GoodsDetail) storedGoods {
	return storedGoods(g)
}

func fromStoredGoods(g storedGoods) pay.GoodsDetail {
	return pay.GoodsDetail(g)
}

// EncodeList returns items as a JSON text argument, nil (NULL) when it is empty.
func EncodeList[T, S any](items []T, toStored func(T) S) any {
	if len(items) == 0 {
		return nil
	}
	stored := make([]S, len(items))
	for i, v := range items {
		stored[i] = toStored(v)
	}
	b, err := json.Marshal(stored)
	if err != nil {
		// Storage types hold only strings and integers, which always marshal.
		panic(fmt.Sprintf("encode %T: %v", stored, err))
	}
	return string(b)
}

// ListDest returns a Scan destination that reads what EncodeList wrote into *dst. NULL, ""
// and "[]" all read as nil.
func ListDest[T, S any](dst *[]T, fromStored func(S) T) sql.Scanner {
	return listScanner[T, S]{dst, fromStored}
}

type listScanner[T, S any] struct {
	dst        *[]T
	fromStored func(S) T
}

func (l listScanner[T, S]) Scan(src any) error {
	*l.dst = nil
	var text []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("list column holds %T, want text", src)
	}
	if len(text) == 0 {
		return nil
	}
	var stored []S
	if err := json.Unmarshal(text, &stored); err != nil {
		return fmt.Errorf("decode list: %w", err)
	}
	for _, v := range stored {
		*l.dst = append(*l.dst, l.fromStored(v))
	}
	return nil
}
