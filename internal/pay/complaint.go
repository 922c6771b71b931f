package pay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ComplaintState is where a complaint is (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉单详情).
type ComplaintState string

// Query states.
const (
	ComplaintPending    ComplaintState = "PENDING"
	ComplaintProcessing ComplaintState = "PROCESSING"
	ComplaintProcessed  ComplaintState = "PROCESSED"
)

// Query problem types, refund approval actions and the user tag that makes a refund
// complaint one the merchant approves through update-refund-progress.
const (
	ProblemRefund         = "REFUND"
	ProblemServiceNotWork = "SERVICE_NOT_WORK"
	ProblemOthers         = "OTHERS"

	ActionApprove = "APPROVE"
	ActionReject  = "REJECT"

	TagTrusted = "TRUSTED"
)

// Negotiation history operate types (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉协商历史).
const (
	OpUserCreate       = "USER_CREATE_COMPLAINT"
	OpUserContinue     = "USER_CONTINUE_COMPLAINT"
	OpUserResponse     = "USER_RESPONSE"
	OpMerchantResponse = "MERCHANT_RESPONSE"
	OpMerchantComplete = "MERCHANT_CONFIRM_COMPLETE"
	OpApproveRefund    = "MERCHANT_APPROVE_REFUND"
	// OpRefuseRefund keeps the docs' misspelling: clients match on it (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉协商历史).
	OpRefuseRefund   = "MERCHANT_REFUSE_RERUND"
	OpRefundReceived = "COMPLAINT_REFUND_RECEIVED_SYSTEM_MESSAGE"
)

// Query is a user's complaint about one paid order (消费者投诉2.0).
type Complaint struct {
	ID            string
	Mchid         string // complainted_mchid: the order's merchant, the sub for a partner's order
	SpMchid       string
	TransactionID string
	OutTradeNo    string
	Amount        int64
	State         ComplaintState
	ProblemType   string
	// ApplyRefundAmount is what the user asks back, REFUND complaints only.
	ApplyRefundAmount int64
	Detail            string
	// SealedPayerPhone is the user's phone sealed at rest; PayerPhone is it opened,
	// filled by the Service's reads only.
	SealedPayerPhone     string
	PayerPhone           string
	PayerOpenid          string
	UserTags             []string
	Media                []string // URLs of the user's images
	FullRefunded         bool
	IncomingUserResponse bool
	UserComplaintTimes   int
	// RefundAction is the merchant's answer to a refund complaint: "", APPROVE, REJECT.
	RefundAction    string
	LaunchRefundDay int
	CreateTime      time.Time
	UpdateTime      time.Time
}

// Trusted reports whether c is a refund complaint the merchant may approve or reject
// ("极速退款单据").
func (c *Complaint) Trusted() bool {
	return c.ProblemType == ProblemRefund && slices.Contains(c.UserTags, TagTrusted)
}

// ComplaintLog is one entry of a complaint's negotiation history.
type ComplaintLog struct {
	ID          string
	ComplaintID string
	Operator    string
	OperateType string
	Details     string
	Images      []string // media URLs
	Time        time.Time
}

// Image is a merchant's uploaded image, a media_id the complaint APIs refer to.
type Image struct {
	MediaID     string
	Mchid       string
	Filename    string
	ContentType string
	Data        []byte
	CreateTime  time.Time
}

// MaxImageSize is the upload limit ("文件大小不能超过2M", wechatpay-go fileuploader doc).
const MaxImageSize = 2 << 20

// ImageURL is how complaint objects name an image (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉单详情).
func ImageURL(mediaID string) string {
	return "https://api.mch.weixin.qq.com/v3/merchant-service/images/" + mediaID
}

const msgComplaintNotExist = "投诉单不存在"

// ComplaintRequest is the user's complaint, made through the sandbox.
type ComplaintRequest struct {
	TransactionID     string
	ProblemType       string
	ApplyRefundAmount *int64
	Detail            string
	PayerPhone        string
	UserTags          []string // nil: TRUSTED for a REFUND complaint
	Media             []string
}

func (q ComplaintRequest) validate() error {
	switch {
	case q.TransactionID == "":
		return ParamError("transaction_id", "字段必填", nil)
	case q.ProblemType != ProblemRefund && q.ProblemType != ProblemServiceNotWork && q.ProblemType != ProblemOthers:
		return ParamError("problem_type", "取值必须是 REFUND、SERVICE_NOT_WORK、OTHERS 之一", q.ProblemType)
	case q.ApplyRefundAmount != nil && q.ProblemType != ProblemRefund:
		return ParamError("apply_refund_amount", "仅申请退款（REFUND）的投诉可以填写", *q.ApplyRefundAmount)
	case q.ApplyRefundAmount != nil && *q.ApplyRefundAmount <= 0:
		return ParamError("apply_refund_amount", "必须大于0", *q.ApplyRefundAmount)
	case q.Detail == "":
		return ParamError("complaint_detail", "字段必填", nil)
	}
	return nil
}

// refundAnswered sets c.FullRefunded from rs, the refunds of c's order, and reports
// whether they answer the user's request: the refunds that succeeded since the complaint
// reach what the user asked for — the whole order when the complaint names no amount —
// or the order is fully refunded. Refunds before the complaint are not what the user
// complained about, so they count only by leaving nothing more to refund.
func (c *Complaint) refundAnswered(rs []*Refund) bool {
	var all int64
	for _, r := range rs {
		if r.Status == StatusSuccess {
			all += r.Amount.Refund
		}
	}
	c.FullRefunded = all >= c.Amount
	asked := c.ApplyRefundAmount
	if asked == 0 {
		asked = c.Amount
	}
	return c.FullRefunded || c.refundedSince(rs) >= asked
}

// refundedSince sums the refunds of rs that succeeded since c was made.
func (c *Complaint) refundedSince(rs []*Refund) int64 {
	var n int64
	for _, r := range rs {
		if r.Status == StatusSuccess && !r.SuccessTime.Before(c.CreateTime) {
			n += r.Amount.Refund
		}
	}
	return n
}

// oweComplaint records the complaint notification an action owes, if the merchant set a
// complaint notification URL: the partner's for a partner's sub-merchant, whose APIv3
// key encrypts it. CREATE_COMPLAINT is COMPLAINT.CREATE, everything else
// COMPLAINT.STATE_CHANGE (https://pay.weixin.qq.com/doc/v3/merchant/4012289719).
func oweComplaint(ctx context.Context, tx Tx, c *Complaint, action string, now time.Time) error {
	to := c.Mchid
	if c.SpMchid != "" {
		to = c.SpMchid
	}
	url, err := tx.ComplaintNotifyURL(ctx, to)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ev, summary := "COMPLAINT.STATE_CHANGE", "投诉单状态变化"
	if action == "CREATE_COMPLAINT" {
		ev, summary = "COMPLAINT.CREATE", "产生新投诉"
	}
	n := &Notification{
		ID: newNotificationID(), ComplaintID: c.ID, Mchid: to, EventType: ev, Summary: summary,
		URL: url, OriginalType: "complaint",
		Complaint: &ComplaintSnapshot{ComplaintID: c.ID, Action: action},
		Status:    NotifyPending, NextAttemptAt: now, CreateTime: now, UpdateTime: now,
	}
	if err := tx.InsertNotification(ctx, n); err != nil {
		return fmt.Errorf("insert notification for complaint %s: %w", c.ID, err)
	}
	return nil
}
