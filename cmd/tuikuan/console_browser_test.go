package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signIn signs the tab in to the server's console with the sandbox token, through the
// form, and waits for the overview.
func (s *testServer) signIn(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), s.creds.SandboxToken),
		chromedp.Submit(chromedp.CSS(`input[name="token"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.merchants`)),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// Ensure a signed-out visitor sees the sign-in form, that a wrong token is refused there
// and the sandbox token opens the console.
func TestConsoleBrowser_SignIn(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/console/faults"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
	)
	if err != nil {
		t.Fatalf("visit signed out: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/console/login") {
		t.Errorf("signed-out visit ended at %s, want /console/login", loc)
	}
	shot(t, ctx, "login")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), "not-the-token"),
		chromedp.Submit(chromedp.CSS(`input[name="token"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error`)),
	)
	if err != nil {
		t.Fatalf("wrong token: %v", err)
	}
	shot(t, ctx, "login-wrong-token")
	s.signIn(t, ctx)
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || !strings.Contains(title, "Overview") {
		t.Errorf("title after sign-in = %q, %v; want the overview", title, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form.logout button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
	)
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
}

// Ensure the overview lists every merchant with the download links of its credential
// files, and no private key's text.
func TestConsoleBrowser_Overview(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	s.signIn(t, ctx)
	shot(t, ctx, "overview")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.merchants`)))
	if err != nil {
		t.Fatal(err)
	}
	links, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll(`a.download`)))
	if err != nil {
		t.Fatal(err)
	}
	hrefs := map[string]bool{}
	for _, a := range links {
		hrefs[a["href"]] = true
	}
	for _, m := range s.creds.Merchants {
		if !strings.Contains(text, m.Mchid) {
			t.Errorf("merchants table lacks %s:\n%s", m.Mchid, text)
		}
		for _, f := range []string{"apiclient_cert.pem", "apiclient_key.pem"} {
			if href := "/console/files/merchants/" + m.Mchid + "/" + f; !hrefs[href] {
				t.Errorf("no link %s among %v", href, hrefs)
			}
		}
	}
	for _, href := range []string{"/console/files/platform/wxp_pub.pem", "/console/files/tls/ca.pem"} {
		if !hrefs[href] {
			t.Errorf("no link %s among %v", href, hrefs)
		}
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`html`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"PRIVATE KEY", s.creds.SandboxToken, s.creds.Merchants[0].APIv3Key} {
		if strings.Contains(html, secret) {
			t.Errorf("the overview shows %q", secret)
		}
	}
}

// Ensure a fault rule added with the form is listed, is the rule the sandbox API lists,
// and is removed with its button.
func TestConsoleBrowser_Faults(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	s.signIn(t, ctx)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/console/faults"),
		chromedp.WaitVisible(chromedp.CSS(`table.faults tr.empty`)),
		chromedp.SetValue(chromedp.CSS(`select[name="api"]`), "refund.apply"),
		chromedp.SetValue(chromedp.CSS(`select[name="error"]`), "FREQUENCY_LIMITED"),
		chromedp.SendKeys(chromedp.CSS(`input[name="times"]`), "2"),
		chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.faults button.danger`)),
	)
	if err != nil {
		t.Fatalf("add a rule: %v", err)
	}
	shot(t, ctx, "faults-added")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.faults tbody`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "refund.apply") || !strings.Contains(text, "FREQUENCY_LIMITED") {
		t.Errorf("rules table = %q, want the refund.apply FREQUENCY_LIMITED rule", text)
	}
	rules := s.faults(t)
	if len(rules) != 1 || rules[0].API != "refund.apply" || rules[0].Remaining == nil || *rules[0].Remaining != 2 {
		t.Fatalf("sandbox API rules = %+v, want one refund.apply rule with 2 left", rules)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`table.faults button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`table.faults tr.empty`)),
	)
	if err != nil {
		t.Fatalf("remove the rule: %v", err)
	}
	if rules := s.faults(t); len(rules) != 0 {
		t.Errorf("sandbox API rules after removal = %+v, want none", rules)
	}
}

// Ensure a form sent without its CSRF token, and a form sent by a signed-out visitor, get
// nothing done: the fault rule they ask for is never added.
func TestConsoleBrowser_RefusedForms(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	s.signIn(t, ctx)
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/console/faults"),
		chromedp.WaitVisible(chromedp.CSS(`table.faults tr.empty`)),
		chromedp.SetValue(chromedp.CSS(`select[name="api"]`), "refund.apply"),
		chromedp.SetValue(chromedp.CSS(`select[name="error"]`), "SYSTEM_ERROR"),
	)
	if err != nil {
		t.Fatalf("fill the form: %v", err)
	}
	// What a forged form lacks: the token bound to the session.
	removed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const f = document.querySelector('form.card');
		f.querySelector('input[name="csrf"]').remove();
		return !f.querySelector('input[name="csrf"]');
	})()`))
	if err != nil || !removed {
		t.Fatalf("remove the token: %t, %v", removed, err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`)))
	if err != nil {
		t.Fatalf("send the form without its token: %v", err)
	}
	if resp.Status != http.StatusForbidden {
		t.Errorf("form without its token: status %d, want 403", resp.Status)
	}
	shot(t, ctx, "no-csrf")
	if rules := s.faults(t); len(rules) != 0 {
		t.Fatalf("rules after a form without its token = %+v, want none", rules)
	}

	// Signed out, the same form with a token copied from the page is refused too.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/console/faults"), chromedp.WaitVisible(chromedp.CSS(`form.card`))); err != nil {
		t.Fatal(err)
	}
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('form.card input[name="csrf"]').value`))
	if err != nil || token == "" {
		t.Fatalf("copy the token: %q, %v", token, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form.logout button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
	)
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/console/faults', {method: 'POST', redirect: 'manual',
		body: new URLSearchParams({csrf: `+strconv.Quote(token)+`, api: 'refund.apply', error: 'SYSTEM_ERROR'})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("post signed out: %v", err)
	}
	// 403, or an opaque redirect to the sign-in form (status 0): either way, not done.
	if status != 0 && status != http.StatusForbidden {
		t.Errorf("signed-out POST status = %d, want 403 or a redirect", status)
	}
	if rules := s.faults(t); len(rules) != 0 {
		t.Fatalf("rules after a signed-out form = %+v, want none", rules)
	}
}
