package apiv2

import (
	"errors"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// v2 has two levels of failure (docs/wire.md#apiv2):
//
//   - protocol: return_code=FAIL with return_msg only, unsigned. This is every failure
//     found before the request is known to come from the merchant it names: a method
//     other than POST, a body that is not the flat <xml> document, a missing or unknown
//     mch_id, an appid that is not the merchant's, a missing or wrong sign, and on
//     /secapi/ a missing or foreign client certificate. The refund query's table lists
//     REQUIRE_POST_METHOD, XML_FORMAT_ERROR, MCHID_NOT_EXIST, APPID_NOT_EXIST and SIGNERROR
//     as err_codes, but err_code only comes with return_code=SUCCESS, which also carries
//     appid, mch_id and a sign by the merchant's key: none of that can be vouched for
//     before the signature checks out, and the observed answer to a bad signature is
//     return_code=FAIL 签名错误. So these are answered at protocol level, with the
//     table's description as return_msg
//     (https://pay.weixin.qq.com/doc/v2/merchant/4011939577).
//   - business: return_code=SUCCESS, result_code=FAIL, err_code, err_code_des, signed with
//     the request's sign type, carrying appid, mch_id and a fresh nonce_str. Everything
//     found after the signature: PARAM_ERROR, REFUNDNOTEXIST, INVALID_TRANSACTIONID,
//     INVALID_REQUEST, SYSTEMERROR, NOTENOUGH, … — and MCHID_NOT_EXIST for an unknown
//     sub_mch_id, which the signed caller named.
//
// The certificate errors of /secapi/ are protocol level too, though the apply's list has a
// CERT_ERROR err_code: the real service refuses a missing certificate before any XML is
// read (nginx's "400 No required SSL certificate was sent", zwczou/weixin-python#88) and
// a certificate of another merchant with return_code=FAIL "certificate not match"
// (supersheep/wechat-pay#43). tuikuan keeps the second and words the first the same
// way, as XML with HTTP 200, since gopay fails on any other status or an <html> body.

// protocolError is a failure answered with return_code=FAIL.
type protocolError struct {
	msg    string // return_msg
	detail string // for the log: what exactly was wrong
	mchid  string // the mch_id the request named, once its XML is read
}

func (e *protocolError) Error() string { return e.msg + ": " + e.detail }

// return_msg of the protocol failures: the refund query table's descriptions, and the
// observed texts of the certificate errors.
const (
	msgXMLFormat   = "XML格式错误"
	msgSign        = "签名错误"
	msgPost        = "请使用post方法"
	msgAppid       = "APPID不存在"
	msgMchid       = "MCHID不存在"
	msgNoCert      = "No required SSL certificate was sent"
	msgCertMatch   = "certificate not match"
	msgSystemError = "系统错误"
)

// logCodes name the protocol failures in the log by the err_codes of the docs' table,
// which a user can look up; the answer itself only carries return_msg.
var logCodes = map[string]string{
	msgXMLFormat:   "XML_FORMAT_ERROR",
	msgSign:        "SIGNERROR",
	msgPost:        "REQUIRE_POST_METHOD",
	msgAppid:       "APPID_NOT_EXIST",
	msgMchid:       "MCHID_NOT_EXIST",
	msgNoCert:      "CERT_ERROR",
	msgCertMatch:   "CERT_ERROR",
	msgSystemError: codeSystemError,
}

// err_codes of the v2 refund APIs that have no domain counterpart
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4).
const (
	codeInvalidTransactionID = "INVALID_TRANSACTIONID"
	codeRefundNotExist       = "REFUNDNOTEXIST"
	codeParamError           = "PARAM_ERROR"
	codeSystemError          = "SYSTEMERROR"
)

// errKey is a domain error code on one endpoint (an endpoint.V2* name), or on every one
// when api is "".
type errKey struct{ api, code string }

// errCodes is the one table from domain error code to v2 err_code (the query's table,
// https://pay.weixin.qq.com/doc/v2/merchant/4011939577; the apply's list,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4). Codes missing here are
// SYSTEMERROR.
var errCodes = map[errKey]string{
	{"", pay.CodeParamError}:          codeParamError,
	{"", pay.CodeInvalidRequest}:      "INVALID_REQUEST",
	{"", pay.CodeMchNotExists}:        "MCHID_NOT_EXIST",
	{"", pay.CodeNotEnough}:           "NOTENOUGH",
	{"", pay.CodeUserAccountAbnormal}: "USER_ACCOUNT_ABNORMAL",
	{"", pay.CodeNoAuth}:              "NOAUTH",
	// v2 has no "request blocked"; ERROR is its "业务错误" with the reason in err_code_des.
	{"", pay.CodeRequestBlocked}:    "ERROR",
	{"", pay.CodeFrequencyLimited}:  "FREQUENCY_LIMITED",
	{"", pay.CodeSystemError}:       codeSystemError,
	{"", pay.CodeResourceNotExists}: codeRefundNotExist,
	// The apply's list has no "order not found": INVALID_TRANSACTIONID is its answer,
	// "检查原交易号是否存在" (申请退款, 错误码), whichever id named the order.
	{endpoint.V2Refund, pay.CodeResourceNotExists}: codeInvalidTransactionID,
	// Codes the handlers raise themselves.
	{"", codeInvalidTransactionID}: codeInvalidTransactionID,
	{"", codeLackParams}:           codeLackParams,
	// The order endpoints' (统一下单, 查询订单, 关闭订单,
	// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1, chapter=9_2,
	// chapter=9_3): an unknown order is ORDERNOTEXIST, a closed one ORDERCLOSED (a
	// paid one ORDERPAID, by its reason below), an out_trade_no placed before with
	// other content OUT_TRADE_NO_USED.
	{endpoint.V2OrderQuery, pay.CodeResourceNotExists}: codeOrderNotExist,
	{endpoint.V2CloseOrder, pay.CodeResourceNotExists}: codeOrderNotExist,
	{"", pay.CodeOrderNotExist}:                        codeOrderNotExist,
	{"", pay.CodeOrderClosed}:                          "ORDERCLOSED",
	{"", pay.CodeOutTradeNoUsed}:                       "OUT_TRADE_NO_USED",
	{"", pay.CodeAppidMchidNotMatch}:                   "APPID_MCHID_NOT_MATCH",
	// TRADE_ERROR's one v2 name is ORDERPAID, by its reason below; any other is 业务错误.
	{"", pay.CodeTradeError}: "ERROR",
}

// descriptions are err_code_des where the docs fix one; elsewhere the domain's message
// says more. "退款订单查询失败" is the refund query's wording for an unknown order or refund
// and for an order with no refunds alike.
var descriptions = map[string]string{
	codeRefundNotExist: "退款订单查询失败",
	codeOrderNotExist:  "此交易订单号不存在",
	codeSystemError:    "系统超时，请稍后重试",
}

// reasonCodes name the v2 codes of failures that v3 reports with a code v2 splits (the refund
// apply's err_code list, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4;
// 统一下单's, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
var reasonCodes = map[string]string{
	pay.ReasonFullyRefunded: "ERROR",
	pay.ReasonTradeOverdue:  "TRADE_OVERDUE",
	// 统一下单 and 关闭订单 of a paid order (TRADE_ERROR in APIv3).
	pay.ReasonOrderPaid: "ORDERPAID",
}

// v2Fields renames the domain's (APIv3) field names in PARAM_ERROR to the v2 request's,
// on one endpoint or, with api "", on every one.
var v2Fields = map[errKey]string{
	{"", "amount.refund"}:   "refund_fee",
	{"", "amount.total"}:    "total_fee",
	{"", "amount.currency"}: "refund_fee_type",
	{"", "reason"}:          "refund_desc",
	{"", "funds_account"}:   "refund_account",
	{"", "sub_mchid"}:       "sub_mch_id",
	{"", "mchid"}:           "mch_id",
	{"", "sp_mchid"}:        "mch_id",
	{"", "sp_appid"}:        "appid",
	{"", "description"}:     "body",
	{"", "payer.openid"}:    "openid",
	// 统一下单's currency is the order's fee_type, not a refund's.
	{endpoint.V2UnifiedOrder, "amount.currency"}: "fee_type",
}

// businessError is err's err_code and err_code_des on api. Anything that is not a
// *pay.Error is a SYSTEMERROR whose detail stays in the log.
func businessError(api string, err error) (code, des string) {
	var e *pay.Error
	if !errors.As(err, &e) {
		return codeSystemError, descriptions[codeSystemError]
	}
	if code, ok := reasonCodes[e.Reason]; ok {
		return code, e.Message
	}
	code, ok := errCodes[errKey{api, e.Code}]
	if !ok {
		code, ok = errCodes[errKey{"", e.Code}]
	}
	if !ok {
		return codeSystemError, descriptions[codeSystemError]
	}
	if d, ok := descriptions[code]; ok {
		return code, d
	}
	if e.Field != "" {
		name := e.Field
		if v2, ok := v2Fields[errKey{api, name}]; ok {
			name = v2
		} else if v2, ok := v2Fields[errKey{"", name}]; ok {
			name = v2
		}
		return code, fmt.Sprintf("%s参数错误：%s", name, e.Issue)
	}
	return code, e.Message
}

// paramError is a PARAM_ERROR naming a v2 field.
func paramError(field, issue string) *pay.Error {
	return &pay.Error{Code: pay.CodeParamError, Message: field + "参数错误：" + issue, Field: field, Issue: issue}
}
