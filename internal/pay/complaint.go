package pay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// ComplaintState is where a complaint is
// (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter10_2_13.shtml).
type ComplaintState string

// Complaint states.
const (
	ComplaintPending    ComplaintState = "PENDING"
	ComplaintProcessing ComplaintState = "PROCESSING"
	ComplaintProcessed  ComplaintState = "PROCESSED"
)

// Complaint problem types, refund approval actions and the user tag that makes a refund
// complaint one the merchant approves through update-refund-progress.
const (
	ProblemRefund         = "REFUND"
	ProblemServiceNotWork = "SERVICE_NOT_WORK"
	ProblemOthers         = "OTHERS"

	ActionApprove = "APPROVE"
	ActionReject  = "REJECT"

	TagTrusted = "TRUSTED"
)

// Negotiation history operate types
// (https://pay.weixin.qq.com/docs/partner/changelog/consumer-complaint.html).
const (
	OpUserCreate       = "USER_CREATE_COMPLAINT"
	OpUserContinue     = "USER_CONTINUE_COMPLAINT"
	OpUserResponse     = "USER_RESPONSE"
	OpMerchantResponse = "MERCHANT_RESPONSE"
	OpMerchantComplete = "MERCHANT_CONFIRM_COMPLETE"
	OpApproveRefund    = "MERCHANT_APPROVE_REFUND"
	// OpRefuseRefund keeps the docs' misspelling: clients match on it
	// (https://pay.weixin.qq.com/docs/partner/changelog/consumer-complaint.html).
	OpRefuseRefund   = "MERCHANT_REFUSE_RERUND"
	OpRefundReceived = "COMPLAINT_REFUND_RECEIVED_SYSTEM_MESSAGE"
)

// Complaint is a user's complaint about one paid order (消费者投诉2.0).
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

// ImageURL is how complaint objects name an image
// (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter10_2_13.shtml).
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

// CreateComplaint files a user's complaint about a paid order.
func (s *Service) CreateComplaint(ctx context.Context, q ComplaintRequest) (*Complaint, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	var out *Complaint
	err := s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.OrderByID(ctx, q.TransactionID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgOrderNotExist)
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		c := &Complaint{
			ID: "2002" + now.In(Beijing).Format("20060102") + wxcrypto.Digits(15), Mchid: t.Mchid, SpMchid: t.SpMchid,
			TransactionID: t.ID, OutTradeNo: t.OutTradeNo, Amount: t.Total, State: ComplaintPending,
			ProblemType: q.ProblemType, Detail: q.Detail, PayerOpenid: "o" + wxcrypto.Hex(14),
			UserTags: q.UserTags, Media: q.Media, UserComplaintTimes: 1, CreateTime: now, UpdateTime: now,
		}
		if q.ApplyRefundAmount != nil {
			c.ApplyRefundAmount = *q.ApplyRefundAmount
		}
		if c.UserTags == nil && c.ProblemType == ProblemRefund {
			c.UserTags = []string{TagTrusted}
		}
		if q.PayerPhone != "" {
			if s.Sealer == nil {
				return errors.New("create complaint: no sealer configured for payer phones")
			}
			if c.SealedPayerPhone, err = s.Sealer.Seal(q.PayerPhone); err != nil {
				return fmt.Errorf("seal payer phone: %w", err)
			}
		}
		if err := tx.InsertComplaint(ctx, c); err != nil {
			return fmt.Errorf("insert complaint: %w", err)
		}
		out = c
		return s.logComplaint(ctx, tx, c, "用户", OpUserCreate, q.Detail, q.Media, "CREATE_COMPLAINT")
	})
	return out, err
}

// UserMessage adds the user's message to a complaint (the sandbox's user side).
func (s *Service) UserMessage(ctx context.Context, id, text string, media []string) (*Complaint, error) {
	if text == "" {
		return nil, ParamError("content", "字段必填", nil)
	}
	return s.userAct(ctx, id, func(c *Complaint) (string, string, error) {
		if c.State == ComplaintProcessed {
			return "", "", Errorf(CodeInvalidState, "投诉单已处理完成，用户请使用继续投诉")
		}
		c.IncomingUserResponse = true
		return OpUserResponse, text, nil
	}, media)
}

// ContinueComplaint reopens a complaint the user is not satisfied with (用户继续投诉).
func (s *Service) ContinueComplaint(ctx context.Context, id, text string) (*Complaint, error) {
	return s.userAct(ctx, id, func(c *Complaint) (string, string, error) {
		c.State = ComplaintPending
		c.UserComplaintTimes++
		c.RefundAction, c.LaunchRefundDay = "", 0
		if text == "" {
			text = "用户继续投诉"
		}
		return OpUserContinue, text, nil
	}, nil)
}

func (s *Service) userAct(ctx context.Context, id string, act func(*Complaint) (op, details string, err error), media []string) (*Complaint, error) {
	var out *Complaint
	err := s.store.Update(ctx, func(tx Tx) error {
		c, err := tx.Complaint(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgComplaintNotExist)
		}
		if err != nil {
			return err
		}
		op, details, err := act(c)
		if err != nil {
			return err
		}
		out = c
		action := OpUserResponse
		if op == OpUserContinue {
			action = "CONTINUE_COMPLAINT"
		}
		return s.changeComplaint(ctx, tx, c, "用户", op, details, media, action)
	})
	return out, err
}

// complaintOf finds a complaint caller may see: its own, or a sub-merchant's for its
// partner. Anyone else's is as absent as one that does not exist.
func complaintOf(ctx context.Context, tx Tx, caller, id string) (*Complaint, error) {
	c, err := tx.Complaint(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && c.Mchid != caller && c.SpMchid != caller) {
		return nil, Errorf(CodeResourceNotExists, msgComplaintNotExist)
	}
	return c, err
}

// Complaint returns caller's complaint with its payer phone opened.
func (s *Service) Complaint(ctx context.Context, caller, id string) (*Complaint, error) {
	var out *Complaint
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = complaintOf(ctx, tx, caller, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, s.openPhone(out)
}

func (s *Service) openPhone(c *Complaint) error {
	if c.SealedPayerPhone == "" || s.Sealer == nil {
		return nil
	}
	var err error
	if c.PayerPhone, err = s.Sealer.Open(c.SealedPayerPhone); err != nil {
		return fmt.Errorf("open payer phone of complaint %s: %w", c.ID, err)
	}
	return nil
}

// ComplaintQuery is the list API's query; dates are Beijing dates, yyyy-MM-dd.
type ComplaintQuery struct {
	Caller, ComplaintedMchid string
	BeginDate, EndDate       string
	Limit, Offset            int
}

// maxComplaintSpan is the list API's widest date range
// (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter10_2_11.shtml).
const maxComplaintSpan = 30 * 24 * time.Hour

// Complaints lists caller's complaints (a partner's: its sub-merchants') in a date range.
func (s *Service) Complaints(ctx context.Context, q ComplaintQuery) ([]*Complaint, int, error) {
	f := ComplaintFilter{Mchid: q.Caller, Sub: q.ComplaintedMchid, Limit: q.Limit, Offset: q.Offset}
	var err error
	if f.Begin, err = beijingDate("begin_date", q.BeginDate); err != nil {
		return nil, 0, err
	}
	if f.End, err = beijingDate("end_date", q.EndDate); err != nil {
		return nil, 0, err
	}
	switch {
	case f.End.Before(f.Begin):
		return nil, 0, queryError("end_date", "结束日期不能早于开始日期", q.EndDate)
	case f.End.Sub(f.Begin) > maxComplaintSpan:
		return nil, 0, queryError("end_date", "查询时间跨度不能超过30天", q.EndDate)
	case q.Limit < 1 || q.Limit > 50:
		return nil, 0, queryError("limit", "取值范围为1到50", q.Limit)
	case q.Offset < 0:
		return nil, 0, queryError("offset", "不能小于0", q.Offset)
	}
	f.End = f.End.AddDate(0, 0, 1) // the end date is included
	var out []*Complaint
	var total int
	err = s.store.View(ctx, func(tx Tx) error {
		if q.ComplaintedMchid != "" && q.ComplaintedMchid != q.Caller {
			sub, err := tx.Merchant(ctx, q.ComplaintedMchid)
			if errors.Is(err, ErrNotFound) || (err == nil && sub.SpMchid != q.Caller) {
				return Errorf(CodeNoAuth, "无权查询商户%s的投诉单", q.ComplaintedMchid)
			}
			if err != nil {
				return err
			}
		}
		var err error
		out, total, err = tx.Complaints(ctx, f)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	for _, c := range out {
		if err := s.openPhone(c); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

func beijingDate(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, queryError(field, "字段必填", nil)
	}
	t, err := time.ParseInLocation(time.DateOnly, v, Beijing)
	if err != nil {
		return time.Time{}, queryError(field, "日期格式应为yyyy-MM-dd", v)
	}
	return t, nil
}

func queryError(field, issue string, value any) *Error {
	e := ParamError(field, issue, value)
	e.Location = "query"
	e.Message = fmt.Sprintf("输入源“/query/%s”映射到值字段“%s”校验失败：%s", field, field, issue)
	return e
}

// ComplaintHistory is caller's complaint's negotiation history, a page of it and its size.
func (s *Service) ComplaintHistory(ctx context.Context, caller, id string, limit, offset int) ([]*ComplaintLog, int, error) {
	switch {
	case limit < 1 || limit > 300:
		return nil, 0, queryError("limit", "取值范围为1到300", limit)
	case offset < 0:
		return nil, 0, queryError("offset", "不能小于0", offset)
	}
	var logs []*ComplaintLog
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := complaintOf(ctx, tx, caller, id); err != nil {
			return err
		}
		var err error
		logs, err = tx.ComplaintLogs(ctx, id)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	total := len(logs)
	logs = logs[min(offset, total):min(offset+limit, total)]
	return logs, total, nil
}

// ComplaintReply is POST …/complaints-v2/{id}/response
// (https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/response-complaint-v2.html).
type ComplaintReply struct {
	Caller, ComplaintID, ComplaintedMchid string
	Content                               string
	Images                                []string
	JumpURL, JumpURLText                  string
}

// ReplyComplaint records the merchant's reply; the first moves PENDING to PROCESSING
// (doc response-complaint-v2.html).
func (s *Service) ReplyComplaint(ctx context.Context, q ComplaintReply) error {
	return s.merchantAct(ctx, q.Caller, q.ComplaintID, q.ComplaintedMchid, func(tx Tx, c *Complaint, partner bool) error {
		limit := 200
		if partner {
			// "服务商≤500" (https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/response-complaint-v2.html)
			limit = 500
		}
		switch n := utf8.RuneCountInString(q.Content); {
		case n == 0:
			return ParamError("response_content", "字段必填", nil)
		case n > limit:
			return ParamError("response_content", fmt.Sprintf("长度不能超过%d个字符", limit), nil)
		case (q.JumpURL == "") != (q.JumpURLText == ""):
			return ParamError("jump_url", "jump_url与jump_url_text需同时填写", q.JumpURL)
		case q.JumpURL != "" && (!strings.HasPrefix(q.JumpURL, "https://") || len(q.JumpURL) > 512):
			return ParamError("jump_url", "必须是https链接，且不超过512个字符", q.JumpURL)
		case utf8.RuneCountInString(q.JumpURLText) > 10:
			return ParamError("jump_url_text", "长度不能超过10个字符", q.JumpURLText)
		}
		urls, err := ownImages(ctx, tx, q.Caller, "response_images", q.Images)
		if err != nil {
			return err
		}
		if c.State == ComplaintProcessed {
			return Errorf(CodeInvalidRequest, "投诉单已处理完成，不能回复")
		}
		if c.State == ComplaintPending {
			c.State = ComplaintProcessing
		}
		c.IncomingUserResponse = false
		return s.changeComplaint(ctx, tx, c, "商户", OpMerchantResponse, q.Content, urls, "MERCHANT_RESPONSE")
	})
}

// CompleteComplaint marks a complaint handled (doc complete-complaint-v2.html).
func (s *Service) CompleteComplaint(ctx context.Context, caller, id, complaintedMchid string) error {
	return s.merchantAct(ctx, caller, id, complaintedMchid, func(tx Tx, c *Complaint, _ bool) error {
		if c.State == ComplaintProcessed {
			return Errorf(CodeInvalidRequest, "投诉单已处理完成，请勿重复操作")
		}
		c.State = ComplaintProcessed
		return s.changeComplaint(ctx, tx, c, "商户", OpMerchantComplete, "商户反馈处理完成", nil, "MERCHANT_CONFIRM_COMPLETE")
	})
}

// RefundProgress is POST …/complaints-v2/{id}/update-refund-progress.
type RefundProgress struct {
	Caller, ComplaintID string
	Action              string
	LaunchRefundDay     *int64
	RejectReason        string
	RejectMedia         []string
	Remark              string
}

func (q RefundProgress) validate() error {
	switch {
	case q.Action != ActionApprove && q.Action != ActionReject:
		return ParamError("action", "取值必须是 APPROVE、REJECT 之一", q.Action)
	case utf8.RuneCountInString(q.Remark) > 200:
		return ParamError("remark", "长度不能超过200个字符", nil)
	}
	if q.Action == ActionApprove {
		// The reject fields only mean something "在拒绝退款时", and the document's own
		// request example sends them with APPROVE, so APPROVE ignores them
		// (https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/update-refund-progress.html, 请求参数 and 请求示例).
		if q.LaunchRefundDay != nil && *q.LaunchRefundDay < 0 {
			return ParamError("launch_refund_day", "不能小于0", *q.LaunchRefundDay)
		}
		return nil
	}
	switch {
	// A merchant saw HTTP 400 for launch_refund_day sent with REJECT.
	case q.LaunchRefundDay != nil:
		return ParamError("launch_refund_day", "拒绝退款时不能填写预计发起退款时间", *q.LaunchRefundDay)
	// reject_reason is 选填 even with REJECT; only its length is checked
	// (https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/update-refund-progress.html, 请求参数).
	case utf8.RuneCountInString(q.RejectReason) > 200:
		return ParamError("reject_reason", "长度不能超过200个字符", nil)
	case len(q.RejectMedia) > 4:
		return ParamError("reject_media_list", "最多上传4张图片", len(q.RejectMedia))
	}
	return nil
}

// UpdateRefundProgress records the merchant's approval or rejection of a refund
// complaint: REJECT closes the complaint at once; APPROVE closes it once the refunds
// answer the user's request (refundAnswered), now or as they succeed (onRefundSuccess).
func (s *Service) UpdateRefundProgress(ctx context.Context, q RefundProgress) error {
	if err := q.validate(); err != nil {
		return err
	}
	return s.merchantAct(ctx, q.Caller, q.ComplaintID, "", func(tx Tx, c *Complaint, _ bool) error {
		// The message WeChat Pay answers when user_tag_list lacks TRUSTED.
		if !c.Trusted() {
			return Errorf(CodeParamError, "非极速退款单据, 不能对本单据进行退款进度更新")
		}
		var urls []string
		if q.Action == ActionReject {
			var err error
			if urls, err = ownImages(ctx, tx, q.Caller, "reject_media_list", q.RejectMedia); err != nil {
				return err
			}
		}
		if c.State == ComplaintProcessed || c.RefundAction != "" {
			return Errorf(CodeInvalidRequest, "投诉单已更新过退款审批结果或已处理完成")
		}
		c.RefundAction = q.Action
		if q.Action == ActionReject {
			c.State = ComplaintProcessed
			return s.changeComplaint(ctx, tx, c, "商户", OpRefuseRefund, q.RejectReason, urls, "MERCHANT_REJECT_REFUND")
		}
		if q.LaunchRefundDay != nil {
			c.LaunchRefundDay = int(*q.LaunchRefundDay)
		}
		c.State = ComplaintProcessing
		details := fmt.Sprintf("商户同意退款，预计%d个工作日内发起退款", c.LaunchRefundDay)
		if err := s.changeComplaint(ctx, tx, c, "商户", OpApproveRefund, details, nil, "MERCHANT_APPROVE_REFUND"); err != nil {
			return err
		}
		// The merchant may have refunded before approving; the money has then already
		// arrived and nothing later would close the complaint.
		rs, err := tx.RefundsOfOrder(ctx, c.TransactionID)
		if err != nil {
			return fmt.Errorf("list refunds of %s: %w", c.TransactionID, err)
		}
		if !c.refundAnswered(rs) {
			return nil
		}
		return s.refundReceived(ctx, tx, c, fmt.Sprintf("用户申请的退款已到账（已退款%d分）", c.refundedSince(rs)))
	})
}

// merchantAct runs act on caller's complaint id in one transaction. complaintedMchid,
// when the API has it, must name the complaint's merchant: a partner acts for its
// sub-merchant by naming it.
func (s *Service) merchantAct(ctx context.Context, caller, id, complaintedMchid string, act func(tx Tx, c *Complaint, partner bool) error) error {
	return s.store.Update(ctx, func(tx Tx) error {
		c, err := complaintOf(ctx, tx, caller, id)
		if err != nil {
			return err
		}
		if complaintedMchid != "" && complaintedMchid != c.Mchid {
			return ParamError("complainted_mchid", "被诉商户号与投诉单不符", complaintedMchid)
		}
		return act(tx, c, c.SpMchid == caller)
	})
}

// ownImages checks that every media id is one of caller's uploads and returns their URLs.
func ownImages(ctx context.Context, tx Tx, caller, field string, ids []string) ([]string, error) {
	if len(ids) > 4 {
		return nil, ParamError(field, "最多上传4张图片", len(ids))
	}
	var urls []string
	for _, id := range ids {
		im, err := tx.Image(ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && im.Mchid != caller) {
			return nil, ParamError(field, "media_id不存在或不属于本商户", id)
		}
		if err != nil {
			return nil, err
		}
		urls = append(urls, ImageURL(id))
	}
	return urls, nil
}

// changeComplaint saves c and logs the change in its history, with the notification
// it owes.
func (s *Service) changeComplaint(ctx context.Context, tx Tx, c *Complaint, operator, op, details string, images []string, action string) error {
	c.UpdateTime = s.clock.Now()
	if err := tx.UpdateComplaint(ctx, c); err != nil {
		return fmt.Errorf("update complaint %s: %w", c.ID, err)
	}
	return s.logComplaint(ctx, tx, c, operator, op, details, images, action)
}

func (s *Service) logComplaint(ctx context.Context, tx Tx, c *Complaint, operator, op, details string, images []string, action string) error {
	now := s.clock.Now()
	l := &ComplaintLog{
		ID: "3002" + now.In(Beijing).Format("20060102") + wxcrypto.Digits(15), ComplaintID: c.ID,
		Operator: operator, OperateType: op, Details: details, Images: images, Time: now,
	}
	if err := tx.InsertComplaintLog(ctx, l); err != nil {
		return fmt.Errorf("log complaint %s: %w", c.ID, err)
	}
	return s.oweComplaint(ctx, tx, c, action, now)
}

// onRefundSuccess is what a refund's success owes the complaints of its order: each
// whose refund the merchant approved is done once the money the user asked for arrives
// ("退款到账后，投诉单的状态将自动扭转为“处理完成”",
// https://pay.weixin.qq.com/doc/v3/merchant/4012467256, 更新退款审批结果). It runs in
// transition's transaction.
func (s *Service) onRefundSuccess(ctx context.Context, tx Tx, r *Refund) error {
	cs, err := tx.ComplaintsOfOrder(ctx, r.TransactionID)
	if err != nil || len(cs) == 0 {
		return err
	}
	rs, err := tx.RefundsOfOrder(ctx, r.TransactionID)
	if err != nil {
		return fmt.Errorf("list refunds of %s: %w", r.TransactionID, err)
	}
	for _, c := range cs {
		answered := c.refundAnswered(rs)
		if c.RefundAction != ActionApprove || c.State == ComplaintProcessed || !answered {
			c.UpdateTime = s.clock.Now()
			if err := tx.UpdateComplaint(ctx, c); err != nil {
				return fmt.Errorf("update complaint %s: %w", c.ID, err)
			}
			continue
		}
		details := fmt.Sprintf("退款%d分已到账（退款单号%s）", r.Amount.Refund, r.ID)
		if err := s.refundReceived(ctx, tx, c, details); err != nil {
			return err
		}
	}
	return nil
}

// refundReceived closes an approved refund complaint whose money has arrived.
func (s *Service) refundReceived(ctx context.Context, tx Tx, c *Complaint, details string) error {
	c.State = ComplaintProcessed
	return s.changeComplaint(ctx, tx, c, "微信支付", OpRefundReceived, details, nil, "REFUND_SUCCESS")
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
// COMPLAINT.STATE_CHANGE
// (https://pay.weixin.qq.com/doc/v3/merchant/4012289719).
func (s *Service) oweComplaint(ctx context.Context, tx Tx, c *Complaint, action string, now time.Time) error {
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
