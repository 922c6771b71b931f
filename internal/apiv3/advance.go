package apiv3

import (
	"github.com/tuikuan/tuikuan/internal/pay"
)

// advanceBody is POST /v3/ecommerce/refunds/{refund_id}/return-advance
// (https://pay.weixin.qq.com/docs/partner/apis/ecommerce-refund/refunds/create-return-advance.html).
type advanceBody struct {
	SubMchid *string `json:"sub_mchid"`
}

func (a *api) returnAdvance(c *call) (any, error) {
	var b advanceBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	ar, err := a.svc.Refunds.ReturnAdvance(c.Context(), pay.AdvanceRequest{
		Caller: c.merchant.Mchid, SubMchid: str(b.SubMchid), RefundID: c.PathValue("refund_id"),
	})
	if err != nil {
		return nil, err
	}
	return advanceReturn(ar), nil
}

// queryAdvanceReturn is GET /v3/ecommerce/refunds/{refund_id}/return-advance?sub_mchid=
// (https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_5.shtml).
func (a *api) queryAdvanceReturn(c *call) (any, error) {
	if c.PathValue("action") != "return-advance" {
		return nil, pay.Errorf(pay.CodeResourceNotExists, "请求的接口%s不存在", c.URL.Path)
	}
	ar, err := a.svc.Refunds.QueryAdvanceReturn(c.Context(), pay.AdvanceRequest{
		Caller: c.merchant.Mchid, SubMchid: c.URL.Query().Get("sub_mchid"), RefundID: c.PathValue("refund_id"),
	})
	if err != nil {
		return nil, err
	}
	return advanceReturn(ar), nil
}

// advanceReturnJSON is the answer of both return-advance calls; they share one shape.
type advanceReturnJSON struct {
	RefundID        string            `json:"refund_id"`
	AdvanceReturnID string            `json:"advance_return_id"`
	ReturnAmount    int64             `json:"return_amount"`
	PayerMchid      string            `json:"payer_mchid"`
	PayerAccount    string            `json:"payer_account"`
	PayeeMchid      string            `json:"payee_mchid"`
	PayeeAccount    string            `json:"payee_account"`
	Result          pay.AdvanceResult `json:"result"`
	SuccessTime     *string           `json:"success_time,omitempty"`
}

func advanceReturn(ar *pay.AdvanceReturn) advanceReturnJSON {
	return advanceReturnJSON{
		RefundID: ar.RefundID, AdvanceReturnID: ar.ID, ReturnAmount: ar.Amount,
		PayerMchid: ar.PayerMchid, PayerAccount: ar.PayerAccount,
		PayeeMchid: ar.PayeeMchid, PayeeAccount: ar.PayeeAccount,
		Result: ar.Result, SuccessTime: optTime(ar.SuccessTime),
	}
}
