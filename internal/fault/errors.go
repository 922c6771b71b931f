package fault

import "github.com/tuikuan/tuikuan/internal/refund"

// Codes are the errors a rule can answer with: the refund APIs' documented ones (seed 002
// error table, protocol.md §5.6). Their HTTP statuses come from apiv3's one table.
var Codes = []string{
	refund.CodeSystemError,
	refund.CodeFrequencyLimited,
	refund.CodeNotEnough,
	refund.CodeUserAccountAbnormal,
	refund.CodeNoAuth,
	refund.CodeRequestBlocked,
	refund.CodeInvalidRequest,
	refund.CodeResourceNotExists,
	refund.CodeParamError,
}

// messages are what the real service says with each code: the observed text where one is
// known (protocol.md §5.6: NOT_ENOUGH), else the description column of seed 002's table
// with its remedy where the remedy is what a client should do.
var messages = map[string]string{
	refund.CodeSystemError:         "系统异常，请稍后重试",
	refund.CodeFrequencyLimited:    "频率限制，请降低频率后重试",
	refund.CodeNotEnough:           "基本账户余额不足，请充值后重新发起",
	refund.CodeUserAccountAbnormal: "退款请求失败",
	refund.CodeNoAuth:              "没有退款权限",
	refund.CodeRequestBlocked:      "请求受阻",
	refund.CodeInvalidRequest:      "请求参数符合参数格式，但不符合业务规则",
	refund.CodeResourceNotExists:   "订单不存在",
	refund.CodeParamError:          "参数错误",
}

// Error is the documented answer with code to a request of api. RESOURCE_NOT_EXISTS names
// what is missing as each API's table does: the order for an apply, the refund otherwise
// (seed 001, seed 002).
func Error(code, api string) *refund.Error {
	msg := messages[code]
	if code == refund.CodeResourceNotExists && !isApply(api) {
		msg = "退款单不存在"
	}
	return &refund.Error{Code: code, Message: msg}
}
