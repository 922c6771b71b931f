package apiv3

import (
	"net/http"

	"github.com/tuikuan/tuikuan/internal/refund"
)

// statuses is the one table from WeChat Pay error code to HTTP status (seed 002 error
// table, protocol.md §5.6 and §11.2). The sandbox API uses it too.
var statuses = map[string]int{
	refund.CodeParamError:          http.StatusBadRequest,
	refund.CodeInvalidRequest:      http.StatusBadRequest,
	refund.CodeMchNotExists:        http.StatusBadRequest,
	refund.CodeSignError:           http.StatusUnauthorized,
	refund.CodeNotEnough:           http.StatusForbidden,
	refund.CodeUserAccountAbnormal: http.StatusForbidden,
	refund.CodeNoAuth:              http.StatusForbidden,
	refund.CodeRequestBlocked:      http.StatusForbidden,
	refund.CodeResourceNotExists:   http.StatusNotFound,
	refund.CodeFrequencyLimited:    http.StatusTooManyRequests,
	refund.CodeSystemError:         http.StatusInternalServerError,
	refund.CodeInvalidState:        http.StatusConflict,
	refund.CodeUnauthorized:        http.StatusUnauthorized,
	codeMethodNotAllowed:           http.StatusMethodNotAllowed,

	// Merchant coupons (seed 003).
	refund.CodeResourceAlreadyExists: http.StatusBadRequest,
	refund.CodeRuleLimit:             http.StatusForbidden,
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
