package sandbox

import (
	"net/http"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// complaintBody is POST /sandbox/v1/complaints: the user's complaint.
type complaintBody struct {
	TransactionID     string   `json:"transaction_id"`
	ProblemType       string   `json:"problem_type"`
	ApplyRefundAmount *int64   `json:"apply_refund_amount"`
	ComplaintDetail   string   `json:"complaint_detail"`
	PayerPhone        string   `json:"payer_phone"`
	UserTagList       []string `json:"user_tag_list"`
	Media             []string `json:"media"`
}

// complaintJSON is what the sandbox shows of a complaint; the phone stays sealed.
type complaintJSON struct {
	ComplaintID          string   `json:"complaint_id"`
	ComplaintedMchid     string   `json:"complainted_mchid"`
	SpMchid              string   `json:"sp_mchid,omitempty"`
	TransactionID        string   `json:"transaction_id"`
	ComplaintState       string   `json:"complaint_state"`
	ProblemType          string   `json:"problem_type"`
	ApplyRefundAmount    int64    `json:"apply_refund_amount"`
	UserTagList          []string `json:"user_tag_list"`
	IncomingUserResponse bool     `json:"incoming_user_response"`
	UserComplaintTimes   int      `json:"user_complaint_times"`
	RefundAction         string   `json:"refund_action,omitempty"`
	ComplaintTime        string   `json:"complaint_time"`
}

func complaintView(c *pay.Complaint) complaintJSON {
	return complaintJSON{
		ComplaintID: c.ID, ComplaintedMchid: c.Mchid, SpMchid: c.SpMchid, TransactionID: c.TransactionID,
		ComplaintState: string(c.State), ProblemType: c.ProblemType, ApplyRefundAmount: c.ApplyRefundAmount,
		UserTagList: c.UserTags, IncomingUserResponse: c.IncomingUserResponse, UserComplaintTimes: c.UserComplaintTimes,
		RefundAction: c.RefundAction, ComplaintTime: c.CreateTime.In(pay.Beijing).Format(time.RFC3339),
	}
}

func (h *handler) createComplaint(r *http.Request) (any, error) {
	var b complaintBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	c, err := h.svc.Complaints.Create(r.Context(), pay.ComplaintRequest{
		TransactionID: b.TransactionID, ProblemType: b.ProblemType, ApplyRefundAmount: b.ApplyRefundAmount,
		Detail: b.ComplaintDetail, PayerPhone: b.PayerPhone, UserTags: b.UserTagList, Media: b.Media,
	})
	if err != nil {
		return nil, err
	}
	return complaintView(c), nil
}

func (h *handler) complaintMessage(r *http.Request) (any, error) {
	var b struct {
		Content string   `json:"content"`
		Media   []string `json:"media"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	c, err := h.svc.Complaints.UserMessage(r.Context(), r.PathValue("complaint_id"), b.Content, b.Media)
	if err != nil {
		return nil, err
	}
	return complaintView(c), nil
}

func (h *handler) continueComplaint(r *http.Request) (any, error) {
	var b struct {
		Content string `json:"content"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &b); err != nil {
			return nil, err
		}
	}
	c, err := h.svc.Complaints.Continue(r.Context(), r.PathValue("complaint_id"), b.Content)
	if err != nil {
		return nil, err
	}
	return complaintView(c), nil
}
