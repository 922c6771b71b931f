package main

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// signer signs requests exactly as the SDKs do (docs/wire.md#request-signatures), with the
// knobs a test needs to sign them wrongly.
type signer struct {
	mchid, serial string
	key           *rsa.PrivateKey
}

func (s *testServer) signer(t testing.TB, m identity.MerchantCredential) signer {
	t.Helper()
	pemBytes, err := os.ReadFile(s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := wxcrypto.ParsePrivateKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return signer{mchid: m.Mchid, serial: m.CertSerial, key: key}
}

// authParams are the five Authorization items.
type authParams struct {
	mchid, nonce, serial, signature string
	timestamp                       int64
}

// sign signs method, the canonical URL and body at ts with nonce.
func (sg signer) sign(t testing.TB, method, url string, ts int64, nonce string, body []byte) authParams {
	t.Helper()
	sig, err := wxcrypto.Sign(sg.key, wxcrypto.RequestMessage(method, url, ts, nonce, body))
	if err != nil {
		t.Fatal(err)
	}
	return authParams{mchid: sg.mchid, nonce: nonce, serial: sg.serial, signature: sig, timestamp: ts}
}

// header is the Authorization value in the SDKs' order and spelling.
func (p authParams) header() string {
	return fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		p.mchid, p.nonce, p.timestamp, p.serial, p.signature)
}

// authorize signs a request now with a fresh nonce and returns its header.
func (sg signer) authorize(t testing.TB, method, url string, body []byte) string {
	t.Helper()
	return sg.sign(t, method, url, time.Now().Unix(), wxcrypto.Nonce(32), body).header()
}

// answer is a raw response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends target (path?query exactly as it goes on the wire) with the headers given.
func (s *testServer) send(t testing.TB, method, target string, body []byte, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.base+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: s.transport, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// errorJSON is the error envelope with SIGN_ERROR's detail (docs/wire.md#error-bodies).
type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  struct {
		Field           string `json:"field"`
		Location        string `json:"location"`
		Issue           string `json:"issue"`
		SignInformation *struct {
			Method               string `json:"method"`
			URL                  string `json:"url"`
			TruncatedSignMessage string `json:"truncated_sign_message"`
			SignMessageLength    int    `json:"sign_message_length"`
		} `json:"sign_information"`
	} `json:"detail"`
}

func (a answer) error(t testing.TB) errorJSON {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e errorJSON
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", a.body, err)
	}
	return e
}

const refundsPath = "/v3/refund/domestic/refunds"

// refundBody is a valid domestic refund of o by the direct merchant.
func refundBody(o paidOrder, outRefundNo string, refund int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"transaction_id": o.TransactionID,
		"out_refund_no":  outRefundNo,
		"amount":         map[string]any{"refund": refund, "total": o.Total, "currency": "CNY"},
	})
	return b
}

// Ensure each way of getting the signature wrong is a 401 SIGN_ERROR whose detail says
// what the server verified and what was wrong with it.
func TestAuth_SignErrors(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	sg := s.signer(t, m)
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100000})
	now := time.Now().Unix()

	tests := []struct {
		name string
		// auth returns the Authorization header for body; it may send requests first.
		auth    func(t *testing.T, body []byte) string
		message string // checked when set: the FAQ's wording (签名相关, https://wechatpay-api.gitbook.io/wechatpay-api-v3/chang-jian-wen-ti/qian-ming-xiang-guan)
		field   string
		issue   string // a piece the issue must contain, when set
	}{
		{"MissingAuthorization", func(*testing.T, []byte) string { return "" },
			"Http 头 Authorization 值格式错误", "authorization", ""},
		{"WrongScheme", func(t *testing.T, body []byte) string {
			h := sg.authorize(t, "POST", refundsPath, body)
			return "WECHATPAY2-SHA256-RSA4096" + strings.TrimPrefix(h, "WECHATPAY2-SHA256-RSA2048")
		}, "Http 头 Authorization 认证类型不正确", "authorization", ""},
		{"UnknownMchid", func(t *testing.T, body []byte) string {
			p := sg.sign(t, "POST", refundsPath, now, wxcrypto.Nonce(32), body)
			p.mchid = "1900000999"
			return p.header()
		}, "", "mchid", "1900000999"},
		{"WrongSerial", func(t *testing.T, body []byte) string {
			p := sg.sign(t, "POST", refundsPath, now, wxcrypto.Nonce(32), body)
			p.serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
			return p.header()
		}, "商户证书序列号有误。", "serial_no", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"},
		{"TimestampOld", func(t *testing.T, body []byte) string {
			return sg.sign(t, "POST", refundsPath, now-6*60, wxcrypto.Nonce(32), body).header()
		}, "Http 头 Authorization 中的 timestamp 与发起请求的时间不得超过 5 分钟", "timestamp", strconv.FormatInt(now-6*60, 10)},
		{"TimestampFuture", func(t *testing.T, body []byte) string {
			return sg.sign(t, "POST", refundsPath, now+6*60, wxcrypto.Nonce(32), body).header()
		}, "Http 头 Authorization 中的 timestamp 与发起请求的时间不得超过 5 分钟", "timestamp", strconv.FormatInt(now+6*60, 10)},
		{"OtherBody", func(t *testing.T, body []byte) string {
			return sg.authorize(t, "POST", refundsPath, bytes.Replace(body, []byte(`"refund":1`), []byte(`"refund":2`), 1))
		}, "", "signature", "sign not match"},
		{"NonceReused", func(t *testing.T, body []byte) string {
			nonce := wxcrypto.Nonce(32)
			first := refundBody(o, uniq("N"), 1)
			a := s.send(t, "POST", refundsPath, first, map[string]string{
				"Authorization": sg.sign(t, "POST", refundsPath, time.Now().Unix(), nonce, first).header()})
			if a.status != http.StatusOK {
				t.Fatalf("first request with nonce %s = %d %s, want 200", nonce, a.status, a.body)
			}
			return sg.sign(t, "POST", refundsPath, time.Now().Unix(), nonce, body).header()
		}, "", "nonce_str", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := refundBody(o, uniq("S"), 1)
			a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": tt.auth(t, body)})
			if a.status != http.StatusUnauthorized {
				t.Fatalf("POST %s status = %d, want 401: %s", refundsPath, a.status, a.body)
			}
			if a.header.Get("Request-ID") == "" {
				t.Error("401 has no Request-ID header")
			}
			e := a.error(t)
			if e.Code != "SIGN_ERROR" {
				t.Errorf("code = %q, want SIGN_ERROR", e.Code)
			}
			if e.Message == "" || (tt.message != "" && e.Message != tt.message) {
				t.Errorf("message = %q, want %q", e.Message, tt.message)
			}
			if e.Detail.Field != tt.field || e.Detail.Location != "authorization" {
				t.Errorf("detail field, location = %q, %q, want %q, authorization", e.Detail.Field, e.Detail.Location, tt.field)
			}
			if e.Detail.Issue == "" || !strings.Contains(e.Detail.Issue, tt.issue) {
				t.Errorf("detail.issue = %q, want it to mention %q", e.Detail.Issue, tt.issue)
			}
			si := e.Detail.SignInformation
			if si == nil {
				t.Fatalf("detail.sign_information missing: %s", a.body)
			}
			if si.Method != "POST" || si.URL != refundsPath {
				t.Errorf("sign_information method, url = %q, %q, want POST, %s", si.Method, si.URL, refundsPath)
			}
		})
	}
}

// Ensure sign_information shows the string the server verified, so a user can diff it
// against their own (签名相关, https://wechatpay-api.gitbook.io/wechatpay-api-v3/chang-jian-wen-ti/qian-ming-xiang-guan).
func TestAuth_SignInformation(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	sg := s.signer(t, m)
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	body := refundBody(o, "SI-1", 1)
	ts, nonce := time.Now().Unix(), wxcrypto.Nonce(32)
	p := sg.sign(t, "POST", refundsPath, ts, nonce, []byte("{}"))
	a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": p.header()})
	if a.status != http.StatusUnauthorized {
		t.Fatalf("POST %s status = %d, want 401: %s", refundsPath, a.status, a.body)
	}
	si := a.error(t).Detail.SignInformation
	if si == nil {
		t.Fatalf("detail.sign_information missing: %s", a.body)
	}
	verified := wxcrypto.RequestMessage("POST", refundsPath, ts, nonce, body)
	if si.TruncatedSignMessage != verified || si.SignMessageLength != len(verified) {
		t.Errorf("sign_information message, length = %q, %d, want %q, %d", si.TruncatedSignMessage, si.SignMessageLength, verified, len(verified))
	}
}

// Ensure the five items are accepted in any order, with spaces after the commas
// ("以上五项签名信息，无顺序要求", 签名生成, https://wechatpay-api.gitbook.io/wechatpay-api-v3/qian-ming-zhi-nan-1/qian-ming-sheng-cheng).
func TestAuth_FieldOrder(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	body := refundBody(o, "O-1", 1)
	p := s.signer(t, m).sign(t, "POST", refundsPath, time.Now().Unix(), wxcrypto.Nonce(32), body)
	h := fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 signature="%s", serial_no="%s", timestamp="%d", nonce_str="%s", mchid="%s"`,
		p.signature, p.serial, p.timestamp, p.nonce, p.mchid)
	if a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": h}); a.status != http.StatusOK {
		t.Errorf("POST %s with reordered Authorization = %d %s, want 200", refundsPath, a.status, a.body)
	}
}

// Ensure a path with percent-escapes verifies whether the client signed the raw target,
// as wechatpay-go and Java do, or the unescaped path, as gopay does
// (docs/wire.md#request-signatures).
func TestAuth_EscapedPath(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	sg := s.signer(t, m)
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	body := refundBody(o, "R1|*x", 1)
	if a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": sg.authorize(t, "POST", refundsPath, body)}); a.status != http.StatusOK {
		t.Fatalf("POST %s = %d %s, want 200", refundsPath, a.status, a.body)
	}

	wire := refundsPath + "/R1%7C%2Ax"
	tests := []struct {
		name   string
		signed string
	}{
		{"RawTarget", wire},
		{"UnescapedPath", refundsPath + "/R1|*x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.send(t, "GET", wire, nil, map[string]string{"Authorization": sg.authorize(t, "GET", tt.signed, nil)})
			if a.status != http.StatusOK {
				t.Fatalf("GET %s signed over %s = %d %s, want 200", wire, tt.signed, a.status, a.body)
			}
			var r struct {
				OutRefundNo string `json:"out_refund_no"`
			}
			if err := json.Unmarshal(a.body, &r); err != nil || r.OutRefundNo != "R1|*x" {
				t.Errorf("GET %s out_refund_no = %q (%v), want R1|*x", wire, r.OutRefundNo, err)
			}
		})
	}
}

// Ensure a Content-Type with a charset parameter is still JSON.
func TestAuth_ContentTypeCharset(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	body := refundBody(o, "C-1", 1)
	a := s.send(t, "POST", refundsPath, body, map[string]string{
		"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body),
		"Content-Type":  "application/json; charset=utf-8",
	})
	if a.status != http.StatusOK {
		t.Errorf("POST %s with charset = %d %s, want 200", refundsPath, a.status, a.body)
	}
}

// platformKeys reads the platform public key and the key of its certificate.
func (s *testServer) platformKeys(t testing.TB) (pub, certPub *rsa.PublicKey) {
	t.Helper()
	data, err := os.ReadFile(s.path(s.creds.Platform.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", s.creds.Platform.PublicKeyFile)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(s.path(s.creds.Platform.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := wxcrypto.ParseCertificate(data)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PublicKey), cert.PublicKey.(*rsa.PublicKey)
}

// Ensure a 2xx answer is signed over "ts\nnonce\nbody\n" and names the key a client can
// check it with: the public key id, or the certificate serial for a client that sent it
// (docs/wire.md#answer-signatures).
func TestAuth_ResponseSignature(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	sg := s.signer(t, m)
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	body := refundBody(o, "W-1", 1)
	if a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": sg.authorize(t, "POST", refundsPath, body)}); a.status != http.StatusOK {
		t.Fatalf("POST %s = %d %s, want 200", refundsPath, a.status, a.body)
	}
	pub, certPub := s.platformKeys(t)
	target := refundsPath + "/W-1"

	tests := []struct {
		name       string
		sendSerial string
		wantSerial string
		key        *rsa.PublicKey
	}{
		{"PublicKey", "", s.creds.Platform.PublicKeyID, pub},
		{"PublicKeyIDSent", s.creds.Platform.PublicKeyID, s.creds.Platform.PublicKeyID, pub},
		{"Certificate", s.creds.Platform.CertSerial, s.creds.Platform.CertSerial, certPub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": sg.authorize(t, "GET", target, nil)}
			if tt.sendSerial != "" {
				h["Wechatpay-Serial"] = tt.sendSerial
			}
			a := s.send(t, "GET", target, nil, h)
			if a.status != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", target, a.status, a.body)
			}
			if got := a.header.Get("Request-ID"); got == "" {
				t.Error("200 has no Request-ID header")
			}
			if got := a.header.Get("Wechatpay-Serial"); got != tt.wantSerial {
				t.Errorf("Wechatpay-Serial = %q, want %q", got, tt.wantSerial)
			}
			ts, err := strconv.ParseInt(a.header.Get("Wechatpay-Timestamp"), 10, 64)
			if err != nil {
				t.Fatalf("Wechatpay-Timestamp = %q: %v", a.header.Get("Wechatpay-Timestamp"), err)
			}
			if d := time.Since(time.Unix(ts, 0)); d < -time.Minute || d > time.Minute {
				t.Errorf("Wechatpay-Timestamp = %d, want about now", ts)
			}
			msg := wxcrypto.ResponseMessage(ts, a.header.Get("Wechatpay-Nonce"), a.body)
			if err := wxcrypto.Verify(tt.key, msg, a.header.Get("Wechatpay-Signature")); err != nil {
				t.Errorf("Wechatpay-Signature does not verify over %q: %v", msg, err)
			}
		})
	}
}

// Ensure what the mux answers by itself, an unknown path or a wrong method, is still the
// JSON envelope with a Request-ID: every SDK parses error bodies as JSON
// (docs/wire.md#error-bodies).
func TestAuth_NotFoundAndMethod(t *testing.T) {
	s := startServer(t)
	sg := s.signer(t, s.merchant(t, "direct"))
	tests := []struct {
		name           string
		method, target string
		status         int
	}{
		{"UnknownPath", "GET", "/v3/refund/domestic/nope/1", http.StatusNotFound},
		{"UnknownFamily", "POST", "/v3/nothing-here", http.StatusNotFound},
		{"WrongMethod", "GET", refundsPath, http.StatusMethodNotAllowed},
		{"WrongMethodOnQuery", "DELETE", refundsPath + "/R-1", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.send(t, tt.method, tt.target, nil, map[string]string{"Authorization": sg.authorize(t, tt.method, tt.target, nil)})
			if a.status != tt.status {
				t.Errorf("%s %s status = %d, want %d", tt.method, tt.target, a.status, tt.status)
			}
			if a.header.Get("Request-ID") == "" {
				t.Errorf("%s %s has no Request-ID header", tt.method, tt.target)
			}
			if e := a.error(t); e.Code == "" || e.Message == "" {
				t.Errorf("%s %s body = %s, want code and message", tt.method, tt.target, a.body)
			}
		})
	}
}
