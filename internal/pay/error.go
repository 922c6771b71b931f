package pay

import (
	"errors"
	"fmt"
)

// Wire codes of WeChat Pay errors, plus the few the sandbox control API adds
// (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml, 错误码;
// https://pay.weixin.qq.com/wiki/doc/apiv3/Share/error_code.shtml).
const (
	CodeParamError          = "PARAM_ERROR"
	CodeInvalidRequest      = "INVALID_REQUEST"
	CodeMchNotExists        = "MCH_NOT_EXISTS"
	CodeSignError           = "SIGN_ERROR"
	CodeNotEnough           = "NOT_ENOUGH"
	CodeUserAccountAbnormal = "USER_ACCOUNT_ABNORMAL"
	CodeNoAuth              = "NO_AUTH"
	CodeRequestBlocked      = "REQUEST_BLOCKED"
	CodeResourceNotExists   = "RESOURCE_NOT_EXISTS"
	CodeFrequencyLimited    = "FREQUENCY_LIMITED"
	CodeSystemError         = "SYSTEM_ERROR"

	// CodeInvalidState is the sandbox's answer to a move the state machine forbids,
	// such as settling a SUCCESS refund to CLOSED.
	CodeInvalidState = "INVALID_STATE"
	// CodeUnauthorized is the sandbox's answer to a missing or wrong bearer token.
	CodeUnauthorized = "UNAUTHORIZED"
)

// Wire codes of the order APIs: 下单 (https://pay.weixin.qq.com/doc/v3/merchant/4012791897,
// 错误码), 关闭订单 (https://pay.weixin.qq.com/doc/v3/merchant/4012556398, 错误码) and
// 查询订单 (https://pay.weixin.qq.com/doc/v3/merchant/4013070356, 错误码).
const (
	CodeAppidMchidNotMatch = "APPID_MCHID_NOT_MATCH"
	CodeOrderClosed        = "ORDER_CLOSED"
	CodeOutTradeNoUsed     = "OUT_TRADE_NO_USED"
	CodeTradeError         = "TRADE_ERROR"
	CodeOrderNotExist      = "ORDER_NOT_EXIST"
)

// Wire codes of the merchant-coupon APIs (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html, 错误码).
const (
	CodeResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS"
	CodeRuleLimit             = "RULE_LIMIT"
)

// Error is a failure the client is meant to see, with its WeChat Pay code and message.
// Field, Value and Issue go into the PARAM_ERROR detail.
type Error struct {
	Code    string
	Message string
	Field   string
	Value   any
	Issue   string
	// Location says where a bad field came from: "body", "query", "path", "header".
	Location string
	// Reason tells apart failures that share a v3 code but not a v2 one.
	Reason string
}

// Reasons of INVALID_REQUEST failures that the v2 API names with codes of their own
// (https://pay.weixin.qq.com/wiki/doc/api/wxpay/ch/pay/QuickPay/chapter8_4.shtml, 错误码: ERROR "订单已全额退款", TRADE_OVERDUE).
const (
	ReasonFullyRefunded = "FULLY_REFUNDED"
	ReasonTradeOverdue  = "TRADE_OVERDUE"
)

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Field, e.Issue)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ParamError names a bad field and says why, in the shape the real service words it
// ("输入源“/body/amount/refund”映射到值字段“退款金额”…").
func ParamError(field, issue string, value any) *Error {
	return &Error{
		Code:     CodeParamError,
		Message:  fmt.Sprintf("输入源“/body/%s”映射到值字段“%s”校验失败：%s", slashPath(field), field, issue),
		Field:    field,
		Value:    value,
		Issue:    issue,
		Location: "body",
	}
}

func slashPath(field string) string {
	out := []byte(field)
	for i, c := range out {
		if c == '.' {
			out[i] = '/'
		}
	}
	return string(out)
}

// ErrorCode returns the wire code of err, SYSTEM_ERROR for anything that is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeSystemError
}

// Storage sentinels: backends translate their driver errors into these so that the
// domain never sees SQLite or PostgreSQL types.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate key")
)

// Messages the real service uses, quoted where the docs or observed responses give them
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 注意事项).
const (
	msgOverRefund       = "申请退款金额超过订单可退金额"
	msgFullyRefunded    = "订单已全额退款"
	msgReplayMismatch   = "订单金额或退款金额与之前请求不一致，请核实后再试"
	msgReplayOtherOrder = "请求内容和上次请求不一致，请核实后再试。原因主要是商户号不一致，或者商户订单号/商户退款单号已经被其他请求使用。"
	msgOrderNotExist    = "订单不存在"
	msgOrderNotPaid     = "订单未支付，不能发起退款"
	msgRefundNotExist   = "退款单不存在"
	msgTooOld           = "交易时间超过一年的订单无法提交退款"
	msgTooMany          = "该订单已达到部分退款次数上限（最多50次），无法再发起退款"
	msgTotalMismatch    = "订单金额total与原订单金额不一致，请核实后再试"
	msgSpacing          = "频率限制，同一笔订单多次退款的请求需相隔1分钟"
)
