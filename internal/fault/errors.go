package fault

import "github.com/tuikuan/tuikuan/internal/pay"

// Codes are the errors a rule can answer with: the refund APIs' documented ones (the
// e-commerce refund apply's error table). Their HTTP statuses come from apiv3's one table.
// https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml
var Codes = []string{
	pay.CodeSystemError,
	pay.CodeFrequencyLimited,
	pay.CodeNotEnough,
	pay.CodeUserAccountAbnormal,
	pay.CodeNoAuth,
	pay.CodeRequestBlocked,
	pay.CodeInvalidRequest,
	pay.CodeResourceNotExists,
	pay.CodeParamError,
}

// messages are what the real service says with each code: the observed text where one is
// known (NOT_ENOUGH's), else the description column of that table with its remedy
// where the remedy is what a client should do.
var messages = map[string]string{
	pay.CodeSystemError:         "系统异常，请稍后重试",
	pay.CodeFrequencyLimited:    "频率限制，请降低频率后重试",
	pay.CodeNotEnough:           "基本账户余额不足，请充值后重新发起",
	pay.CodeUserAccountAbnormal: "退款请求失败",
	pay.CodeNoAuth:              "没有退款权限",
	pay.CodeRequestBlocked:      "请求受阻",
	pay.CodeInvalidRequest:      "请求参数符合参数格式，但不符合业务规则",
	pay.CodeResourceNotExists:   "订单不存在",
	pay.CodeParamError:          "参数错误",
}

// Error is the documented answer with code to a request of api. RESOURCE_NOT_EXISTS names
// what is missing as each API's table does: the order for an apply, the refund otherwise
// (发起异常退款 and 申请退款's error tables):
// https://pay.weixin.qq.com/docs/partner/apis/refund/refunds/create-abnormal-refund.html
// https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml
func Error(code, api string) *pay.Error {
	msg := messages[code]
	if code == pay.CodeResourceNotExists && !isApply(api) {
		msg = "退款单不存在"
	}
	return &pay.Error{Code: code, Message: msg}
}
