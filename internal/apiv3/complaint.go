package apiv3

import (
	"strconv"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// complaintJSON is a complaint as the detail and list APIs show it
// (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉单详情).
type complaintJSON struct {
	ComplaintID           string           `json:"complaint_id"`
	ComplaintTime         string           `json:"complaint_time"`
	ComplaintDetail       string           `json:"complaint_detail"`
	ComplaintedMchid      string           `json:"complainted_mchid"`
	ComplaintState        string           `json:"complaint_state"`
	PayerPhone            string           `json:"payer_phone,omitempty"`
	PayerOpenid           string           `json:"payer_openid"`
	ComplaintOrderInfo    []orderInfoJSON  `json:"complaint_order_info"`
	ComplaintMediaList    []mediaJSON      `json:"complaint_media_list"`
	ServiceOrderInfo      []map[string]any `json:"service_order_info"`
	ComplaintFullRefunded bool             `json:"complaint_full_refunded"`
	IncomingUserResponse  bool             `json:"incoming_user_response"`
	UserComplaintTimes    int              `json:"user_complaint_times"`
	ProblemDescription    string           `json:"problem_description"`
	ProblemType           string           `json:"problem_type"`
	ApplyRefundAmount     int64            `json:"apply_refund_amount"`
	UserTagList           []string         `json:"user_tag_list"`
	NeedImmediateService  bool             `json:"need_immediate_service"`
}

type orderInfoJSON struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	Amount        int64  `json:"amount"`
}

type mediaJSON struct {
	MediaType string   `json:"media_type"`
	MediaURL  []string `json:"media_url"`
}

var problemDescriptions = map[string]string{
	pay.ProblemRefund:         "申请退款",
	pay.ProblemServiceNotWork: "服务权益未生效",
	pay.ProblemOthers:         "其他类型",
}

// complaintView renders c for m, whose certificate payer_phone is encrypted to
// (RSA-OAEP, https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉单详情).
func (a *api) complaintView(m *pay.Merchant, c *pay.Complaint) (complaintJSON, error) {
	v := complaintJSON{
		ComplaintID: c.ID,
		// With milliseconds, as the docs' example "2015-05-20T13:29:35.120+08:00"
		// (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 查询投诉单详情).
		ComplaintTime:   c.CreateTime.In(pay.Beijing).Format("2006-01-02T15:04:05.000Z07:00"),
		ComplaintDetail: c.Detail, ComplaintedMchid: c.Mchid, ComplaintState: string(c.State),
		PayerOpenid:           c.PayerOpenid,
		ComplaintOrderInfo:    []orderInfoJSON{{c.TransactionID, c.OutTradeNo, c.Amount}},
		ComplaintMediaList:    []mediaJSON{},
		ServiceOrderInfo:      []map[string]any{},
		ComplaintFullRefunded: c.FullRefunded, IncomingUserResponse: c.IncomingUserResponse,
		UserComplaintTimes: c.UserComplaintTimes, ProblemDescription: problemDescriptions[c.ProblemType],
		ProblemType: c.ProblemType, ApplyRefundAmount: c.ApplyRefundAmount, UserTagList: c.UserTags,
	}
	if v.UserTagList == nil {
		v.UserTagList = []string{}
	}
	if len(c.Media) > 0 {
		v.ComplaintMediaList = []mediaJSON{{MediaType: "USER_COMPLAINT_IMAGE", MediaURL: c.Media}}
	}
	if c.PayerPhone != "" {
		pub, _, err := a.certificate(m)
		if err != nil {
			return v, err
		}
		if v.PayerPhone, err = wxcrypto.EncryptOAEP(pub, c.PayerPhone); err != nil {
			return v, err
		}
	}
	return v, nil
}

type complaintListJSON struct {
	Data       []complaintJSON `json:"data"`
	Limit      int             `json:"limit"`
	Offset     int             `json:"offset"`
	TotalCount *int            `json:"total_count,omitempty"`
}

// pageParams reads limit (default 10) and offset (default 0) from the query.
func pageParams(c *call) (limit, offset int, err error) {
	limit = 10
	q := c.URL.Query()
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return 0, 0, pay.Errorf(pay.CodeParamError, "limit必须为整数：%q", v)
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil {
			return 0, 0, pay.Errorf(pay.CodeParamError, "offset必须为整数：%q", v)
		}
	}
	return limit, offset, nil
}

func (a *api) listComplaints(c *call) (any, error) {
	limit, offset, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	q := c.URL.Query()
	cs, total, err := a.svc.Complaints.List(c.Context(), pay.ComplaintQuery{
		Caller: c.merchant.Mchid, ComplaintedMchid: q.Get("complainted_mchid"),
		BeginDate: q.Get("begin_date"), EndDate: q.Get("end_date"), Limit: limit, Offset: offset,
	})
	if err != nil {
		return nil, err
	}
	out := complaintListJSON{Data: []complaintJSON{}, Limit: limit, Offset: offset}
	// total_count "当offset=0时返回"
	// (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter10_2_11.shtml).
	if offset == 0 {
		out.TotalCount = &total
	}
	for _, cp := range cs {
		v, err := a.complaintView(c.merchant, cp)
		if err != nil {
			return nil, err
		}
		out.Data = append(out.Data, v)
	}
	return out, nil
}

func (a *api) complaintDetail(c *call) (any, error) {
	cp, err := a.svc.Complaints.Query(c.Context(), c.merchant.Mchid, c.PathValue("complaint_id"))
	if err != nil {
		return nil, err
	}
	return a.complaintView(c.merchant, cp)
}

type historyJSON struct {
	LogID              string     `json:"log_id"`
	Operator           string     `json:"operator"`
	OperateTime        string     `json:"operate_time"`
	OperateType        string     `json:"operate_type"`
	OperateDetails     string     `json:"operate_details"`
	ImageList          []string   `json:"image_list"`
	ComplaintMediaList *mediaJSON `json:"complaint_media_list,omitempty"`
}

type historyListJSON struct {
	Data       []historyJSON `json:"data"`
	Limit      int           `json:"limit"`
	Offset     int           `json:"offset"`
	TotalCount *int          `json:"total_count,omitempty"`
}

func (a *api) complaintHistory(c *call) (any, error) {
	limit, offset, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	logs, total, err := a.svc.Complaints.History(c.Context(), c.merchant.Mchid, c.PathValue("complaint_id"), limit, offset)
	if err != nil {
		return nil, err
	}
	out := historyListJSON{Data: []historyJSON{}, Limit: limit, Offset: offset}
	if offset == 0 {
		out.TotalCount = &total
	}
	for _, l := range logs {
		h := historyJSON{
			LogID: l.ID, Operator: l.Operator, OperateTime: l.Time.In(pay.Beijing).Format(time.RFC3339),
			OperateType: l.OperateType, OperateDetails: l.Details, ImageList: l.Images,
		}
		if h.ImageList == nil {
			h.ImageList = []string{} // "如未查询到协商历史图片凭证，则返回空数组" (gopay model doc)
		}
		out.Data = append(out.Data, h)
	}
	return out, nil
}

// replyBody is POST …/response (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html, 回复用户).
type replyBody struct {
	ComplaintedMchid    *string         `json:"complainted_mchid"`
	ResponseContent     *string         `json:"response_content"`
	ResponseImages      []string        `json:"response_images"`
	JumpURL             *string         `json:"jump_url"`
	JumpURLText         *string         `json:"jump_url_text"`
	MiniProgramJumpInfo *miniProgramRef `json:"mini_program_jump_info"`
}

type miniProgramRef struct {
	Appid *string `json:"appid"`
	Path  *string `json:"path"`
	Text  *string `json:"text"`
}

func (a *api) replyComplaint(c *call) (any, error) {
	var b replyBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	if b.ComplaintedMchid == nil || *b.ComplaintedMchid == "" {
		return nil, pay.ParamError("complainted_mchid", "字段必填", nil)
	}
	err := a.svc.Complaints.Reply(c.Context(), pay.ComplaintReply{
		Caller: c.merchant.Mchid, ComplaintID: c.PathValue("complaint_id"), ComplaintedMchid: *b.ComplaintedMchid,
		Content: str(b.ResponseContent), Images: b.ResponseImages, JumpURL: str(b.JumpURL), JumpURLText: str(b.JumpURLText),
	})
	if err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (a *api) completeComplaint(c *call) (any, error) {
	var b struct {
		ComplaintedMchid *string `json:"complainted_mchid"`
	}
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	if b.ComplaintedMchid == nil || *b.ComplaintedMchid == "" {
		return nil, pay.ParamError("complainted_mchid", "字段必填", nil)
	}
	if err := a.svc.Complaints.Complete(c.Context(), c.merchant.Mchid, c.PathValue("complaint_id"), *b.ComplaintedMchid); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

// refundProgressBody is POST …/update-refund-progress (https://pay.weixin.qq.com/doc/v3/merchant/4012467256).
type refundProgressBody struct {
	Action          *string  `json:"action"`
	LaunchRefundDay *int64   `json:"launch_refund_day"`
	RejectReason    *string  `json:"reject_reason"`
	RejectMediaList []string `json:"reject_media_list"`
	Remark          *string  `json:"remark"`
}

func (a *api) updateRefundProgress(c *call) (any, error) {
	var b refundProgressBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	if b.Action == nil {
		return nil, pay.ParamError("action", "字段必填", nil)
	}
	err := a.svc.Complaints.UpdateRefundProgress(c.Context(), pay.RefundProgress{
		Caller: c.merchant.Mchid, ComplaintID: c.PathValue("complaint_id"), Action: *b.Action,
		LaunchRefundDay: b.LaunchRefundDay, RejectReason: str(b.RejectReason), RejectMedia: b.RejectMediaList,
		Remark: str(b.Remark),
	})
	if err != nil {
		return nil, err
	}
	return noContent{}, nil
}

type notifyURLJSON struct {
	Mchid string `json:"mchid"`
	URL   string `json:"url"`
}

// setComplaintNotifyURL makes the POST (create) and PUT (update) handlers.
func (a *api) setComplaintNotifyURL(create bool) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		var b struct {
			URL *string `json:"url"`
		}
		if err := a.decode(c, &b); err != nil {
			return nil, err
		}
		if err := a.svc.Complaints.SetNotifyURL(c.Context(), c.merchant.Mchid, str(b.URL), create); err != nil {
			return nil, err
		}
		return notifyURLJSON{c.merchant.Mchid, str(b.URL)}, nil
	}
}

func (a *api) getComplaintNotifyURL(c *call) (any, error) {
	url, err := a.svc.Complaints.NotifyURL(c.Context(), c.merchant.Mchid)
	if err != nil {
		return nil, err
	}
	return notifyURLJSON{c.merchant.Mchid, url}, nil
}

func (a *api) deleteComplaintNotifyURL(c *call) (any, error) {
	if err := a.svc.Complaints.DeleteNotifyURL(c.Context(), c.merchant.Mchid); err != nil {
		return nil, err
	}
	return noContent{}, nil
}
