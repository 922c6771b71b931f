package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// refundResource is the decrypted refund notification
// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053, 通知报文): mchid for a direct
// merchant, sp_mchid + sub_mchid for a partner.
type refundResource struct {
	Mchid               string         `json:"mchid,omitempty"`
	SpMchid             string         `json:"sp_mchid,omitempty"`
	SubMchid            string         `json:"sub_mchid,omitempty"`
	TransactionID       string         `json:"transaction_id"`
	OutTradeNo          string         `json:"out_trade_no"`
	RefundID            string         `json:"refund_id"`
	OutRefundNo         string         `json:"out_refund_no"`
	RefundStatus        pay.Status     `json:"refund_status"`
	SuccessTime         string         `json:"success_time,omitempty"`
	UserReceivedAccount string         `json:"user_received_account"`
	Amount              resourceAmount `json:"amount"`
}

type resourceAmount struct {
	Total       int64 `json:"total"`
	Refund      int64 `json:"refund"`
	PayerTotal  int64 `json:"payer_total"`
	PayerRefund int64 `json:"payer_refund"`
}

// complaintResource is the decrypted complaint notification
// (https://pay.weixin.qq.com/doc/v3/merchant/4012289719).
type complaintResource struct {
	ComplaintID string `json:"complaint_id"`
	ActionType  string `json:"action_type"`
}

// transactionResource is the decrypted TRANSACTION.SUCCESS
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791861, 通知报文), with the fields and
// tags by which wechatpay-go v0.2.20 decodes it: services/payments.Transaction for a
// direct merchant (appid, mchid, payer.openid), services/partnerpayments.Transaction for
// a partner (sp_appid, sp_mchid, sub_appid, sub_mchid, payer.sp_openid/sub_openid).
type transactionResource struct {
	Appid           string              `json:"appid,omitempty"`
	Mchid           string              `json:"mchid,omitempty"`
	SpAppid         string              `json:"sp_appid,omitempty"`
	SpMchid         string              `json:"sp_mchid,omitempty"`
	SubAppid        string              `json:"sub_appid,omitempty"`
	SubMchid        string              `json:"sub_mchid,omitempty"`
	OutTradeNo      string              `json:"out_trade_no"`
	TransactionID   string              `json:"transaction_id"`
	TradeType       pay.TradeType       `json:"trade_type"`
	TradeState      pay.TradeState      `json:"trade_state"`
	TradeStateDesc  string              `json:"trade_state_desc"`
	BankType        string              `json:"bank_type"`
	Attach          string              `json:"attach"`
	SuccessTime     string              `json:"success_time"`
	Payer           transactionPayer    `json:"payer"`
	Amount          transactionAmount   `json:"amount"`
	PromotionDetail []transactionCoupon `json:"promotion_detail,omitempty"`
}

type transactionPayer struct {
	Openid    string `json:"openid,omitempty"`
	SpOpenid  string `json:"sp_openid,omitempty"`
	SubOpenid string `json:"sub_openid,omitempty"`
}

type transactionAmount struct {
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency"`
}

// transactionCoupon is one promotion_detail entry. The sandbox's promotions are the
// merchant's own (a merchant coupon or discount), so the merchant contributes all of it.
type transactionCoupon struct {
	CouponID            string `json:"coupon_id"`
	Scope               string `json:"scope"`
	Type                string `json:"type"`
	Amount              int64  `json:"amount"`
	StockID             string `json:"stock_id,omitempty"`
	WechatpayContribute int64  `json:"wechatpay_contribute"`
	MerchantContribute  int64  `json:"merchant_contribute"`
	OtherContribute     int64  `json:"other_contribute"`
	Currency            string `json:"currency"`
}

func transactionResourceOf(s *pay.OrderSnapshot) transactionResource {
	res := transactionResource{
		OutTradeNo: s.OutTradeNo, TransactionID: s.TransactionID, TradeType: s.TradeType,
		TradeState: s.TradeState, TradeStateDesc: s.TradeStateDesc, BankType: s.BankType, Attach: s.Attach,
		SuccessTime: s.SuccessTime.In(pay.Beijing).Format(time.RFC3339),
		Amount:      transactionAmount{Total: s.Total, PayerTotal: s.PayerTotal, Currency: s.Currency, PayerCurrency: s.Currency},
	}
	if s.SpMchid != "" {
		res.SpAppid, res.SpMchid, res.SubAppid, res.SubMchid = s.Appid, s.SpMchid, s.SubAppid, s.Mchid
		res.Payer = transactionPayer{SpOpenid: s.SpOpenid, SubOpenid: s.SubOpenid}
	} else {
		res.Appid, res.Mchid = s.Appid, s.Mchid
		res.Payer = transactionPayer{Openid: s.PayerOpenid}
	}
	for _, p := range s.Promotions {
		res.PromotionDetail = append(res.PromotionDetail, transactionCoupon{
			CouponID: p.PromotionID, Scope: p.Scope, Type: p.Type, Amount: p.Amount, StockID: p.StockID,
			MerchantContribute: p.Amount, Currency: s.Currency,
		})
	}
	return res
}

// plaintextV3 is the resource a v3 notification encrypts. A notification stored before
// snapshots carries its plaintext as rendered then.
func plaintextV3(n *pay.Notification) ([]byte, error) {
	var v any
	switch {
	case n.Refund != nil:
		v = refundResourceOf(n.Refund)
	case n.Complaint != nil:
		v = complaintResource{ComplaintID: n.Complaint.ComplaintID, ActionType: n.Complaint.Action}
	case n.Order != nil:
		v = transactionResourceOf(n.Order)
	case n.Legacy != "":
		return []byte(n.Legacy), nil
	default:
		return nil, errors.New("notification says nothing")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode resource of notification %s: %w", n.ID, err)
	}
	return b, nil
}

func refundResourceOf(s *pay.RefundSnapshot) refundResource {
	res := refundResource{
		TransactionID: s.TransactionID, OutTradeNo: s.OutTradeNo, RefundID: s.ID, OutRefundNo: s.OutRefundNo,
		RefundStatus: s.Status, UserReceivedAccount: s.UserReceivedAccount,
		Amount: resourceAmount{Total: s.Amount.Total, Refund: s.Amount.Refund, PayerTotal: s.Amount.PayerTotal, PayerRefund: s.Amount.PayerRefund},
	}
	if s.SpMchid != "" {
		res.SpMchid, res.SubMchid = s.SpMchid, s.Mchid
	} else {
		res.Mchid = s.Mchid
	}
	if s.Status == pay.StatusSuccess {
		res.SuccessTime = s.SuccessTime.In(pay.Beijing).Format(time.RFC3339)
	}
	return res
}

// v2Resource is what a v2 refund notification carries
// (https://pay.weixin.qq.com/doc/v2/partner/4011989265): the envelope's ids in clear, and
// ReqInfo, the fields encrypted into req_info, by their XML names. Its JSON form is how
// notifications stored before snapshots hold it.
type v2Resource struct {
	Appid    string            `json:"appid"`
	MchID    string            `json:"mch_id"`
	SubAppid string            `json:"sub_appid,omitempty"`
	SubMchID string            `json:"sub_mch_id,omitempty"`
	ReqInfo  map[string]string `json:"req_info"`
}

// v2ResourceOf is what the v2 notification n says.
func v2ResourceOf(n *pay.Notification) (v2Resource, error) {
	if n.Refund == nil {
		var res v2Resource
		if err := json.Unmarshal([]byte(n.Legacy), &res); err != nil {
			return res, fmt.Errorf("decode v2 resource of notification %s: %w", n.ID, err)
		}
		return res, nil
	}
	s := n.Refund
	res := v2Resource{Appid: s.Appid, MchID: n.Mchid, ReqInfo: map[string]string{
		"transaction_id":        s.TransactionID,
		"out_trade_no":          s.OutTradeNo,
		"refund_id":             s.ID,
		"out_refund_no":         s.OutRefundNo,
		"total_fee":             strconv.FormatInt(s.Amount.Total, 10),
		"settlement_total_fee":  strconv.FormatInt(s.Amount.SettlementTotal, 10),
		"refund_fee":            strconv.FormatInt(s.Amount.Refund, 10),
		"settlement_refund_fee": strconv.FormatInt(s.Amount.SettlementRefund, 10),
		"refund_status":         pay.V2Status(s.Status),
		"refund_recv_accout":    s.UserReceivedAccount, // sic: the docs' spelling
		"refund_account":        pay.V2RefundAccount(s.FundsAccount),
		"refund_request_source": "API",
	}}
	if s.Status == pay.StatusSuccess {
		res.ReqInfo["success_time"] = pay.V2Time(s.SuccessTime)
	}
	if s.SpMchid != "" {
		res.SubMchID, res.SubAppid = s.Mchid, s.SubAppid
	}
	return res, nil
}
