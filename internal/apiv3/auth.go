package apiv3

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// authScheme is the only scheme WeChat Pay accepts (docs/wire.md#request-signatures).
const authScheme = "WECHATPAY2-SHA256-RSA2048"

// signWindow is how far, in whole seconds, a request's timestamp may be from real time:
// the five minutes of the SIGN_ERROR message below.
const signWindow = 300

// nonceKeep is how long a nonce is remembered. A request stays inside the window from
// signWindow seconds before its timestamp to signWindow seconds after, so a replay is
// possible up to 2×signWindow after the first use; the slack covers the truncation to
// whole seconds and the clock differences of nodes that share one NonceStore.
const nonceKeep = (2*signWindow + 60) * time.Second

// authorization is a parsed Authorization header.
type authorization struct {
	Mchid     string
	Nonce     string
	Timestamp string
	Serial    string
	Signature string
}

// authError is a malformed Authorization header: message is the answer's wording, cause
// says which part is wrong, for the diagnosis (never the items' values: one may be the
// signature).
type authError struct {
	message string
	cause   string
}

func (e *authError) Error() string { return e.message }

const (
	authBadFormat = "Http 头 Authorization 值格式错误"
	authBadScheme = "Http 头 Authorization 认证类型不正确"
)

// authItems are the five items of the header, in the order wechatpay-go writes them.
var authItems = []string{"mchid", "nonce_str", "timestamp", "serial_no", "signature"}

// parseAuthorization reads `WECHATPAY2-SHA256-RSA2048 k="v",k="v",…`. The five items come
// in any order ("以上五项签名信息，无顺序要求", docs/wire.md#request-signatures); spaces
// after commas and unquoted values are tolerated.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	scheme, params, ok := strings.Cut(strings.TrimSpace(h), " ")
	if strings.TrimSpace(h) == "" {
		return a, &authError{authBadFormat, "the request carries no Authorization header"}
	}
	if !ok {
		return a, &authError{authBadFormat, "the Authorization header is one word: want the scheme " + authScheme + ", a space, then the five items"}
	}
	if scheme != authScheme && strings.Contains(scheme, "=") {
		return a, &authError{authBadScheme, "the header starts with the items, without the scheme " + authScheme + " before them"}
	}
	if scheme != authScheme {
		return a, &authError{authBadScheme, fmt.Sprintf("the scheme is %q; the only scheme accepted is %s, in upper case", capped(scheme, 40), authScheme)}
	}
	seen := make(map[string]bool, 5)
	for i, part := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k = strings.TrimSpace(k)
		if !ok {
			return a, &authError{authBadFormat, fmt.Sprintf("item %d has no '=': items are key=\"value\" separated by commas", i+1)}
		}
		// An item named twice would let the server and whoever else reads the header
		// (a proxy, a log) disagree about who signed what.
		if seen[k] {
			return a, &authError{authBadFormat, fmt.Sprintf("item %q appears twice", capped(k, 20))}
		}
		seen[k] = true
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		switch k {
		case "mchid":
			a.Mchid = v
		case "nonce_str":
			a.Nonce = v
		case "timestamp":
			a.Timestamp = v
		case "serial_no":
			a.Serial = v
		case "signature":
			a.Signature = v
		}
	}
	if a.Mchid == "" || a.Nonce == "" || a.Timestamp == "" || a.Serial == "" || a.Signature == "" {
		return a, &authError{authBadFormat, missingItems(a, seen, params)}
	}
	return a, nil
}

// missingItems names the items a header lacks or left empty.
func missingItems(a authorization, seen map[string]bool, params string) string {
	values := []string{a.Mchid, a.Nonce, a.Timestamp, a.Serial, a.Signature}
	var missing, empty []string
	for i, k := range authItems {
		switch {
		case !seen[k]:
			missing = append(missing, k)
		case values[i] == "":
			empty = append(empty, k)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing item "+strings.Join(missing, ", "))
	}
	if len(empty) > 0 {
		parts = append(parts, "empty item "+strings.Join(empty, ", "))
	}
	cause := "the Authorization header has " + strings.Join(parts, "; ")
	if strings.Contains(params, ";") {
		cause += " (items are separated by commas, not semicolons)"
	}
	return cause
}

// capped shortens s to at most n bytes, for quoting a piece of a header in a diagnosis.
func capped(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// signError is a failed request signature. Besides the FAQ message it tells the user what
// the server verified, the thing every integrator wishes the real service said.
type signError struct {
	message string
	issue   string
	// reason is the issue without the request's own values, for the log line of the
	// refusal: what went wrong, with nothing of the Authorization header in it.
	reason string
	field  string
	method string
	url    string
	signed string // the string-to-sign as the server built it
}

func (e *signError) Error() string { return "SIGN_ERROR: " + e.message + ": " + e.issue }

// Envelope is the 401 SIGN_ERROR answer, its detail naming the cause.
func (e *signError) Envelope() (int, jsonapi.Envelope) {
	return http.StatusUnauthorized, jsonapi.Envelope{Code: pay.CodeSignError, Message: e.message, Detail: e.detail()}
}

// Reason is the cause for the log, with nothing of the Authorization header in it.
func (e *signError) Reason() string { return e.reason }

// Observed real detail shape (docs/wire.md#request-signatures), with the FAQ's top-level issue as well.
func (e *signError) detail() any {
	type signInfo struct {
		Method               string `json:"method"`
		URL                  string `json:"url"`
		TruncatedSignMessage string `json:"truncated_sign_message"`
		SignMessageLength    int    `json:"sign_message_length"`
	}
	d := map[string]any{
		"field":    e.field,
		"location": "authorization",
		"issue":    e.issue,
		"detail":   map[string]string{"issue": e.issue},
	}
	if e.method != "" {
		d["sign_information"] = signInfo{e.method, e.url, truncateSigned(e.signed), len(e.signed)}
	}
	return d
}

// truncateSigned keeps the first lines whole and shortens a long body.
func truncateSigned(s string) string {
	const max = 512
	if len(s) <= max {
		return s
	}
	return s[:max] + fmt.Sprintf("…(%d bytes more)\n", len(s)-max)
}

// Refusal reasons, the log line's words for each way a signature check fails.
const (
	refusedMalformed    = "authorization header malformed"
	refusedMchid        = "unknown mchid"
	refusedSerial       = "unknown serial_no"
	refusedExpired      = "merchant certificate expired"
	refusedTimestampNaN = "timestamp not a number"
	refusedStale        = "stale timestamp"
	refusedSign         = "sign not match"
	refusedNonce        = "nonce replayed"
)

// signCheck is what checkSignature learned about a request before it refused it, for
// diagnose to explain the refusal with.
type signCheck struct {
	targets  []string
	auth     authorization
	authErr  *authError
	ts       int64
	tsOK     bool
	merchant *pay.Merchant
	pub      *rsa.PublicKey
	cert     *x509.Certificate
	now      time.Time
}

// authenticate checks the request signature and, when it refuses the request, records
// in the exchange why (diagnose), for the journal.
func (a *api) authenticate(r *http.Request, body []byte) (*pay.Merchant, error) {
	sc := signCheck{targets: canonicalTargets(r)}
	m, err := a.checkSignature(r, body, &sc)
	var se *signError
	if errors.As(err, &se) {
		jsonapi.ExchangeOf(r).Diagnosis = a.diagnose(r, body, se, &sc)
	}
	return m, err
}

// checkSignature checks the request signature against the merchant's certificate: raw
// request target, raw body, real time (never the sandbox clock), nonce not seen within
// the window. It fills sc as it goes.
func (a *api) checkSignature(r *http.Request, body []byte, sc *signCheck) (*pay.Merchant, error) {
	targets := sc.targets
	auth, err := parseAuthorization(r.Header.Get("Authorization"))
	sc.auth = auth
	if err != nil {
		errors.As(err, &sc.authErr)
		return nil, &signError{message: err.Error(), issue: refusedMalformed, reason: refusedMalformed, field: "authorization", method: r.Method, url: targets[0]}
	}
	jsonapi.ExchangeOf(r).Mchid = auth.Mchid
	se := &signError{field: "signature", method: r.Method, url: targets[0]}
	ts, tsOK := parseTimestamp(auth.Timestamp)
	sc.ts, sc.tsOK = ts, tsOK
	if tsOK {
		se.signed = wxcrypto.RequestMessage(r.Method, targets[0], ts, auth.Nonce, body)
	}
	m, err := a.svc.Merchants.Query(r.Context(), auth.Mchid)
	if errors.Is(err, pay.ErrNotFound) {
		return nil, se.with("商户未申请过证书。", "mchid", refusedMchid, "unknown mchid "+auth.Mchid)
	}
	if err != nil {
		return nil, fmt.Errorf("find merchant %s: %w", auth.Mchid, err)
	}
	sc.merchant = m
	if !strings.EqualFold(auth.Serial, m.CertSerial) && (m.FormerCertSerial == "" || !strings.EqualFold(auth.Serial, m.FormerCertSerial)) {
		return nil, se.with("商户证书序列号有误。", "serial_no", refusedSerial, fmt.Sprintf("unknown serial_no %s: merchant %s's certificate serial is %s", auth.Serial, m.Mchid, m.CertSerial))
	}
	pub, cert, err := a.certificate(m)
	if err != nil {
		return nil, fmt.Errorf("merchant %s certificate: %w", m.Mchid, err)
	}
	sc.pub, sc.cert = pub, cert
	now := a.now()
	sc.now = now
	if now.After(cert.NotAfter) {
		return nil, se.with("商户证书已过期。", "serial_no", refusedExpired, "merchant certificate expired at "+cert.NotAfter.Format(time.RFC3339))
	}
	if !tsOK {
		return nil, se.with("Http 头 Authorization 中的 timestamp 与发起请求的时间不得超过 5 分钟", "timestamp", refusedTimestampNaN,
			fmt.Sprintf("timestamp %q is not a whole number of seconds since 1970-01-01 UTC", auth.Timestamp))
	}
	if d := now.Unix() - ts; d < -signWindow || d > signWindow {
		return nil, se.with("Http 头 Authorization 中的 timestamp 与发起请求的时间不得超过 5 分钟", "timestamp", refusedStale,
			fmt.Sprintf("stale timestamp %s: server time is %d", auth.Timestamp, now.Unix()))
	}
	if !verifyAny(pub, r.Method, targets, ts, auth, body) {
		return nil, se.with("错误的签名，验签失败", "signature", refusedSign, "sign not match")
	}
	fresh, err := a.nonces.Remember(r.Context(), m.Mchid, auth.Nonce, now, nonceKeep)
	if err != nil {
		return nil, fmt.Errorf("remember nonce: %w", err)
	}
	if !fresh {
		return nil, se.with("重复的请求：nonce_str 在5分钟内已被使用", "nonce_str", refusedNonce, "nonce replayed "+auth.Nonce)
	}
	return m, nil
}

func (e *signError) with(message, field, reason, issue string) *signError {
	e.message, e.field, e.reason, e.issue = message, field, reason, issue
	return e
}

// canonicalTargets lists the URLs a client may have signed: the raw target as received
// first (what wechatpay-go and Java sign), then the percent-decoded path (gopay signs the
// path it formatted, which Go's client re-escapes on the wire), then the target without a
// trailing bare "?" (gopay's list calls) (docs/wire.md#request-signatures).
func canonicalTargets(r *http.Request) []string {
	targets := []string{r.RequestURI}
	add := func(t string) {
		for _, have := range targets {
			if have == t {
				return
			}
		}
		targets = append(targets, t)
	}
	if p, err := url.PathUnescape(r.URL.EscapedPath()); err == nil {
		if r.URL.RawQuery != "" {
			p += "?" + r.URL.RawQuery
		}
		add(p)
	}
	if t, ok := strings.CutSuffix(r.RequestURI, "?"); ok {
		add(t)
	}
	return targets
}

func verifyAny(pub *rsa.PublicKey, method string, targets []string, ts int64, auth authorization, body []byte) bool {
	for _, t := range targets {
		if wxcrypto.Verify(pub, wxcrypto.RequestMessage(method, t, ts, auth.Nonce, body), auth.Signature) == nil {
			return true
		}
	}
	return false
}

// parseTimestamp reads a timestamp as the SDKs write it: decimal seconds, digits only,
// no sign and no leading zero. At most 18 digits, so that it never overflows and the
// window arithmetic on it cannot either.
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var ts int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		ts = ts*10 + int64(s[i]-'0')
	}
	return ts, true
}

// NonceStore remembers the nonces of signed requests, so that a request is refused when
// it is sent again. Nodes that share one store refuse a request replayed on another.
type NonceStore interface {
	// Remember records mchid's nonce as seen at now, to be kept at least for keep, and
	// reports whether it is new: not seen within keep before now.
	Remember(ctx context.Context, mchid, nonce string, now time.Time, keep time.Duration) (bool, error)
}

// memoryNonces is a NonceStore for one node.
type memoryNonces struct {
	mu        sync.Mutex
	seen      map[string]time.Time
	nextSweep int
}

func newMemoryNonces() *memoryNonces {
	return &memoryNonces{seen: make(map[string]time.Time), nextSweep: 1024}
}

func (c *memoryNonces) Remember(_ context.Context, mchid, nonce string, now time.Time, keep time.Duration) (bool, error) {
	key := mchid + "\x00" + nonce
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.seen[key]; ok && now.Sub(at) < keep {
		return false, nil
	}
	c.seen[key] = now
	if len(c.seen) >= c.nextSweep {
		for k, at := range c.seen {
			if now.Sub(at) >= keep {
				delete(c.seen, k)
			}
		}
		c.nextSweep = max(1024, 2*len(c.seen))
	}
	return true, nil
}
