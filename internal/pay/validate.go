package pay

import (
	"fmt"
	"net/url"
	"unicode/utf8"
)

// ApplyRequest is a refund application, whichever API it came through.
type ApplyRequest struct {
	API    API
	Caller string // the authenticated mchid
	// SubMchid is the sub-merchant a partner acts for; "" for a direct merchant.
	SubMchid string
	SpAppid  string // e-commerce only
	SubAppid string // e-commerce only

	TransactionID string
	OutTradeNo    string
	OutRefundNo   string
	Reason        string
	NotifyURL     string
	FundsAccount  string
	RefundAccount string // e-commerce only

	Refund      int64
	Total       int64
	Currency    string
	From        []FundsFrom
	GoodsDetail []GoodsDetail
}

func (q *ApplyRequest) ref() TradeRef {
	return TradeRef{TransactionID: q.TransactionID, OutTradeNo: q.OutTradeNo}
}

// Validate checks each field's own rules: lengths, charsets, enums and amounts
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457,
// https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml). Rules that need the
// order are checked by Refunds.Apply.
func (q *ApplyRequest) Validate() error {
	if q.API == APIEcommerce {
		if err := firstError(
			required("sub_mchid", q.SubMchid, 32),
			required("sp_appid", q.SpAppid, 32),
			maxBytes("sub_appid", q.SubAppid, 32),
			oneOf("refund_account", q.RefundAccount, "REFUND_SOURCE_SUB_MERCHANT", "REFUND_SOURCE_PARTNER_ADVANCE"),
			oneOf("funds_account", q.FundsAccount, "AVAILABLE"),
		); err != nil {
			return err
		}
	} else if err := firstError(
		maxBytes("sub_mchid", q.SubMchid, 32),
		oneOf("funds_account", q.FundsAccount, "AVAILABLE", "UNSETTLED"),
	); err != nil {
		return err
	}
	if q.TransactionID == "" && q.OutTradeNo == "" {
		return ParamError("transaction_id", "transaction_id与out_trade_no必须二选一", nil)
	}
	return firstError(
		maxBytes("transaction_id", q.TransactionID, 32),
		maxBytes("out_trade_no", q.OutTradeNo, 32),
		charset("out_trade_no", q.OutTradeNo, "0-9a-zA-Z_-|*", isOrderNoChar),
		required("out_refund_no", q.OutRefundNo, 64),
		charset("out_refund_no", q.OutRefundNo, "0-9a-zA-Z_-|*@", isRefundNoChar),
		maxRunes("reason", q.Reason, 80),
		notifyURL(q.NotifyURL),
		q.validateAmount(),
		validateGoods(q.GoodsDetail),
	)
}

func (q *ApplyRequest) validateAmount() error {
	switch {
	case q.Refund < 1:
		return ParamError("amount.refund", "退款金额必须大于等于1分", q.Refund)
	case q.Total < 1:
		return ParamError("amount.total", "原订单金额必须大于等于1分", q.Total)
	case q.Currency != "" && q.Currency != "CNY":
		return ParamError("amount.currency", "目前只支持人民币：CNY", q.Currency)
	}
	if q.From == nil {
		return nil
	}
	amounts := make([]int64, len(q.From))
	for i, f := range q.From {
		field := fmt.Sprintf("amount.from[%d]", i)
		if err := oneOf(field+".account", f.Account, "AVAILABLE", "UNAVAILABLE"); err != nil {
			return err
		}
		if f.Account == "" {
			return ParamError(field+".account", "字段必填", nil)
		}
		if f.Amount < 1 {
			return ParamError(field+".amount", "出资金额必须大于等于1分", f.Amount)
		}
		amounts[i] = f.Amount
	}
	sum, ok := sumAmounts(amounts...)
	if !ok {
		return ParamError("amount.from", fmt.Sprintf("出资金额之和大于退款金额%d", q.Refund), nil)
	}
	if sum != q.Refund {
		return ParamError("amount.from", fmt.Sprintf("出资金额之和%d不等于退款金额%d", sum, q.Refund), sum)
	}
	return nil
}

func validateGoods(goods []GoodsDetail) error {
	for i, g := range goods {
		field := fmt.Sprintf("goods_detail[%d]", i)
		if err := firstError(
			required(field+".merchant_goods_id", g.MerchantGoodsID, 32),
			maxBytes(field+".wechatpay_goods_id", g.WechatpayGoodsID, 32),
			maxRunes(field+".goods_name", g.GoodsName, 256),
		); err != nil {
			return err
		}
		switch {
		case g.UnitPrice < 0:
			return ParamError(field+".unit_price", "商品单价不能小于0", g.UnitPrice)
		case g.RefundAmount < 0:
			return ParamError(field+".refund_amount", "商品退款金额不能小于0", g.RefundAmount)
		case g.RefundQuantity < 1:
			return ParamError(field+".refund_quantity", "商品退货数量必须大于等于1", g.RefundQuantity)
		}
	}
	return nil
}

// notifyURL follows https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml: an absolute URL of at most 256 bytes that carries no
// parameters. tuikuan, being a sandbox, also accepts http:// and loopback hosts.
func notifyURL(s string) error {
	if s == "" {
		return nil
	}
	if err := maxBytes("notify_url", s, 256); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ParamError("notify_url", "必须是以http://或https://开头的完整URL", s)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return ParamError("notify_url", "通知URL不能携带参数", s)
	}
	return nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func required(field, v string, max int) error {
	if v == "" {
		return ParamError(field, "字段必填", nil)
	}
	return maxBytes(field, v, max)
}

// maxBytes counts bytes, as the real service's "字节数 65，大于最大值 64" does.
func maxBytes(field, v string, max int) error {
	if len(v) > max {
		return ParamError(field, fmt.Sprintf("字节数 %d，大于最大值 %d", len(v), max), v)
	}
	return nil
}

// maxRunes counts characters, for free text such as reason where "string(80)" is meant
// for Chinese words.
func maxRunes(field, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return ParamError(field, fmt.Sprintf("长度 %d，大于最大值 %d", n, max), v)
	}
	if !utf8.ValidString(v) {
		return ParamError(field, "不是合法的UTF-8字符串", nil)
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return ParamError(field, fmt.Sprintf("取值必须是 %v 之一", allowed), v)
}

func charset(field, v, desc string, ok func(rune) bool) error {
	for _, c := range v {
		if !ok(c) {
			return ParamError(field, fmt.Sprintf("含有非法字符 %q，只能是 %s", c, desc), v)
		}
	}
	return nil
}

// isRefundNoChar: out_refund_no "只能是数字、大小写字母_-|*@" (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml).
func isRefundNoChar(c rune) bool {
	return isTradeNoChar(c) || c == '|' || c == '@'
}

// isOrderNoChar: out_trade_no "只能是数字、大小写字母_-|*" (https://pay.weixin.qq.com/doc/v3/merchant/4012556457).
func isOrderNoChar(c rune) bool { return isTradeNoChar(c) || c == '|' }

// isTradeNoChar: out_trade_no "只能是数字、大小写字母_-*".
func isTradeNoChar(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '*'
}
