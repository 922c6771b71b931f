package pay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Complaints is the consumer-complaint service: complaints, their negotiation, the
// images attached to them and the merchants' complaint notification URLs.
type Complaints struct{ core }

// Create files a user's complaint about a paid order.
func (s *Complaints) Create(ctx context.Context, q ComplaintRequest) (*Complaint, error) {
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
		if !t.Paid() {
			return Errorf(CodeInvalidState, "订单未支付，用户不能投诉")
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
func (s *Complaints) UserMessage(ctx context.Context, id, text string, media []string) (*Complaint, error) {
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

// Continue reopens a complaint the user is not satisfied with (用户继续投诉).
func (s *Complaints) Continue(ctx context.Context, id, text string) (*Complaint, error) {
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

func (s *Complaints) userAct(ctx context.Context, id string, act func(*Complaint) (op, details string, err error), media []string) (*Complaint, error) {
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

// Query returns caller's complaint with its payer phone opened.
func (s *Complaints) Query(ctx context.Context, caller, id string) (*Complaint, error) {
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

func (s *Complaints) openPhone(c *Complaint) error {
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

// maxComplaintSpan is the list API's widest date range (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter10_2_11.shtml).
const maxComplaintSpan = 30 * 24 * time.Hour

// List lists caller's complaints (a partner's: its sub-merchants') in a date range.
func (s *Complaints) List(ctx context.Context, q ComplaintQuery) ([]*Complaint, int, error) {
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

// History is caller's complaint's negotiation history, a page of it and its size.
func (s *Complaints) History(ctx context.Context, caller, id string, limit, offset int) ([]*ComplaintLog, int, error) {
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

// ComplaintReply is POST …/complaints-v2/{id}/response (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 回复用户).
type ComplaintReply struct {
	Caller, ComplaintID, ComplaintedMchid string
	Content                               string
	Images                                []string
	JumpURL, JumpURLText                  string
}

// Reply records the merchant's reply; the first moves PENDING to PROCESSING
// (doc response-complaint-v2.html).
func (s *Complaints) Reply(ctx context.Context, q ComplaintReply) error {
	return s.merchantAct(ctx, q.Caller, q.ComplaintID, q.ComplaintedMchid, func(tx Tx, c *Complaint, partner bool) error {
		limit := 200
		if partner {
			limit = 500 // "服务商≤500" (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 回复用户)
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

// Complete marks a complaint handled (doc complete-complaint-v2.html).
func (s *Complaints) Complete(ctx context.Context, caller, id, complaintedMchid string) error {
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
func (s *Complaints) UpdateRefundProgress(ctx context.Context, q RefundProgress) error {
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
func (s *Complaints) merchantAct(ctx context.Context, caller, id, complaintedMchid string, act func(tx Tx, c *Complaint, partner bool) error) error {
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
func (s *Complaints) changeComplaint(ctx context.Context, tx Tx, c *Complaint, operator, op, details string, images []string, action string) error {
	c.UpdateTime = s.clock.Now()
	if err := tx.UpdateComplaint(ctx, c); err != nil {
		return fmt.Errorf("update complaint %s: %w", c.ID, err)
	}
	return s.logComplaint(ctx, tx, c, operator, op, details, images, action)
}

func (s *Complaints) logComplaint(ctx context.Context, tx Tx, c *Complaint, operator, op, details string, images []string, action string) error {
	now := s.clock.Now()
	l := &ComplaintLog{
		ID: "3002" + now.In(Beijing).Format("20060102") + wxcrypto.Digits(15), ComplaintID: c.ID,
		Operator: operator, OperateType: op, Details: details, Images: images, Time: now,
	}
	if err := tx.InsertComplaintLog(ctx, l); err != nil {
		return fmt.Errorf("log complaint %s: %w", c.ID, err)
	}
	return oweComplaint(ctx, tx, c, action, now)
}

// refundSucceeded is what a refund's success owes the complaints of its order: each
// whose refund the merchant approved is done once the money the user asked for arrives
// ("退款到账后，投诉单的状态将自动扭转为“处理完成”",
// https://pay.weixin.qq.com/doc/v3/merchant/4012467256, 更新退款审批结果). It runs in
// transition's transaction.
func (s *Complaints) refundSucceeded(ctx context.Context, tx Tx, r *Refund) error {
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
func (s *Complaints) refundReceived(ctx context.Context, tx Tx, c *Complaint, details string) error {
	c.State = ComplaintProcessed
	return s.changeComplaint(ctx, tx, c, "微信支付", OpRefundReceived, details, nil, "REFUND_SUCCESS")
}
