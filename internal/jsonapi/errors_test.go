package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/pay"
)

func TestErrorBody(t *testing.T) {
	secret := errors.New("open /var/lib/tuikuan/tuikuan.db: database is locked")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       Envelope
	}{
		{
			name: "PlainError", err: secret, wantStatus: http.StatusInternalServerError,
			want: Envelope{Code: "SYSTEM_ERROR", Message: "系统异常，请稍后重试"},
		},
		{
			name: "WrappedPlainError", err: fmt.Errorf("apply: %w", secret), wantStatus: http.StatusInternalServerError,
			want: Envelope{Code: "SYSTEM_ERROR", Message: "系统异常，请稍后重试"},
		},
		{
			name: "RefundError", err: pay.Errorf(pay.CodeInvalidRequest, "申请退款金额超过订单可退金额"), wantStatus: http.StatusBadRequest,
			want: Envelope{Code: "INVALID_REQUEST", Message: "申请退款金额超过订单可退金额"},
		},
		{
			name: "WrappedRefundError", err: fmt.Errorf("apply: %w", pay.Errorf(pay.CodeFrequencyLimited, "频率限制")), wantStatus: http.StatusTooManyRequests,
			want: Envelope{Code: "FREQUENCY_LIMITED", Message: "频率限制"},
		},
		{
			name: "ParamError", err: pay.ParamError("amount.refund", "退款金额必须大于等于1分", int64(0)), wantStatus: http.StatusBadRequest,
			want: Envelope{
				Code:    "PARAM_ERROR",
				Message: "输入源“/body/amount/refund”映射到值字段“amount.refund”校验失败：退款金额必须大于等于1分",
				Detail:  ParamDetail{Field: "amount.refund", Value: int64(0), Issue: "退款金额必须大于等于1分", Location: "body"},
			},
		},
		{
			name: "NotFound", err: pay.Errorf(pay.CodeResourceNotExists, "退款单不存在"), wantStatus: http.StatusNotFound,
			want: Envelope{Code: "RESOURCE_NOT_EXISTS", Message: "退款单不存在"},
		},
		{
			name: "UnknownCode", err: pay.Errorf("SOMETHING_NEW", "x"), wantStatus: http.StatusInternalServerError,
			want: Envelope{Code: "SOMETHING_NEW", Message: "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := ErrorBody(tt.err)
			if status != tt.wantStatus {
				t.Errorf("ErrorBody(%v) status = %d, want %d", tt.err, status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ErrorBody(%v) mismatch (-want +got):\n%s", tt.err, diff)
			}
			wire, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("json.Marshal(ErrorBody(%v)): %v", tt.err, err)
			}
			if strings.Contains(string(wire), "database is locked") || strings.Contains(string(wire), "/var/lib") {
				t.Errorf("ErrorBody(%v) = %s, leaks the internal error", tt.err, wire)
			}
		})
	}
}
