package pay

import (
	"strings"
	"testing"
)

func TestRefundProgress_Validate(t *testing.T) {
	day := func(n int64) *int64 { return &n }
	tests := []struct {
		name  string
		q     RefundProgress
		field string // "" when valid
	}{
		{"Approve", RefundProgress{Action: ActionApprove, LaunchRefundDay: day(3)}, ""},
		{"ApproveToday", RefundProgress{Action: ActionApprove, LaunchRefundDay: day(0)}, ""},
		{"ApproveNoDay", RefundProgress{Action: ActionApprove}, ""},
		{"Reject", RefundProgress{Action: ActionReject, RejectReason: "拒绝退款", RejectMedia: []string{"a", "b", "c", "d"}}, ""},
		{"Reject200", RefundProgress{Action: ActionReject, RejectReason: strings.Repeat("拒", 200)}, ""},
		{"NoAction", RefundProgress{}, "action"},
		{"NegativeDay", RefundProgress{Action: ActionApprove, LaunchRefundDay: day(-1)}, "launch_refund_day"},
		{"ApproveWithReason", RefundProgress{Action: ActionApprove, RejectReason: "x", RejectMedia: []string{"aabbccdd"}}, ""},
		{"ApproveIgnoresRejectLimits", RefundProgress{Action: ActionApprove, RejectReason: strings.Repeat("拒", 201), RejectMedia: []string{"a", "b", "c", "d", "e"}}, ""},
		{"RejectWithDay", RefundProgress{Action: ActionReject, RejectReason: "x", LaunchRefundDay: day(1)}, "launch_refund_day"},
		{"RejectNoReason", RefundProgress{Action: ActionReject}, ""},
		{"Reject201", RefundProgress{Action: ActionReject, RejectReason: strings.Repeat("拒", 201)}, "reject_reason"},
		{"FiveImages", RefundProgress{Action: ActionReject, RejectReason: "x", RejectMedia: []string{"a", "b", "c", "d", "e"}}, "reject_media_list"},
		{"LongRemark", RefundProgress{Action: ActionApprove, Remark: strings.Repeat("备", 201)}, "remark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("validate() = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != CodeParamError || e.Field != tt.field {
				t.Errorf("validate() = %v, want PARAM_ERROR on %s", err, tt.field)
			}
		})
	}
}

func TestComplaint_Trusted(t *testing.T) {
	tests := []struct {
		problem string
		tags    []string
		want    bool
	}{
		{ProblemRefund, []string{TagTrusted}, true},
		{ProblemRefund, []string{"OTHER", TagTrusted}, true},
		{ProblemRefund, nil, false},
		{ProblemOthers, []string{TagTrusted}, false},
	}
	for _, tt := range tests {
		c := &Complaint{ProblemType: tt.problem, UserTags: tt.tags}
		if got := c.Trusted(); got != tt.want {
			t.Errorf("Complaint{%s %v}.Trusted() = %v, want %v", tt.problem, tt.tags, got, tt.want)
		}
	}
}
