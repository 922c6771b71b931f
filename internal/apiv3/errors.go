package apiv3

import (
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// statuses is the one table from WeChat Pay error code to HTTP status (seed 002 error
// table, protocol.md §5.6 and §11.2). The sandbox API uses it too.
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
	codeMethodNotAllowed:        http.StatusMethodNotAllowed,

	// Merchant coupons (seed 003).
	pay.CodeResourceAlreadyExists: http.StatusBadRequest,
	pay.CodeRuleLimit:             http.StatusForbidden,
}

// codeMethodNotAllowed answers a known path called with the wrong method (§11.2: 405).
const codeMethodNotAllowed = "METHOD_NOT_ALLOWED"

// Status returns the HTTP status for a wire error code; unknown codes are 500.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
