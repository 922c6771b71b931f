package jsonapi

import (
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// statuses is the one table from WeChat Pay error code to HTTP status, for APIv3 and the
// sandbox API alike (https://pay.weixin.qq.com/wiki/doc/apiv3/Share/error_code.shtml and
// the refund apply's table, https://pay.weixin.qq.com/doc/v3/merchant/4012556457).
var statuses = map[string]int{
	pay.CodeParamError:          http.StatusBadRequest,
	pay.CodeInvalidRequest:      http.StatusBadRequest,
	pay.CodeMchNotExists:        http.StatusBadRequest,
	pay.CodeSignError:           http.StatusUnauthorized,
	pay.CodeNotEnough:           http.StatusForbidden,
	pay.CodeUserAccountAbnormal: http.StatusForbidden,
	pay.CodeNoAuth:              http.StatusForbidden,
	pay.CodeRequestBlocked:      http.StatusForbidden,
	pay.CodeResourceNotExists:   http.StatusNotFound,
	pay.CodeFrequencyLimited:    http.StatusTooManyRequests,
	pay.CodeSystemError:         http.StatusInternalServerError,
	pay.CodeInvalidState:        http.StatusConflict,
	pay.CodeUnauthorized:        http.StatusUnauthorized,
	CodeMethodNotAllowed:        http.StatusMethodNotAllowed,

	// Orders (https://pay.weixin.qq.com/doc/v3/merchant/4012791897 and
	// https://pay.weixin.qq.com/doc/v3/merchant/4012556398, 错误码).
	pay.CodeAppidMchidNotMatch: http.StatusBadRequest,
	pay.CodeOrderClosed:        http.StatusBadRequest,
	pay.CodeOutTradeNoUsed:     http.StatusForbidden,
	pay.CodeTradeError:         http.StatusForbidden,
	pay.CodeOrderNotExist:      http.StatusNotFound,

	// Merchant coupons (https://pay.weixin.qq.com/doc/v3/merchant/4015715938).
	pay.CodeResourceAlreadyExists: http.StatusBadRequest,
	pay.CodeRuleLimit:             http.StatusForbidden,
}

// CodeMethodNotAllowed answers a known path called with the wrong method: 405 in
// https://pay.weixin.qq.com/wiki/doc/apiv3/Share/error_code.shtml.
const CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"

// Status returns the HTTP status for a wire error code; unknown codes are 500.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
