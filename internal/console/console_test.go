package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/console"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

const (
	token = "sandbox-token"
	mchid = "1900000101"
	// caKeyText stands for the CA's private key, which no console answer may carry.
	caKeyText = "CA PRIVATE KEY"
)

// consoleServer is the console over a fresh SQLite store with one direct merchant, its
// credential files in a temp data dir, and the request journal read from the store.
type consoleServer struct {
	*httptest.Server
	store  pay.Store
	faults *fault.Registry
	token  string
}

func newConsoleServer(tb testing.TB) *consoleServer { return newConsoleServerToken(tb, token) }

// newConsoleServerToken is newConsoleServer with another sandbox token.
func newConsoleServerToken(tb testing.TB, token string) *consoleServer {
	tb.Helper()
	st := storetest.NewSQLite(tb)
	storetest.Merchants(tb, st, &pay.Merchant{
		Mchid: mchid, Kind: pay.KindDirect, Appid: "wx1111111111111111",
		CertSerial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", CertPEM: "dummy",
		APIv3Key: "0123456789abcdef0123456789abcdef", CreateTime: time.Now(),
		CertFile:       filepath.Join("merchants", mchid, "apiclient_cert.pem"),
		PrivateKeyFile: filepath.Join("merchants", mchid, "apiclient_key.pem"),
	})
	dir := tb.TempDir()
	for name, text := range map[string]string{
		"merchants/" + mchid + "/apiclient_cert.pem": "MERCHANT CERT",
		"merchants/" + mchid + "/apiclient_key.pem":  "MERCHANT KEY",
		"platform/wxp_pub.pem":                       "PLATFORM PUBLIC KEY",
		"tls/ca.pem":                                 "CA CERT",
		"tls/ca_key.pem":                             caKeyText,
		"tls/server_key.pem":                         caKeyText,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	faults := fault.New()
	svc := pay.NewService(st, pay.Simulated{}, pay.NewClock(nil))
	h := console.NewHandler(console.Config{
		Service: svc, Faults: faults, Journal: storeJournal{st}, Token: token, Data: dir,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &consoleServer{Server: srv, store: st, faults: faults, token: token}
}

// storeJournal reads the journal straight from the store, as package journal's
// recorder does.
type storeJournal struct{ store pay.Store }

func (j storeJournal) Entries(ctx context.Context, f pay.JournalFilter) (out []*pay.JournalEntry, err error) {
	err = j.store.View(ctx, func(tx pay.Tx) error {
		out, err = tx.JournalEntries(ctx, f)
		return err
	})
	return out, err
}

func (j storeJournal) Entry(ctx context.Context, id int64) (out *pay.JournalEntry, err error) {
	err = j.store.View(ctx, func(tx pay.Tx) error {
		out, err = tx.JournalEntry(ctx, id)
		return err
	})
	return out, err
}

// browser is a client with a cookie jar that does not follow redirects, so that tests
// see each 303.
func (s *consoleServer) browser(tb testing.TB) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(tb testing.TB, c *http.Client, method, u string, form url.Values) answer {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// signIn signs c in and returns the CSRF token the overview's forms carry.
func (s *consoleServer) signIn(tb testing.TB, c *http.Client) string {
	tb.Helper()
	if a := do(tb, c, "POST", s.URL+"/console/login", url.Values{"token": {s.token}}); a.status != http.StatusSeeOther {
		tb.Fatalf("POST /console/login = %d, want 303:\n%s", a.status, a.body)
	}
	a := do(tb, c, "GET", s.URL+"/console/faults", nil)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(a.body)
	if m == nil {
		tb.Fatalf("GET /console/faults = %d, no CSRF token in:\n%s", a.status, a.body)
	}
	return m[1]
}

// Ensure a signed-out visitor of any page is sent to the sign-in form.
func TestPage_SignedOut(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	for _, path := range []string{"/console/", "/console/faults", "/console/clock", "/console/requests", "/console/files/tls/ca.pem"} {
		a := do(t, c, "GET", s.URL+path, nil)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/login" {
			t.Errorf("GET %s = %d Location %q, want 303 to /console/login", path, a.status, a.header.Get("Location"))
		}
	}
	a := do(t, c, "GET", s.URL+"/console/login", nil)
	if a.status != http.StatusOK || !strings.Contains(a.body, `type="password" name="token"`) {
		t.Errorf("GET /console/login = %d, want 200 with the token field:\n%s", a.status, a.body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Cache-Control"} {
		if a.header.Get(h) == "" {
			t.Errorf("GET /console/login: no %s header", h)
		}
	}
	if csp := a.header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q, allows inline code", csp)
	}
}

// Ensure a wrong token gets the form again with 401 and no cookie.
func TestLogin_WrongToken(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	for _, tok := range []string{"", "wrong", token + "x"} {
		a := do(t, c, "POST", s.URL+"/console/login", url.Values{"token": {tok}})
		if a.status != http.StatusUnauthorized {
			t.Errorf("POST /console/login token %q = %d, want 401", tok, a.status)
		}
		if sc := a.header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("POST /console/login token %q set %q", tok, sc)
		}
		if !strings.Contains(a.body, `name="token"`) {
			t.Errorf("POST /console/login token %q: the form is not shown again", tok)
		}
	}
}

// Ensure signing in sets a session cookie scripts cannot read and other sites cannot
// send, and that it opens the overview.
func TestLogin_Cookie(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	req, _ := http.NewRequest("POST", s.URL+"/console/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("POST /console/login = %d Location %q, want 303 to /console/", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v, want one", cookies)
	}
	ck := cookies[0]
	if ck.Name != "tuikuan_console" || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" || ck.MaxAge <= 0 {
		t.Errorf("cookie = %+v, want tuikuan_console, HttpOnly, SameSite=Strict, Path=/console/, an expiry", ck)
	}
	if strings.Contains(ck.Value, token) {
		t.Errorf("cookie %q carries the token", ck.Value)
	}
	a := do(t, c, "GET", s.URL+"/console/", nil)
	if a.status != http.StatusOK || !strings.Contains(a.body, mchid) {
		t.Errorf("GET /console/ = %d, want 200 listing %s:\n%s", a.status, mchid, a.body)
	}
	if strings.Contains(a.body, token) || strings.Contains(a.body, "0123456789abcdef0123456789abcdef") {
		t.Error("the overview shows the token or an APIv3 key")
	}
	// Signing out ends the session for this browser.
	csrf := s.signIn(t, c)
	if a := do(t, c, "POST", s.URL+"/console/logout", url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Fatalf("POST /console/logout = %d, want 303", a.status)
	}
	if a := do(t, c, "GET", s.URL+"/console/", nil); a.status != http.StatusSeeOther {
		t.Errorf("GET /console/ after sign-out = %d, want 303", a.status)
	}
}

// Ensure an action runs only with a session and that session's CSRF token: without one,
// with a wrong one, or with a session signed under another token, the answer is 403 and
// no rule is added.
func TestAction_CSRF(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	rule := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "api": {"refund.apply"}, "error": {"SYSTEM_ERROR"}}
	}
	other := newConsoleServerToken(t, "another-token")
	forged := other.browser(t)
	otherCSRF := other.signIn(t, forged)
	// The other server's cookie, signed under the same name but another token.
	u, _ := url.Parse(s.URL + "/console/")
	ou, _ := url.Parse(other.URL + "/console/")
	forgedJar, _ := cookiejar.New(nil)
	forgedJar.SetCookies(u, forged.Jar.Cookies(ou))
	forged.Jar = forgedJar

	tests := []struct {
		name   string
		client *http.Client
		form   url.Values
	}{
		{"NoSession", s.browser(t), rule(csrf)},
		{"NoToken", c, url.Values{"api": {"refund.apply"}, "error": {"SYSTEM_ERROR"}}},
		{"WrongToken", c, rule(strings.Repeat("0", len(csrf)))},
		{"OtherSessionsToken", c, rule(otherCSRF)},
		{"CookieOfAnotherToken", forged, rule(otherCSRF)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a := do(t, tt.client, "POST", s.URL+"/console/faults", tt.form); a.status != http.StatusForbidden {
				t.Errorf("POST /console/faults = %d, want 403", a.status)
			}
			if rules, _ := s.faults.List(); len(rules) != 0 {
				t.Errorf("rules = %+v, want none", rules)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if a := do(t, c, "POST", s.URL+"/console/faults", rule(csrf)); a.status != http.StatusSeeOther {
			t.Fatalf("POST /console/faults = %d, want 303:\n%s", a.status, a.body)
		}
		rules, _ := s.faults.List()
		if len(rules) != 1 || rules[0].API != "refund.apply" || rules[0].Action.Error != "SYSTEM_ERROR" {
			t.Errorf("rules = %+v, want one refund.apply SYSTEM_ERROR", rules)
		}
	})
	t.Run("CrossSite", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.URL+"/console/faults/clear", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST = %d, want 403", resp.StatusCode)
		}
		if rules, _ := s.faults.List(); len(rules) != 1 {
			t.Errorf("rules after a cross-site clear = %d, want 1", len(rules))
		}
	})
}

// Ensure a bad rule shows the registry's PARAM_ERROR and adds nothing.
func TestAction_Error(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	a := do(t, c, "POST", s.URL+"/console/faults", url.Values{"csrf": {csrf}, "api": {"refund.apply"}, "error": {"NO_SUCH_CODE"}})
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, "PARAM_ERROR") {
		t.Errorf("POST /console/faults with a bad code = %d, want 400 PARAM_ERROR:\n%s", a.status, a.body)
	}
	if rules, _ := s.faults.List(); len(rules) != 0 {
		t.Errorf("rules = %+v, want none", rules)
	}
}

// Ensure only the allow-listed credential files download, as attachments.
func TestDownload_AllowList(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	s.signIn(t, c)
	for path, want := range map[string]string{
		"merchants/" + mchid + "/apiclient_key.pem": "MERCHANT KEY",
		"platform/wxp_pub.pem":                      "PLATFORM PUBLIC KEY",
		"tls/ca.pem":                                "CA CERT",
	} {
		a := do(t, c, "GET", s.URL+"/console/files/"+path, nil)
		if a.status != http.StatusOK || a.body != want || !strings.HasPrefix(a.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET %s = %d %q Content-Disposition %q, want 200 %q attachment", path, a.status, a.body, a.header.Get("Content-Disposition"), want)
		}
	}
	for _, path := range []string{
		"tls/ca_key.pem", "tls/server_key.pem", "credentials.json",
		"merchants/" + mchid + "/../../tls/ca_key.pem", "merchants/..%2f..%2ftls%2fca_key.pem",
		"merchants/%2e%2e/tls/ca_key.pem", "merchants/1900000102/apiclient_key.pem",
		"platform/../tls/ca_key.pem",
	} {
		a := do(t, c, "GET", s.URL+"/console/files/"+path, nil)
		if a.status == http.StatusOK || strings.Contains(a.body, caKeyText) {
			t.Errorf("GET %s = %d %q, want it refused", path, a.status, a.body)
		}
	}
}

// Ensure a refused signature's page shows the cause and the server's string to sign.
func TestRequest_SignDiagnosis(t *testing.T) {
	s := newConsoleServer(t)
	e := &pay.JournalEntry{
		At: time.Now(), RequestID: "r1", Mchid: mchid, API: "refund.apply", Method: "POST",
		Target: "/v3/refund/domestic/refunds", Status: 401, Code: pay.CodeSignError,
		Request: `{"out_refund_no":"R1"}`, Answer: `{"code":"SIGN_ERROR","message":"签名错误"}`,
		Diagnosis: `{"cause":"the body changed after signing","reason":"message_mismatch","method":"POST",` +
			`"url":"/v3/refund/domestic/refunds","timestamp":"1700000000","server_time":1700000003,"nonce":"N1",` +
			`"mchid":"1900000101","serial_no":"ABC","signature_length":344,"string_to_sign":"POST\n/v3/refund/domestic/refunds\n1700000000\nN1\n{}\n"}`,
	}
	err := s.store.Update(context.Background(), func(tx pay.Tx) error {
		return tx.InsertJournalEntries(context.Background(), []*pay.JournalEntry{e})
	})
	if err != nil {
		t.Fatal(err)
	}
	c := s.browser(t)
	s.signIn(t, c)
	a := do(t, c, "GET", s.URL+"/console/requests", nil)
	if a.status != http.StatusOK || !strings.Contains(a.body, "SIGN_ERROR") || !strings.Contains(a.body, "/console/requests/") {
		t.Errorf("GET /console/requests = %d, want the entry listed:\n%s", a.status, a.body)
	}
	a = do(t, c, "GET", s.URL+"/console/requests/"+itoa(e.ID), nil)
	for _, want := range []string{"the body changed after signing", "POST\n/v3/refund/domestic/refunds\n1700000000\nN1", "message_mismatch", "344"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("GET /console/requests/%d: no %q in:\n%s", e.ID, want, a.body)
		}
	}
	if a := do(t, c, "GET", s.URL+"/console/requests/999999", nil); a.status != http.StatusNotFound {
		t.Errorf("GET /console/requests/999999 = %d, want 404", a.status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Ensure the clock form advances business time and refuses what is not a forward
// duration, leaving the clock as it was.
func TestAction_Clock(t *testing.T) {
	s := newConsoleServer(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	for _, by := range []string{"", "soon", "-1h", "0s"} {
		a := do(t, c, "POST", s.URL+"/console/clock/advance", url.Values{"csrf": {csrf}, "by": {by}})
		if a.status != http.StatusBadRequest {
			t.Errorf("advance by %q = %d, want 400", by, a.status)
		}
	}
	if a := do(t, c, "GET", s.URL+"/console/clock", nil); !strings.Contains(a.body, ">0s<") {
		t.Errorf("GET /console/clock after refused advances: offset not 0s:\n%s", a.body)
	}
	a := do(t, c, "POST", s.URL+"/console/clock/advance", url.Values{"csrf": {csrf}, "by": {"2d"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/clock" {
		t.Fatalf("advance by 2d = %d Location %q, want 303 to /console/clock", a.status, a.header.Get("Location"))
	}
	if a := do(t, c, "GET", s.URL+"/console/clock", nil); !strings.Contains(a.body, ">48h0m0s<") {
		t.Errorf("GET /console/clock after advancing 2d: offset not 48h0m0s:\n%s", a.body)
	}
}
