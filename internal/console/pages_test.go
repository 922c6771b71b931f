package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/console"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

const (
	testToken    = "console-test-token"
	directMchid  = "1900000001"
	partnerMchid = "1900000100"
	subMchid     = "1900000109"
)

// pagesServer is the console signed in over a service the test also holds, so that it
// can check what the pages did; abnormal refunds need its sealer.
type pagesServer struct {
	*consoleServer
	svc    *pay.Service
	client *http.Client
	csrf   string
}

func newPagesServer(tb testing.TB) *pagesServer {
	tb.Helper()
	st := storetest.NewSQLite(tb)
	storetest.Merchants(tb, st, &pay.Merchant{
		Mchid: directMchid, Kind: pay.KindDirect, Appid: "wx1111111111111111",
		APIv3Key: "0123456789abcdef0123456789abcdef", CreateTime: time.Now(),
	}, &pay.Merchant{
		Mchid: partnerMchid, Kind: pay.KindPartner, Appid: "wx2222222222222222",
		APIv3Key: "0123456789abcdef0123456789abcdef", CreateTime: time.Now(),
	}, &pay.Merchant{
		Mchid: subMchid, Kind: pay.KindSub, SpMchid: partnerMchid, Appid: "wx3333333333333333", CreateTime: time.Now(),
	})
	svc := pay.NewService(st, pay.Simulated{}, pay.NewClock(nil))
	sealer, err := wxcrypto.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	svc.Sealer = sealer
	srv := httptest.NewServer(console.NewHandler(console.Config{
		Service: svc, Faults: fault.New(), Token: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	tb.Cleanup(srv.Close)
	c := &pagesServer{consoleServer: &consoleServer{Server: srv, store: st, token: testToken}, svc: svc}
	c.client = c.browser(tb)
	c.csrf = c.signIn(tb, c.client)
	return c
}

func (c *pagesServer) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	a := do(tb, c.client, "GET", c.URL+path, nil)
	return a.status, a.body
}

// post sends a form with the session's CSRF token and returns the status and the
// redirect's location.
func (c *pagesServer) post(tb testing.TB, path string, form url.Values) (int, string) {
	tb.Helper()
	form.Set("csrf", c.csrf)
	a := do(tb, c.client, "POST", c.URL+path, form)
	return a.status, a.header.Get("Location")
}

// mustAct posts an action that must succeed and returns where it redirects.
func (c *pagesServer) mustAct(tb testing.TB, path string, form url.Values) string {
	tb.Helper()
	status, loc := c.post(tb, path, form)
	if status != http.StatusSeeOther {
		tb.Fatalf("POST %s = %d, want 303", path, status)
	}
	return loc
}

// mustPage gets a page that must render and have every one of wants in it.
func (c *pagesServer) mustPage(tb testing.TB, path string, wants ...string) string {
	tb.Helper()
	status, body := c.get(tb, path)
	if status != http.StatusOK {
		tb.Fatalf("GET %s = %d, want 200:\n%s", path, status, body)
	}
	for _, w := range wants {
		if !strings.Contains(body, w) {
			tb.Errorf("GET %s lacks %q", path, w)
		}
	}
	return body
}

// refundOf creates a paid order through the console and refunds it, returning the
// order's and the refund's ids.
func (c *pagesServer) refundOf(tb testing.TB, amount string) (string, string) {
	tb.Helper()
	return c.refundOfMerchant(tb, directMchid, "", amount)
}

// refundOfMerchant is refundOf for mchid's order, refunded by its partner spMchid if
// not "", as the refund form of the order's page fills it.
func (c *pagesServer) refundOfMerchant(tb testing.TB, mchid, spMchid, amount string) (string, string) {
	tb.Helper()
	loc := c.mustAct(tb, "/console/transactions", url.Values{"mchid": {mchid}, "amount": {amount}, "bank_type": {"CMB_CREDIT"}})
	txID, ok := strings.CutPrefix(loc, "/console/transactions/")
	if !ok {
		tb.Fatalf("create order → %q, want /console/transactions/{id}", loc)
	}
	c.mustPage(tb, loc, txID, "SUCCESS", amount, "申请退款 Refund it")
	loc = c.mustAct(tb, loc+"/refund", url.Values{
		"mchid": {mchid}, "sp_mchid": {spMchid}, "total": {amount}, "amount": {amount}, "reason": {"测试"}})
	refundID, ok := strings.CutPrefix(loc, "/console/refunds/")
	if !ok {
		tb.Fatalf("refund → %q, want /console/refunds/{id}", loc)
	}
	return txID, refundID
}

func refundStatus(tb testing.TB, svc *pay.Service, txID, refundID string) pay.Status {
	tb.Helper()
	_, rs, err := svc.Orders.Query(context.Background(), txID)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == refundID {
			return r.Status
		}
	}
	tb.Fatalf("order %s has no refund %s", txID, refundID)
	return ""
}

func TestRefundFlow(t *testing.T) {
	c := newPagesServer(t)
	txID, refundID := c.refundOf(t, "12.34")
	if got := refundStatus(t, c.svc, txID, refundID); got != pay.StatusProcessing {
		t.Fatalf("refund status after apply = %s, want PROCESSING", got)
	}
	c.mustPage(t, "/console/refunds/"+refundID, refundID, txID, "PROCESSING", "12.34",
		`name="status" value="SUCCESS"`, `name="status" value="ABNORMAL"`, `name="status" value="CLOSED"`, "申请退款 applied")

	c.mustAct(t, "/console/refunds/"+refundID+"/settle", url.Values{"status": {"SUCCESS"}})
	if got := refundStatus(t, c.svc, txID, refundID); got != pay.StatusSuccess {
		t.Errorf("refund status after settle SUCCESS = %s, want SUCCESS", got)
	}
	body := c.mustPage(t, "/console/refunds/"+refundID, "状态变更 status change")
	if strings.Contains(body, `name="status" value="CLOSED"`) {
		t.Errorf("a SUCCESS refund's page still offers settle buttons")
	}
	// A second settle is an illegal transition: the domain's error, not a redirect.
	if status, _ := c.post(t, "/console/refunds/"+refundID+"/settle", url.Values{"status": {"CLOSED"}}); status < 400 || status >= 500 {
		t.Errorf("settle a SUCCESS refund to CLOSED = %d, want a 4xx", status)
	}
	c.mustPage(t, "/console/transactions/"+txID, refundID, "REFUND")
}

// Ensure a sub-merchant's order is refunded by its partner for it, and the form says so.
func TestRefundFlow_SubMerchant(t *testing.T) {
	c := newPagesServer(t)
	_, form, _ := strings.Cut(c.mustPage(t, "/console/transactions", subMchid), `id="create-order"`)
	if strings.Contains(form, `<option value="`+partnerMchid+`">`) {
		t.Errorf("the create form offers the partner %s, whose orders belong to its sub-merchants", partnerMchid)
	}
	txID, refundID := c.refundOfMerchant(t, subMchid, partnerMchid, "6.00")
	c.mustPage(t, "/console/transactions/"+txID, `name="sp_mchid" value="`+partnerMchid+`"`)
	c.mustPage(t, "/console/refunds/"+refundID, subMchid, "sp_mchid "+partnerMchid)
}

func TestPages(t *testing.T) {
	c := newPagesServer(t)
	txID, refundID := c.refundOf(t, "1.00")
	c.mustPage(t, "/console/transactions", txID, "创建已支付订单")
	c.mustPage(t, "/console/transactions?number="+txID, txID)
	c.mustPage(t, "/console/refunds", refundID, "PROCESSING")
	c.mustPage(t, "/console/complaints", "以用户身份投诉")
	c.mustPage(t, "/console/coupons", "代金券 Coupons")
	c.mustPage(t, "/console/cashier", "code_url", "USERPAYING")
}

func TestFilters(t *testing.T) {
	c := newPagesServer(t)
	tx1, r1 := c.refundOf(t, "1.00")
	tx2, r2 := c.refundOf(t, "2.00")
	c.mustAct(t, "/console/refunds/"+r2+"/settle", url.Values{"status": {"CLOSED"}})

	tests := []struct {
		path      string
		want, not string
	}{
		{"/console/refunds?status=CLOSED", r2, r1},
		{"/console/refunds?status=PROCESSING", r1, r2},
		{"/console/refunds?number=" + r1, r1, r2},
		{"/console/refunds?mchid=" + directMchid, r1, "没有退款"},
		{"/console/refunds?begin=2000-01-01&end=2000-01-02", "没有退款", r1},
		{"/console/transactions?number=" + tx2, tx2, tx1},
		{"/console/transactions?trade_state=NOTPAY", "没有订单", tx1},
	}
	for _, tt := range tests {
		body := c.mustPage(t, tt.path, tt.want)
		if strings.Contains(body, tt.not) {
			t.Errorf("GET %s has %q", tt.path, tt.not)
		}
	}
}

func TestRefundNotFound(t *testing.T) {
	c := newPagesServer(t)
	if status, _ := c.get(t, "/console/refunds/50300000000000000000000000000000"); status != http.StatusNotFound {
		t.Errorf("GET an unknown refund = %d, want 404", status)
	}
	if status, _ := c.get(t, "/console/transactions/4200000000000000000000000000"); status != http.StatusNotFound {
		t.Errorf("GET an unknown transaction = %d, want 404", status)
	}
}

func TestAbnormalRefundMasked(t *testing.T) {
	c := newPagesServer(t)
	_, refundID := c.refundOf(t, "3.00")
	c.mustAct(t, "/console/refunds/"+refundID+"/settle", url.Values{"status": {"ABNORMAL"}})
	rs, err := c.svc.Refunds.Find(context.Background(), pay.RefundFilter{Number: refundID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("Find(%s) = %d refunds, %v; want 1", refundID, len(rs), err)
	}
	const account, name = "6222021234567890123", "张三丰"
	if _, err := c.svc.Refunds.ApplyAbnormal(context.Background(), pay.AbnormalRequest{
		API: pay.APIDomestic, Caller: directMchid, RefundID: refundID, OutRefundNo: rs[0].OutRefundNo,
		Type: pay.AbnormalUserBankCard, BankType: "ICBC_DEBIT", BankAccount: account, RealName: name,
	}); err != nil {
		t.Fatal(err)
	}
	body := c.mustPage(t, "/console/refunds/"+refundID, pay.MaskAccount(account), pay.MaskName(name), "USER_BANK_CARD", "abnormal-refund rescue")
	for _, clear := range []string{account, name} {
		if strings.Contains(body, clear) {
			t.Errorf("the refund page shows %q in clear", clear)
		}
	}
}

func TestCashier(t *testing.T) {
	c := newPagesServer(t)
	o, err := c.svc.Orders.Place(context.Background(), pay.PlaceRequest{
		TradeType: pay.TradeNative, Caller: directMchid, Appid: "wx1111111111111111", Mchid: directMchid,
		Description: "cashier test", OutTradeNo: "CASHIER0001", NotifyURL: "https://example.com/notify", Total: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	c.mustPage(t, "/console/cashier", "CASHIER0001")
	loc := c.mustAct(t, "/console/cashier", url.Values{"code_url": {o.CodeURL}, "outcome": {"USERPAYING"}})
	c.mustPage(t, loc, "USERPAYING")
	loc = c.mustAct(t, "/console/cashier", url.Values{"mchid": {directMchid}, "out_trade_no": {"CASHIER0001"}, "outcome": {"SUCCESS"}})
	c.mustPage(t, loc, "SUCCESS", "CASHIER0001")
	// Paying it again is the domain's INVALID_STATE, shown on the error page.
	if status, _ := c.post(t, "/console/cashier", url.Values{"code_url": {o.CodeURL}}); status != http.StatusConflict {
		t.Errorf("pay a paid order = %d, want 409", status)
	}
}

func TestComplaint(t *testing.T) {
	c := newPagesServer(t)
	txID, _ := c.refundOf(t, "5.00")
	loc := c.mustAct(t, "/console/complaints", url.Values{
		"transaction_id": {txID}, "problem_type": {"REFUND"}, "apply_refund_amount": {"5.00"}, "complaint_detail": {"没收到货"}})
	if !strings.HasPrefix(loc, "/console/complaints/") {
		t.Fatalf("create complaint → %q, want /console/complaints/{id}", loc)
	}
	c.mustPage(t, loc, txID, "没收到货", "PENDING", "5.00")
	c.mustPage(t, "/console/complaints", txID, "REFUND")
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/console/complaints/")
	loc = c.mustAct(t, "/console/complaints/"+id+"/messages", url.Values{"content": {"请尽快处理"}})
	c.mustPage(t, loc, "请尽快处理")
}

func TestCoupons(t *testing.T) {
	c := newPagesServer(t)
	ctx := context.Background()
	now := c.svc.Time.Clock().Now()
	st, err := c.svc.Coupons.CreateStock(ctx, directMchid, &pay.Stock{
		Name: "满10减5", BelongMerchant: directMchid, GoodsName: "全场", OutRequestNo: "STOCK0001",
		Type: pay.StockNormal, CodeMode: pay.CodeModeWechatpay, UseMethod: "MINI_PROGRAMS",
		DiscountAmount: 500, TransactionMinimum: 1000, BeginTime: now, EndTime: now.Add(24 * time.Hour),
		MaxCoupons: 10, MaxCouponsPerUser: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := c.svc.Coupons.Send(ctx, pay.SendRequest{
		Caller: directMchid, StockID: st.ID, Openid: "oUSER0001", Appid: "wx1111111111111111", OutRequestNo: "SEND0001"})
	if err != nil {
		t.Fatal(err)
	}
	c.mustPage(t, "/console/coupons", st.ID, "满10减5", "5.00", cp.Code, "oUSER0001", "SENDED")
	body := c.mustPage(t, "/console/coupons?creator=1999999999", "没有批次")
	if strings.Contains(body, st.ID) {
		t.Errorf("coupons of another creator list stock %s", st.ID)
	}
}
