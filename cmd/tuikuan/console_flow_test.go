package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/native"
)

// TestConsoleBrowser_RefundFlow drives the console as a developer would: sign in, make a paid
// order, refund it with a notify_url, settle it SUCCESS, and read the timeline.
func TestConsoleBrowser_RefundFlow(t *testing.T) {
	ctx := newBrowser(t)
	s := startServer(t)
	m := s.merchant(t, "direct")
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"code":"SUCCESS","message":"成功"}`))
	}))
	t.Cleanup(rcv.Close)

	s.signIn(t, ctx)
	shot(t, ctx, "1-signed-in")

	consoleStep(t, ctx, "create a paid order",
		chromedp.Navigate(s.base+"/console/transactions"),
		chromedp.SetValue(chromedp.CSS(`#create-order select[name=mchid]`), m.Mchid),
		chromedp.SendKeys(chromedp.CSS(`#create-order input[name=amount]`), "88.88"),
		chromedp.SendKeys(chromedp.CSS(`#create-order input[name=bank_type]`), "CMB_CREDIT"),
		chromedp.Click(chromedp.CSS(`#create-order button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=notify_url]`)),
	)
	orderPage, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(orderPage, "/console/transactions/4200") {
		t.Fatalf("after creating an order the browser is at %s", orderPage)
	}
	consoleSees(t, ctx, "88.88", "SUCCESS", "CMB_CREDIT")
	shot(t, ctx, "2-order")

	consoleStep(t, ctx, "refund it",
		chromedp.SendKeys(chromedp.CSS(`input[name=reason]`), "浏览器测试"),
		chromedp.SendKeys(chromedp.CSS(`input[name=notify_url]`), rcv.URL+"/notify"),
		chromedp.Click(chromedp.CSS(`#refund button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/settle"]`)),
	)
	consoleSees(t, ctx, "PROCESSING", "申请退款 applied", "88.88")
	shot(t, ctx, "3-refund-processing")

	consoleStep(t, ctx, "settle it SUCCESS",
		chromedp.Click(chromedp.Search(`//form[contains(@action,"/settle")]//button[normalize-space(.)="SUCCESS"]`)),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(., "状态变更 status change")]`)),
	)
	consoleSees(t, ctx, "REFUND.SUCCESS", rcv.URL+"/notify")
	shot(t, ctx, "4-refund-success")

	// Re-sending delivers now and records the attempt before the page comes back, so
	// the timeline has one without waiting on the deliverer's schedule.
	consoleStep(t, ctx, "re-send the notification",
		chromedp.Click(chromedp.Search(`//button[contains(., "重发通知")]`)),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(., "通知投递 delivery")]`)),
	)
	consoleSees(t, ctx, "HTTP 200", "通知投递 delivery #")
	shot(t, ctx, "5-timeline")
}

// TestConsoleBrowser_Cashier pays, at the cashier, an order the merchant placed with the SDK.
func TestConsoleBrowser_Cashier(t *testing.T) {
	ctx := newBrowser(t)
	s := startServer(t)
	m := s.merchant(t, "direct")
	placed, _, err := (&native.NativeApiService{Client: s.wechatpayClient(t, m)}).Prepay(context.Background(), native.PrepayRequest{
		Appid: core.String(m.Appid), Mchid: core.String(m.Mchid), Description: core.String("收银台测试"),
		OutTradeNo: core.String("CASHIER20260001"), NotifyUrl: core.String("https://example.com/notify"),
		Amount: &native.Amount{Total: core.Int64(1999)},
	})
	if err != nil {
		t.Fatalf("prepay: %v", err)
	}

	s.signIn(t, ctx)
	consoleStep(t, ctx, "open the cashier",
		chromedp.Navigate(s.base+"/console/cashier"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=code_url]`)),
	)
	consoleSees(t, ctx, "CASHIER20260001", "19.99")
	shot(t, ctx, "1-cashier")

	consoleStep(t, ctx, "pay it by code_url",
		chromedp.SendKeys(chromedp.CSS(`input[name=code_url]`), *placed.CodeUrl),
		chromedp.SetValue(chromedp.CSS(`select[name=outcome]`), "SUCCESS"),
		chromedp.Click(chromedp.CSS(`#pay button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=notify_url]`)),
	)
	consoleSees(t, ctx, "CASHIER20260001", "SUCCESS", "19.99")
	shot(t, ctx, "2-paid")

	consoleStep(t, ctx, "pay it again",
		chromedp.Navigate(s.base+"/console/cashier"),
		chromedp.SendKeys(chromedp.CSS(`input[name=code_url]`), *placed.CodeUrl),
		chromedp.Click(chromedp.CSS(`#pay button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error`)),
	)
	consoleSees(t, ctx, "INVALID_STATE")
	shot(t, ctx, "3-paid-again")
}

func consoleStep(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		shot(t, ctx, "failed")
		t.Fatalf("%s: %v", step, err)
	}
}

// consoleSees fails unless the page's text has every one of wants.
func consoleSees(t *testing.T, ctx context.Context, wants ...string) {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q; it reads:\n%s", w, text)
		}
	}
}
