package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	wechatv2 "github.com/go-pay/gopay/wechat"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// testPhone is the complainant's phone a test sends and then looks for where it must
// never be.
const testPhone = "13912345678"

// signatureTap records the signature of every request it sends on: what an eavesdropper
// on the console must never learn.
type signatureTap struct {
	next http.RoundTripper
	mu   sync.Mutex
	sigs []string
}

var authSignature = regexp.MustCompile(`signature="([^"]+)"`)

func (c *signatureTap) RoundTrip(req *http.Request) (*http.Response, error) {
	if m := authSignature.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		c.add(m[1])
	}
	return c.next.RoundTrip(req)
}

func (c *signatureTap) add(sig string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sigs = append(c.sigs, sig)
}

func (c *signatureTap) signatures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sigs)
}

// Ensure no console page, and not /metrics, shows a secret: the sandbox token, a
// merchant's API keys or private key, the clear bank account, name and phone of an
// abnormal refund and a complaint, or the signature of any request the journal holds.
// The pages are every one reachable from the overview by its links, request details
// included; the credential downloads, which are the merchant's own keys, are attachments
// behind the session.
func TestConsoleSecrets(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	ctx := context.Background()
	// Unsigned requests first, enough that the journal's list runs to a second page.
	const unsigned = 45
	for range unsigned {
		if a := s.send(t, "GET", "/v3/refund/domestic/refunds/"+uniq("U"), nil, nil); a.status != http.StatusUnauthorized {
			t.Fatalf("an unsigned query = %d, want 401", a.status)
		}
	}
	tap := &signatureTap{next: s.httpClient().Transport}
	c := s.wechatpayClientVia(t, m, &http.Client{Transport: tap, Timeout: 30 * time.Second})

	// An abnormal refund rescued to a bank card, the account and name encrypted.
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 500})
	refunds := refunddomestic.RefundsApiService{Client: c}
	r, _, err := refunds.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("SEC")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(500), Total: core.Int64(500), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "ABNORMAL"}, nil); st != http.StatusOK {
		t.Fatalf("settle ABNORMAL: %d", st)
	}
	if _, err := s.postAbnormal(t, c, *r.RefundId, map[string]any{
		"out_refund_no": *r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT",
		"bank_account": s.encrypt(t, testAccount), "real_name": s.encrypt(t, testName),
	}); err != nil {
		t.Fatalf("apply-abnormal-refund: %v", err)
	}
	if _, _, err := refunds.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: r.OutRefundNo}); err != nil {
		t.Fatalf("query the refund: %v", err)
	}

	// A complaint with the payer's phone, read back through the API (the phone encrypted).
	co := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 300})
	complaint := s.complain(t, map[string]any{"transaction_id": co.TransactionID, "problem_type": "REFUND",
		"apply_refund_amount": 300, "complaint_detail": "没收到货", "payer_phone": testPhone})
	res, err := c.Get(ctx, "https://api.mch.weixin.qq.com/v3/merchant-service/complaints-v2/"+complaint)
	if err != nil {
		t.Fatalf("query the complaint: %v", err)
	}
	res.Response.Body.Close()

	// A refused signature, made with a stranger's key.
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bad := "/v3/refund/domestic/refunds/" + *r.OutRefundNo
	forged := signer{mchid: m.Mchid, serial: m.CertSerial, key: stranger}.sign(t, "GET", bad, time.Now().Unix(), wxcrypto.Nonce(32), nil)
	tap.add(forged.signature)
	if a := s.send(t, "GET", bad, nil, map[string]string{"Authorization": forged.header()}); a.status != http.StatusUnauthorized {
		t.Fatalf("GET %s with a stranger's signature = %d, want 401", bad, a.status)
	}

	// A v2 refund query, its sign an HMAC under the APIv2 key.
	bm := v2QueryBody(wechatv2.SignType_HMAC_SHA256, "out_refund_no", *r.OutRefundNo)
	bm.Set("appid", m.Appid).Set("mch_id", m.Mchid)
	sign := wechatv2.GetReleaseSign(m.APIv2Key, wechatv2.SignType_HMAC_SHA256, bm)
	bm.Set("sign", sign)
	tap.add(sign)
	v2Body, err := xml.Marshal(bm)
	if err != nil {
		t.Fatal(err)
	}
	if a := s.send(t, "POST", "/pay/refundquery", v2Body, map[string]string{"Content-Type": "text/xml"}); a.status != http.StatusOK || !bytes.Contains(a.body, []byte("SUCCESS")) {
		t.Fatalf("v2 refundquery = %d %s", a.status, a.body)
	}

	// A fault rule, on an API nothing here calls again.
	s.addFault(t, map[string]any{"api": "refund.apply", "mchid": m.Mchid, "error": "FREQUENCY_LIMITED", "times": 3})

	sigs := tap.signatures()
	if len(sigs) < 6 {
		t.Fatalf("%d signatures captured, want at least 6: the tap sees no requests", len(sigs))
	}
	secrets := map[string]string{
		"the sandbox token":      s.creds.SandboxToken,
		"a private key":          "PRIVATE KEY",
		"the clear bank account": testAccount,
		"the clear real name":    testName,
		"the clear phone":        testPhone,
	}
	for _, mc := range s.creds.Merchants {
		secrets[mc.Mchid+"'s APIv3 key"] = mc.APIv3Key
		secrets[mc.Mchid+"'s APIv2 key"] = mc.APIv2Key
		// A line of the key's base64, should a page show the key without its PEM header.
		pemKey, err := os.ReadFile(s.path(mc.PrivateKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		secrets[mc.Mchid+"'s private key"] = strings.Split(string(pemKey), "\n")[1]
	}
	for i, sig := range sigs {
		secrets[fmt.Sprintf("the signature of request %d", i+1)] = sig
	}
	leaks := func(where string, body []byte) {
		t.Helper()
		for what, secret := range secrets {
			if secret != "" && bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s shows %s", where, what)
			}
		}
	}

	console := s.consoleClient(t)
	// The journal writes in batches, in order: once the page lists the last requests
	// sent, it holds the earlier ones too.
	waitJournal(t, console, s.base, "/pay/refundquery")

	pages, downloads := crawlConsole(t, console, s.base)
	for p, body := range pages {
		leaks(p, body)
	}
	for _, want := range []string{
		"/console/", "/console/requests", "/console/requests?mchid=" + m.Mchid, "/console/faults", "/console/clock",
		"/console/transactions", "/console/transactions/" + o.TransactionID, "/console/transactions/" + co.TransactionID,
		"/console/refunds", "/console/refunds/" + *r.RefundId,
		"/console/complaints", "/console/complaints/" + complaint,
		"/console/coupons", "/console/cashier",
	} {
		reached := false
		for p := range pages {
			reached = reached || p == want || strings.HasPrefix(p, want+"?")
		}
		if !reached {
			t.Errorf("the crawl did not reach %s", want)
		}
	}
	details, older := 0, false
	for p := range pages {
		if requestDetail.MatchString(p) {
			details++
		}
		older = older || strings.HasPrefix(p, "/console/requests?before=")
	}
	if details < unsigned+len(sigs) {
		t.Errorf("the crawl reached %d request details, want at least %d (one per request sent)", details, unsigned+len(sigs))
	}
	if !older {
		t.Error("the crawl did not reach the second page of the requests")
	}
	t.Logf("crawled %d pages, %d request details", len(pages), details)

	metrics := getWith(t, &http.Client{Transport: s.transport}, s.base+"/metrics")
	if metrics.status != http.StatusOK {
		t.Fatalf("GET /metrics = %d", metrics.status)
	}
	leaks("/metrics", metrics.body)

	if len(downloads) < 2*len(s.creds.Merchants) {
		t.Errorf("the crawl found %d downloads, want at least %d (a certificate and a key per merchant): %v", len(downloads), 2*len(s.creds.Merchants), downloads)
	}
	signedOut := &http.Client{Transport: s.transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, d := range downloads {
		a := getWith(t, console, s.base+d)
		if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET %s = %d, Content-Disposition %q; want 200 and an attachment", d, a.status, a.header.Get("Content-Disposition"))
		}
		if a := getWith(t, signedOut, s.base+d); a.status == http.StatusOK || bytes.Contains(a.body, []byte("-----BEGIN")) {
			t.Errorf("GET %s without a session = %d, want a refusal without the file", d, a.status)
		}
	}
}

// consoleClient is an HTTP client signed in to the console with the sandbox token.
func (s *testServer) consoleClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: s.transport, Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.PostForm(s.base+"/console/login", url.Values{"token": {s.creds.SandboxToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/" {
		t.Fatalf("sign in: %d at %s, want 200 at /console/", resp.StatusCode, resp.Request.URL)
	}
	return c
}

// getWith sends a GET with c and reads the answer whole.
func getWith(t *testing.T, c *http.Client, u string) answer {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

var requestDetail = regexp.MustCompile(`^/console/requests/\d+$`)

// waitJournal polls the console's request list until it lists a request whose target
// holds last: the journal writes in batches, off the request path.
func waitJournal(t *testing.T, c *http.Client, base, last string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := getWith(t, c, base+"/console/requests")
		if a.status == http.StatusOK && bytes.Contains(a.body, []byte(last)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the journal lists no %s request after 10 s", last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var hrefAttr = regexp.MustCompile(`href="([^"]*)"`)

// crawlConsole visits, signed in with c, every console page reachable from the overview
// by following links, GET only and on the console's own origin, and returns each page's
// body by path and query. Downloads (a path with /files/) are listed, not fetched.
func crawlConsole(t *testing.T, c *http.Client, base string) (pages map[string][]byte, downloads []string) {
	t.Helper()
	origin, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	pages = map[string][]byte{}
	seen := map[string]bool{"/console/": true}
	queue := []string{"/console/"}
	for len(queue) > 0 && len(pages) < 500 {
		p := queue[0]
		queue = queue[1:]
		resp, err := c.Get(base + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Request.URL.Path == "/console/login" {
			t.Fatalf("GET %s ended at the sign-in form: the session was lost", p)
		}
		if resp.StatusCode != http.StatusOK {
			t.Logf("GET %s = %d", p, resp.StatusCode)
		}
		pages[p] = body
		for _, m := range hrefAttr.FindAllSubmatch(body, -1) {
			u, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
			if err != nil || u.Host != origin.Host || !strings.HasPrefix(u.Path, "/console/") {
				continue
			}
			next := u.RequestURI()
			if seen[next] {
				continue
			}
			seen[next] = true
			switch {
			case strings.Contains(u.Path, "/files/"):
				downloads = append(downloads, next)
			case u.Path == "/console/logout":
			default:
				queue = append(queue, next)
			}
		}
	}
	return pages, downloads
}
