package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/fileuploader"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// complaintEvent is one complaint notification as the merchant's server decrypted it.
type complaintEvent struct {
	EventType    string
	OriginalType string
	ComplaintID  string `json:"complaint_id"`
	ActionType   string `json:"action_type"`
	err          error
}

// complaintEndpoint is a complaint notification URL that checks every delivery with the
// official SDK's notify.Handler.
func complaintEndpoint(t *testing.T, h *notify.Handler) (string, chan complaintEvent) {
	t.Helper()
	got := make(chan complaintEvent, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev complaintEvent
		req, err := h.ParseNotifyRequest(r.Context(), r, &ev)
		ev.err = err
		if err == nil {
			ev.EventType, ev.OriginalType = req.EventType, req.Resource.OriginalType
		}
		got <- ev
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/complaint-notify", got
}

// nextEvent waits for the next complaint notification; the SDK must have accepted it.
func nextEvent(t *testing.T, got chan complaintEvent) complaintEvent {
	t.Helper()
	select {
	case ev := <-got:
		if ev.err != nil {
			t.Fatalf("notify.Handler refused a complaint notification: %v", ev.err)
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no complaint notification within 10s")
	}
	return complaintEvent{}
}

type sandboxComplaint struct {
	ComplaintID    string `json:"complaint_id"`
	ComplaintState string `json:"complaint_state"`
}

func (s *testServer) complain(t *testing.T, body map[string]any) string {
	t.Helper()
	var c sandboxComplaint
	if st := s.sandbox(t, "POST", "/sandbox/v1/complaints", body, &c); st != http.StatusOK || c.ComplaintID == "" {
		t.Fatalf("create complaint %v: status %d, %+v", body, st, c)
	}
	return c.ComplaintID
}

func today() string { return time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) }

// pngImage is a small valid PNG.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func noErr(t *testing.T, call string, code int, rspErr string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
	if code != wechat.Success {
		t.Fatalf("%s Code = %d, want 0: %s", call, code, rspErr)
	}
}

// Ensure the story of 更新退款审批结果 end to end: the user complains asking for a refund,
// the merchant approves it, refunds through wechatpay-go, the refund settles, and the
// complaint is PROCESSED with history and notifications saying so — every 2xx verified
// by gopay's AutoVerifySignByPublicKey.
// https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/update-refund-progress.html
func TestComplaint_ApprovedRefundEndToEnd(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	ctx := context.Background()
	url, events := complaintEndpoint(t, s.publicKeyHandler(t, m))

	nu, err := c.V3ComplaintNotifyUrlCreate(ctx, url)
	noErr(t, "V3ComplaintNotifyUrlCreate", nu.Code, nu.Error, err)
	if diff := cmp.Diff(&wechat.ComplaintNotifyUrl{Mchid: m.Mchid, Url: url}, nu.Response); diff != "" {
		t.Errorf("V3ComplaintNotifyUrlCreate mismatch (-want +got):\n%s", diff)
	}

	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	id := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND",
		"apply_refund_amount": 1000, "complaint_detail": "没收到货，要求退款", "payer_phone": "13800138000"})
	if ev := nextEvent(t, events); ev.EventType != "COMPLAINT.CREATE" || ev.ActionType != "CREATE_COMPLAINT" || ev.ComplaintID != id || ev.OriginalType != "complaint" {
		t.Errorf("first notification = %+v, want COMPLAINT.CREATE CREATE_COMPLAINT of %s", ev, id)
	}

	d, err := c.V3ComplaintDetail(ctx, id)
	noErr(t, "V3ComplaintDetail", d.Code, d.Error, err)
	key, err := os.ReadFile(s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := wxcrypto.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if phone, err := wxcrypto.DecryptOAEP(priv, d.Response.PayerPhone); err != nil || phone != "13800138000" {
		t.Errorf("payer_phone decrypts to %q, %v; want 13800138000", phone, err)
	}
	if d.Response.ComplaintState != "PENDING" || d.Response.ComplaintedMchid != m.Mchid || d.Response.ApplyRefundAmount != 1000 ||
		!cmp.Equal(d.Response.UserTagList, []string{"TRUSTED"}) || d.Response.ComplaintOrderInfo[0].TransactionId != o.TransactionID {
		t.Errorf("V3ComplaintDetail = %+v", d.Response)
	}

	up, err := c.V3ComplaintUpdateRefundProgress(ctx, id, make(gopay.BodyMap).Set("action", "APPROVE").Set("launch_refund_day", 0))
	noErr(t, "V3ComplaintUpdateRefundProgress", up.Code, up.Error, err)
	if ev := nextEvent(t, events); ev.ActionType != "MERCHANT_APPROVE_REFUND" || ev.EventType != "COMPLAINT.STATE_CHANGE" {
		t.Errorf("notification after APPROVE = %+v", ev)
	}
	if d, _ := c.V3ComplaintDetail(ctx, id); d.Response.ComplaintState != "PROCESSING" {
		t.Errorf("state after APPROVE = %s, want PROCESSING", d.Response.ComplaintState)
	}

	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("C")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1000), Total: core.Int64(1000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if d, _ := c.V3ComplaintDetail(ctx, id); d.Response.ComplaintState != "PROCESSING" {
		t.Errorf("state while the refund is PROCESSING = %s, want PROCESSING", d.Response.ComplaintState)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, nil); st != http.StatusOK {
		t.Fatalf("settle: %d", st)
	}
	if ev := nextEvent(t, events); ev.ActionType != "REFUND_SUCCESS" || ev.ComplaintID != id {
		t.Errorf("notification after the refund = %+v, want REFUND_SUCCESS", ev)
	}
	d, err = c.V3ComplaintDetail(ctx, id)
	noErr(t, "V3ComplaintDetail", d.Code, d.Error, err)
	if d.Response.ComplaintState != "PROCESSED" || !d.Response.ComplaintFullRefunded {
		t.Errorf("after the refund: state %s full_refunded %v, want PROCESSED true", d.Response.ComplaintState, d.Response.ComplaintFullRefunded)
	}

	h, err := c.V3ComplaintNegotiationHistory(ctx, id, make(gopay.BodyMap).Set("limit", 50).Set("offset", 0))
	noErr(t, "V3ComplaintNegotiationHistory", h.Code, h.Error, err)
	var ops []string
	for _, it := range h.Response.Data {
		ops = append(ops, it.OperateType)
	}
	want := []string{"USER_CREATE_COMPLAINT", "MERCHANT_APPROVE_REFUND", "COMPLAINT_REFUND_RECEIVED_SYSTEM_MESSAGE"}
	if diff := cmp.Diff(want, ops); diff != "" || h.Response.TotalCount != 3 {
		t.Errorf("history operate_type mismatch (-want +got), total %d:\n%s", h.Response.TotalCount, diff)
	}

	l, err := c.V3ComplaintList(ctx, make(gopay.BodyMap).Set("limit", 10).Set("offset", 0).Set("begin_date", today()).Set("end_date", today()))
	noErr(t, "V3ComplaintList", l.Code, l.Error, err)
	if l.Response.TotalCount != 1 || len(l.Response.Data) != 1 || l.Response.Data[0].ComplaintId != id {
		t.Errorf("V3ComplaintList = %+v, want just %s", l.Response, id)
	}
}

// Ensure reply, images, rejection, completion and the notify-URL CRUD work through gopay
// and wechatpay-go, with the complaint state rules (回复用户, 反馈处理完成, 更新退款审批结果;
// https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/update-refund-progress.html).
func TestComplaint_ReplyRejectComplete(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	ctx := context.Background()

	// wechatpay-go's uploader: meta first, with its own content type.
	img := pngImage(t)
	up := fileuploader.MchBizUploader{Client: s.wechatpayClient(t, m)}
	res, _, err := up.Upload(ctx, bytes.NewReader(img), "proof.png", "image/png")
	if err != nil || res.MediaId == nil {
		t.Fatalf("MchBizUploader.Upload: %v", err)
	}
	// gopay's: parts in map order.
	sum := sha256.Sum256(img)
	gu, err := c.V3ComplaintUploadImage(ctx, "proof2.png", hex.EncodeToString(sum[:]), &gopay.File{Name: "proof2.png", Content: img})
	noErr(t, "V3ComplaintUploadImage", gu.Code, gu.Error, err)
	gi, err := c.V3ComplaintImage(ctx, gu.Response.MediaId)
	noErr(t, "V3ComplaintImage", gi.Code, gi.Error, err)
	if !bytes.Equal(gi.ImageData, img) {
		t.Errorf("V3ComplaintImage returned %d bytes, want the %d uploaded", len(gi.ImageData), len(img))
	}

	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 500})
	id := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND", "complaint_detail": "质量问题"})
	rsp, err := c.V3ComplaintResponse(ctx, id, make(gopay.BodyMap).Set("complainted_mchid", m.Mchid).
		Set("response_content", "您好，已核实").Set("response_images", []string{*res.MediaId}))
	noErr(t, "V3ComplaintResponse", rsp.Code, rsp.Error, err)
	if d, _ := c.V3ComplaintDetail(ctx, id); d.Response.ComplaintState != "PROCESSING" {
		t.Errorf("state after the first reply = %s, want PROCESSING", d.Response.ComplaintState)
	}
	rej, err := c.V3ComplaintUpdateRefundProgress(ctx, id, make(gopay.BodyMap).Set("action", "REJECT").
		Set("reject_reason", "商品已使用").Set("reject_media_list", []string{gu.Response.MediaId}))
	noErr(t, "V3ComplaintUpdateRefundProgress REJECT", rej.Code, rej.Error, err)
	if d, _ := c.V3ComplaintDetail(ctx, id); d.Response.ComplaintState != "PROCESSED" {
		t.Errorf("state after REJECT = %s, want PROCESSED", d.Response.ComplaintState)
	}
	h, _ := c.V3ComplaintNegotiationHistory(ctx, id, make(gopay.BodyMap).Set("limit", 10).Set("offset", 0))
	if n := len(h.Response.Data); n != 3 || h.Response.Data[2].OperateType != "MERCHANT_REFUSE_RERUND" || len(h.Response.Data[2].ImageList) != 1 {
		t.Errorf("history after REJECT = %+v", h.Response.Data)
	}

	// The user continues; the merchant completes.
	if st := s.sandbox(t, "POST", "/sandbox/v1/complaints/"+id+"/continue", map[string]any{}, nil); st != http.StatusOK {
		t.Fatalf("continue: %d", st)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/complaints/"+id+"/messages", map[string]any{"content": "还在吗"}, nil); st != http.StatusOK {
		t.Fatalf("message: %d", st)
	}
	if d, _ := c.V3ComplaintDetail(ctx, id); d.Response.ComplaintState != "PENDING" || !d.Response.IncomingUserResponse || d.Response.UserComplaintTimes != 2 {
		t.Errorf("after continue + message = %+v", d.Response)
	}
	done, err := c.V3ComplaintComplete(ctx, id, make(gopay.BodyMap).Set("complainted_mchid", m.Mchid))
	noErr(t, "V3ComplaintComplete", done.Code, done.Error, err)

	q, err := c.V3ComplaintNotifyUrlQuery(ctx)
	if err != nil || q.Code != http.StatusNotFound {
		t.Errorf("V3ComplaintNotifyUrlQuery before create = %d, %v; want 404", q.Code, err)
	}
	cr, err := c.V3ComplaintNotifyUrlCreate(ctx, "http://127.0.0.1:1/complaints")
	noErr(t, "V3ComplaintNotifyUrlCreate", cr.Code, cr.Error, err)
	u, err := c.V3ComplaintNotifyUrlUpdate(ctx, "http://127.0.0.1:1/complaints2")
	noErr(t, "V3ComplaintNotifyUrlUpdate", u.Code, u.Error, err)
	q, err = c.V3ComplaintNotifyUrlQuery(ctx)
	noErr(t, "V3ComplaintNotifyUrlQuery", q.Code, q.Error, err)
	if q.Response.Url != "http://127.0.0.1:1/complaints2" || q.Response.Mchid != m.Mchid {
		t.Errorf("V3ComplaintNotifyUrlQuery = %+v", q.Response)
	}
	del, err := c.V3ComplaintNotifyUrlDelete(ctx)
	noErr(t, "V3ComplaintNotifyUrlDelete", del.Code, del.Error, err)
}

// Ensure the request example of 更新退款审批结果 is accepted as written — APPROVE with
// launch_refund_day 3 and the reject fields, which APPROVE ignores — and that REJECT
// without its 选填 reject_reason is accepted too. The body is the document's 请求示例
// line for line: https://pay.weixin.qq.com/docs/merchant/apis/consumer-complaint/complaints/update-refund-progress.html
func TestComplaint_RefundProgressDocExample(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 500})

	approved := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND", "complaint_detail": "退款"})
	up, err := c.V3ComplaintUpdateRefundProgress(ctx, approved, gopay.BodyMap{
		"action":            "APPROVE",
		"launch_refund_day": 3,
		"reject_reason":     "拒绝退款",
		"reject_media_list": []string{"aabbccdd"},
		"remark":            "已处理完成",
	})
	noErr(t, "V3ComplaintUpdateRefundProgress (the document's example)", up.Code, up.Error, err)
	if d, _ := c.V3ComplaintDetail(ctx, approved); d.Response.ComplaintState != "PROCESSING" {
		t.Errorf("state after the example's APPROVE = %s, want PROCESSING", d.Response.ComplaintState)
	}
	h, err := c.V3ComplaintNegotiationHistory(ctx, approved, make(gopay.BodyMap).Set("limit", 10).Set("offset", 0))
	noErr(t, "V3ComplaintNegotiationHistory", h.Code, h.Error, err)
	if n := len(h.Response.Data); n != 2 {
		t.Fatalf("history after APPROVE has %d entries, want 2: %+v", n, h.Response.Data)
	}
	last := h.Response.Data[1]
	if last.OperateType != "MERCHANT_APPROVE_REFUND" || len(last.ImageList) != 0 ||
		!strings.Contains(last.OperateDetails, "3个工作日") || strings.Contains(last.OperateDetails, "拒绝退款") {
		t.Errorf("history after APPROVE = %+v, want MERCHANT_APPROVE_REFUND in 3 days, no reject reason or images", last)
	}

	rejected := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND", "complaint_detail": "退款"})
	rej, err := c.V3ComplaintUpdateRefundProgress(ctx, rejected, gopay.BodyMap{"action": "REJECT"})
	noErr(t, "V3ComplaintUpdateRefundProgress REJECT without reject_reason", rej.Code, rej.Error, err)
	if d, _ := c.V3ComplaintDetail(ctx, rejected); d.Response.ComplaintState != "PROCESSED" {
		t.Errorf("state after REJECT = %s, want PROCESSED", d.Response.ComplaintState)
	}
}

// Ensure a partner acts for its sub-merchant's complaints, and nobody sees another
// merchant's complaints or images.
func TestComplaint_PartnerAndVisibility(t *testing.T) {
	s := startServer(t)
	partner, sub, direct := s.merchant(t, "partner"), s.merchant(t, "sub"), s.merchant(t, "direct")
	pc, dc := s.gopayClient(t, partner), s.gopayClient(t, direct)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 800})
	id := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "OTHERS", "complaint_detail": "服务差"})

	d, err := pc.V3ComplaintDetail(ctx, id)
	noErr(t, "partner V3ComplaintDetail", d.Code, d.Error, err)
	if d.Response.ComplaintedMchid != sub.Mchid {
		t.Errorf("complainted_mchid = %s, want the sub %s", d.Response.ComplaintedMchid, sub.Mchid)
	}
	l, err := pc.V3ComplaintList(ctx, make(gopay.BodyMap).Set("limit", 10).Set("offset", 0).Set("begin_date", today()).
		Set("end_date", today()).Set("complainted_mchid", sub.Mchid))
	noErr(t, "partner V3ComplaintList", l.Code, l.Error, err)
	if l.Response.TotalCount != 1 {
		t.Errorf("partner list total_count = %d, want 1", l.Response.TotalCount)
	}
	r, err := pc.V3ComplaintResponse(ctx, id, make(gopay.BodyMap).Set("complainted_mchid", sub.Mchid).Set("response_content", "已处理"))
	noErr(t, "partner V3ComplaintResponse", r.Code, r.Error, err)

	if d, _ := dc.V3ComplaintDetail(ctx, id); d.Code != http.StatusNotFound || d.ErrResponse.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("another merchant's V3ComplaintDetail = %d %s, want 404 RESOURCE_NOT_EXISTS", d.Code, d.ErrResponse.Code)
	}
	if l, _ := dc.V3ComplaintList(ctx, make(gopay.BodyMap).Set("limit", 10).Set("offset", 0).Set("begin_date", today()).Set("end_date", today())); l.Response == nil || l.Response.TotalCount != 0 {
		t.Errorf("another merchant's list = %+v, want empty", l)
	}
	img := pngImage(t)
	sum := sha256.Sum256(img)
	gu, err := pc.V3ComplaintUploadImage(ctx, "a.png", hex.EncodeToString(sum[:]), &gopay.File{Name: "a.png", Content: img})
	noErr(t, "V3ComplaintUploadImage", gu.Code, gu.Error, err)
	if gi, _ := dc.V3ComplaintImage(ctx, gu.Response.MediaId); gi.Code != http.StatusNotFound {
		t.Errorf("another merchant's V3ComplaintImage = %d, want 404", gi.Code)
	}
}

// Ensure every documented error of the family answers with its code.
func TestComplaint_Errors(t *testing.T) {
	s := startServer(t)
	m, partner, sub := s.merchant(t, "direct"), s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.gopayClient(t, m)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 500})
	trusted := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND", "complaint_detail": "退款"})
	untrusted := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND", "complaint_detail": "退款", "user_tag_list": []string{}})
	other := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "OTHERS", "complaint_detail": "其他"})
	long := string(bytes.Repeat([]byte("长"), 201))

	progress := []struct {
		name    string
		id      string
		body    gopay.BodyMap
		status  int
		code    string
		message string
	}{
		{"NotTrusted", untrusted, gopay.BodyMap{"action": "APPROVE"}, 400, "PARAM_ERROR", "非极速退款单据, 不能对本单据进行退款进度更新"},
		{"NotRefund", other, gopay.BodyMap{"action": "APPROVE"}, 400, "PARAM_ERROR", "非极速退款单据, 不能对本单据进行退款进度更新"},
		{"ReasonTooLong", trusted, gopay.BodyMap{"action": "REJECT", "reject_reason": long}, 400, "PARAM_ERROR", ""},
		{"DayWithReject", trusted, gopay.BodyMap{"action": "REJECT", "reject_reason": "x", "launch_refund_day": 1}, 400, "PARAM_ERROR", ""},
		{"FiveImages", trusted, gopay.BodyMap{"action": "REJECT", "reject_reason": "x", "reject_media_list": []string{"a", "b", "c", "d", "e"}}, 400, "PARAM_ERROR", ""},
		{"ForeignImage", trusted, gopay.BodyMap{"action": "REJECT", "reject_reason": "x", "reject_media_list": []string{"nope"}}, 400, "PARAM_ERROR", ""},
		{"BadAction", trusted, gopay.BodyMap{"action": "MAYBE"}, 400, "PARAM_ERROR", ""},
		{"UnknownField", trusted, gopay.BodyMap{"action": "APPROVE", "extra": 1}, 400, "PARAM_ERROR", ""},
		{"Unknown", "200201820200101080076610000", gopay.BodyMap{"action": "APPROVE"}, 404, "RESOURCE_NOT_EXISTS", ""},
	}
	for _, tt := range progress {
		t.Run("UpdateRefundProgress/"+tt.name, func(t *testing.T) {
			rsp, err := c.V3ComplaintUpdateRefundProgress(ctx, tt.id, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if rsp.Code != tt.status || rsp.ErrResponse.Code != tt.code || (tt.message != "" && rsp.ErrResponse.Message != tt.message) {
				t.Errorf("V3ComplaintUpdateRefundProgress = %d %s %q, want %d %s %q", rsp.Code, rsp.ErrResponse.Code, rsp.ErrResponse.Message, tt.status, tt.code, tt.message)
			}
		})
	}

	list := []struct {
		name   string
		bm     gopay.BodyMap
		status int
		code   string
	}{
		{"LimitZero", gopay.BodyMap{"limit": 0, "begin_date": today(), "end_date": today()}, 400, "PARAM_ERROR"},
		{"Limit51", gopay.BodyMap{"limit": 51, "begin_date": today(), "end_date": today()}, 400, "PARAM_ERROR"},
		{"NoDates", gopay.BodyMap{"limit": 10}, 400, "PARAM_ERROR"},
		{"Span31Days", gopay.BodyMap{"limit": 10, "begin_date": "2026-01-01", "end_date": "2026-02-01"}, 400, "PARAM_ERROR"},
		{"BadDate", gopay.BodyMap{"limit": 10, "begin_date": "2026/01/01", "end_date": "2026-01-02"}, 400, "PARAM_ERROR"},
		{"ForeignSub", gopay.BodyMap{"limit": 10, "begin_date": today(), "end_date": today(), "complainted_mchid": sub.Mchid}, 403, "NO_AUTH"},
	}
	for _, tt := range list {
		t.Run("List/"+tt.name, func(t *testing.T) {
			rsp, err := c.V3ComplaintList(ctx, tt.bm)
			if err != nil {
				t.Fatal(err)
			}
			if rsp.Code != tt.status || rsp.ErrResponse.Code != tt.code {
				t.Errorf("V3ComplaintList(%v) = %d %s, want %d %s", tt.bm, rsp.Code, rsp.ErrResponse.Code, tt.status, tt.code)
			}
		})
	}

	t.Run("Response", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			bm   gopay.BodyMap
			code string
		}{
			{"NoMchid", gopay.BodyMap{"response_content": "x"}, "PARAM_ERROR"},
			{"WrongMchid", gopay.BodyMap{"complainted_mchid": partner.Mchid, "response_content": "x"}, "PARAM_ERROR"},
			{"TooLong", gopay.BodyMap{"complainted_mchid": m.Mchid, "response_content": long}, "PARAM_ERROR"},
			{"JumpURLAlone", gopay.BodyMap{"complainted_mchid": m.Mchid, "response_content": "x", "jump_url": "https://a.cn"}, "PARAM_ERROR"},
		} {
			rsp, err := c.V3ComplaintResponse(ctx, other, tt.bm)
			if err != nil || rsp.Code != 400 || rsp.ErrResponse.Code != tt.code {
				t.Errorf("%s: V3ComplaintResponse = %v %d %s, want 400 %s", tt.name, err, rsp.Code, rsp.ErrResponse.Code, tt.code)
			}
		}
	})
	t.Run("CompleteTwice", func(t *testing.T) {
		bm := gopay.BodyMap{"complainted_mchid": m.Mchid}
		if rsp, err := c.V3ComplaintComplete(ctx, other, bm); err != nil || rsp.Code != wechat.Success {
			t.Fatalf("V3ComplaintComplete = %v %d %s", err, rsp.Code, rsp.Error)
		}
		if rsp, _ := c.V3ComplaintComplete(ctx, other, bm); rsp.Code != 400 || rsp.ErrResponse.Code != "INVALID_REQUEST" {
			t.Errorf("second V3ComplaintComplete = %d %s, want 400 INVALID_REQUEST", rsp.Code, rsp.ErrResponse.Code)
		}
	})
	t.Run("Upload", func(t *testing.T) {
		img := pngImage(t)
		sum := sha256.Sum256(img)
		good := hex.EncodeToString(sum[:])
		for _, tt := range []struct {
			name, filename, sum string
			data                []byte
		}{
			{"WrongSha256", "a.png", hex.EncodeToString(make([]byte, 32)), img},
			{"GIF", "a.gif", good, img},
			{"NotAnImage", "a.png", func() string { s := sha256.Sum256([]byte("text")); return hex.EncodeToString(s[:]) }(), []byte("text")},
			{"TooLarge", "a.png", func() string {
				s := sha256.Sum256(append(img, make([]byte, 2<<20)...))
				return hex.EncodeToString(s[:])
			}(), append(img, make([]byte, 2<<20)...)},
		} {
			rsp, err := c.V3ComplaintUploadImage(ctx, tt.filename, tt.sum, &gopay.File{Name: tt.filename, Content: tt.data})
			if err != nil || rsp.Code != 400 || rsp.ErrResponse.Code != "PARAM_ERROR" {
				t.Errorf("%s: V3ComplaintUploadImage = %v %d %s, want 400 PARAM_ERROR", tt.name, err, rsp.Code, rsp.Error)
			}
		}
	})
	t.Run("NotifyURL", func(t *testing.T) {
		if rsp, _ := c.V3ComplaintNotifyUrlUpdate(ctx, "https://a.cn/x"); rsp.Code != 404 {
			t.Errorf("update before create = %d, want 404", rsp.Code)
		}
		if rsp, _ := c.V3ComplaintNotifyUrlCreate(ctx, "ftp://a.cn/x"); rsp.Code != 400 || rsp.ErrResponse.Code != "PARAM_ERROR" {
			t.Errorf("create ftp URL = %d %s, want 400 PARAM_ERROR", rsp.Code, rsp.ErrResponse.Code)
		}
		if rsp, _ := c.V3ComplaintNotifyUrlDelete(ctx); rsp.Code != 404 {
			t.Errorf("delete before create = %d, want 404", rsp.Code)
		}
	})
	t.Run("SignError", func(t *testing.T) {
		other := s.gopayClient(t, m)
		other.Mchid = partner.Mchid // signs with m's key but claims the partner
		if rsp, _ := other.V3ComplaintDetail(ctx, trusted); rsp.Code != 401 || rsp.ErrResponse.Code != "SIGN_ERROR" {
			t.Errorf("V3ComplaintDetail with a wrong key = %d %s, want 401 SIGN_ERROR", rsp.Code, rsp.ErrResponse.Code)
		}
	})
}

// Ensure the user side refuses bad complaints.
func TestComplaint_SandboxErrors(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 500})
	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"UnknownOrder", map[string]any{"transaction_id": "4200", "problem_type": "REFUND", "complaint_detail": "x"}, 404},
		{"BadType", map[string]any{"transaction_id": o.TransactionID, "problem_type": "X", "complaint_detail": "x"}, 400},
		{"AmountNotRefund", map[string]any{"transaction_id": o.TransactionID, "problem_type": "OTHERS", "apply_refund_amount": 1, "complaint_detail": "x"}, 400},
		{"NoDetail", map[string]any{"transaction_id": o.TransactionID, "problem_type": "OTHERS"}, 400},
	} {
		var e struct{ Code string }
		if st := s.sandbox(t, "POST", "/sandbox/v1/complaints", tt.body, &e); st != tt.status {
			t.Errorf("%s: status %d (%s), want %d", tt.name, st, e.Code, tt.status)
		}
	}
}

// Ensure `tuikuan complaint` plays the user: create a complaint without the TRUSTED tag,
// message, continue.
func TestComplaint_CLI(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 300})
	out := mustCLI(t, "complaint", "create", "--data", s.dir, "--transaction-id", o.TransactionID,
		"--problem-type", "REFUND", "--apply-refund-amount", "300", "--detail", "不想要了", "--user-tags", "")
	var c struct {
		ComplaintID string   `json:"complaint_id"`
		UserTagList []string `json:"user_tag_list"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.ComplaintID == "" || len(c.UserTagList) != 0 {
		t.Fatalf("complaint create printed %s (%v), want a complaint without tags", out, err)
	}
	mustCLI(t, "complaint", "message", "--data", s.dir, "--content", "请尽快处理", c.ComplaintID)
	mustCLI(t, "complaint", "continue", "--data", s.dir, c.ComplaintID)
	h, err := s.gopayClient(t, m).V3ComplaintNegotiationHistory(context.Background(), c.ComplaintID, gopay.BodyMap{"limit": 10, "offset": 0})
	noErr(t, "V3ComplaintNegotiationHistory", h.Code, h.Error, err)
	var ops []string
	for _, it := range h.Response.Data {
		ops = append(ops, it.OperateType)
	}
	if diff := cmp.Diff([]string{"USER_CREATE_COMPLAINT", "USER_RESPONSE", "USER_CONTINUE_COMPLAINT"}, ops); diff != "" {
		t.Errorf("history mismatch (-want +got):\n%s", diff)
	}
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("tuikuan %v: %v", args, err)
	}
	return out
}

// Ensure fault rules reach the complaint and coupon APIs, so that their SYSTEM_ERROR and
// FREQUENCY_LIMITED answers can be produced on demand, and that a refused request changes
// nothing.
func TestFault_ComplaintAndCoupon(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	id := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND", "apply_refund_amount": 100, "complaint_detail": "没收到货"})
	for _, rule := range []map[string]any{
		{"api": "complaint.update-refund-progress", "error": "SYSTEM_ERROR"},
		{"api": "busifavor.return", "error": "FREQUENCY_LIMITED"},
	} {
		if st := s.sandbox(t, "POST", "/sandbox/v1/faults", rule, nil); st != http.StatusOK {
			t.Fatalf("add fault %v: %d", rule, st)
		}
	}
	c := s.gopayClient(t, m)
	up, err := c.V3ComplaintUpdateRefundProgress(context.Background(), id, make(gopay.BodyMap).Set("action", "APPROVE").Set("launch_refund_day", 0))
	if err != nil || up.Code != http.StatusInternalServerError || up.ErrResponse.Code != "SYSTEM_ERROR" {
		t.Errorf("update-refund-progress under a SYSTEM_ERROR rule = %d %+v, %v", up.Code, up.ErrResponse, err)
	}
	again, err := c.V3ComplaintUpdateRefundProgress(context.Background(), id, make(gopay.BodyMap).Set("action", "APPROVE").Set("launch_refund_day", 0))
	noErr(t, "V3ComplaintUpdateRefundProgress after the rule", again.Code, again.Error, err)

	cc := s.couponClient(t, m)
	stock := cc.createStock(t, time.Hour, "WECHATPAY_MODE")
	code := cc.send(t, stock, "S-1")
	cc.use(t, stock, code)
	_, err = cc.returnCoupon(stock, code, "RT-1")
	wantCouponError(t, "return under a FREQUENCY_LIMITED rule", err, http.StatusTooManyRequests, "FREQUENCY_LIMITED", "")
	if _, err := cc.returnCoupon(stock, code, "RT-1"); err != nil {
		t.Errorf("return after the rule, same return_request_no: %v (the refused request must not have used it)", err)
	}
}
