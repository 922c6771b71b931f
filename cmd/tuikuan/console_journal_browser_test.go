package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Ensure a refused signature can be tracked down in the console: the requests list,
// filtered by SIGN_ERROR, holds the refused requests, and each one's page shows the
// diagnosis — a key other than the certificate's for one signed with a stranger's key,
// the full URL for one signed over it — with the string to sign and what the request
// carried, and never the signature itself.
func TestConsoleBrowser_SignErrorDiagnosis(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := signer{mchid: m.Mchid, serial: m.CertSerial, key: stranger}
	wrongKey := "/v3/refund/domestic/refunds/" + uniq("WRONGKEY")
	wrongKeyAuth := forged.sign(t, "GET", wrongKey, time.Now().Unix(), wxcrypto.Nonce(32), nil)
	if a := s.send(t, "GET", wrongKey, nil, map[string]string{"Authorization": wrongKeyAuth.header()}); a.status != http.StatusUnauthorized {
		t.Fatalf("GET %s signed with another key = %d %s, want 401", wrongKey, a.status, a.body)
	}
	fullURL := "/v3/refund/domestic/refunds/" + uniq("FULLURL")
	fullURLAuth := s.signer(t, m).sign(t, "GET", "https://api.mch.weixin.qq.com"+fullURL, time.Now().Unix(), wxcrypto.Nonce(32), nil)
	if a := s.send(t, "GET", fullURL, nil, map[string]string{"Authorization": fullURLAuth.header()}); a.status != http.StatusUnauthorized {
		t.Fatalf("GET %s signed over the full URL = %d %s, want 401", fullURL, a.status, a.body)
	}

	ctx := newBrowser(t)
	s.signIn(t, ctx)
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/console/requests"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="code"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), "SIGN_ERROR"),
	)
	if err != nil {
		t.Fatalf("fill in the requests filter: %v", err)
	}
	// RunResponse waits for the page the form leads to, not the one it is on.
	if _, err := chromedp.RunResponse(ctx, chromedp.Submit(chromedp.CSS(`input[name="code"]`))); err != nil {
		t.Fatalf("filter the requests by SIGN_ERROR: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`table.requests`))); err != nil {
		t.Fatalf("the filtered list: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "code=SIGN_ERROR") {
		t.Errorf("filtered list at %s, want code=SIGN_ERROR in its query", loc)
	}
	list := waitListed(t, ctx, wrongKey, fullURL)
	if strings.Contains(list, "OK") {
		t.Errorf("the SIGN_ERROR list holds a success:\n%s", list)
	}
	shot(t, ctx, "requests-sign-error")

	listURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	page := openEntry(t, ctx, wrongKey)
	shot(t, ctx, "request-wrong-key")
	for _, want := range []string{
		"not the private key of certificate " + m.CertSerial,                                                         // the cause
		"GET\n" + wrongKey + "\n" + strconv.FormatInt(wrongKeyAuth.timestamp, 10) + "\n" + wrongKeyAuth.nonce + "\n", // the string to sign
		"wrong_key", m.Mchid, m.CertSerial, wrongKeyAuth.nonce, // what it carried
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the wrong key's page lacks %q:\n%s", want, page)
		}
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(listURL),
		chromedp.WaitVisible(chromedp.CSS(`table.requests`)),
	)
	if err != nil {
		t.Fatalf("back to the list: %v", err)
	}
	page = openEntry(t, ctx, fullURL)
	shot(t, ctx, "request-full-url")
	for _, want := range []string{
		"signed over the full URL https://api.mch.weixin.qq.com" + fullURL, // the cause
		"url_escaping",
		"GET\n" + fullURL + "\n", // the string the server built
		"GET\nhttps://api.mch.weixin.qq.com" + fullURL + "\n", // the one the signature matches
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the full URL's page lacks %q:\n%s", want, page)
		}
	}

	for _, sig := range []string{wrongKeyAuth.signature, fullURLAuth.signature} {
		for _, where := range []string{list, page} {
			if strings.Contains(where, sig) {
				t.Errorf("the console shows a request's signature %.16s…", sig)
			}
		}
	}
}

// waitListed reloads the requests list the tab shows until it lists every target — the
// journal writes in batches, off the request path — and returns the list's text.
func waitListed(t *testing.T, ctx context.Context, targets ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.requests tbody`)))
		if err != nil {
			t.Fatalf("read the requests list: %v", err)
		}
		missing := ""
		for _, target := range targets {
			if !strings.Contains(text, target) {
				missing = target
				break
			}
		}
		if missing == "" {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("the requests list lacks %s after 10 s:\n%s", missing, text)
		}
		time.Sleep(50 * time.Millisecond)
		if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`table.requests`))); err != nil {
			t.Fatalf("reload the requests list: %v", err)
		}
	}
}

// openEntry clicks the list's entry of target and returns the text of its page once
// the diagnosis shows.
func openEntry(t *testing.T, ctx context.Context, target string) string {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//table[contains(@class,"requests")]//a[contains(., "`+target+`")]`)),
		chromedp.WaitVisible(chromedp.CSS(`.cause`)),
	)
	if err != nil {
		t.Fatalf("open the entry of %s: %v", target, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	return text
}
