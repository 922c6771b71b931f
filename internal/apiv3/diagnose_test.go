package apiv3

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// captureExchanges makes the server send the exchange of each request to the returned
// channel once the handler returns, as the request journal reads it.
func captureExchanges() (chan *jsonapi.Exchange, func(*testServer, *Config)) {
	ch := make(chan *jsonapi.Exchange, 8)
	return ch, func(s *testServer, _ *Config) {
		s.wrap = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(w, r)
				ch <- jsonapi.ExchangeOf(r)
			})
		}
	}
}

// signRaw signs msg with key, or fails the test.
func signRaw(t *testing.T, key *rsa.PrivateKey, msg string) string {
	t.Helper()
	sig, err := wxcrypto.Sign(key, msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func authHeader(mchid, nonce, ts, serial, sig string) string {
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`, authScheme, mchid, nonce, ts, serial, sig)
}

// Ensure each way of getting a request signature wrong leaves in the exchange a
// diagnosis with its reason and a sentence naming the cause, and, when the signature
// was made with the merchant's key over a usual mistake, the message it was made over.
func TestDiagnosis(t *testing.T) {
	exchanges, capture := captureExchanges()
	s := startServer(t, false, capture)
	m := s.merchant
	cert, err := wxcrypto.ParseCertificate([]byte(m.CertPEM))
	if err != nil {
		t.Fatal(err)
	}
	const (
		refunds = "/v3/refund/domestic/refunds"
		query   = "/v3/refund/domestic/refunds/R1?sub_mchid=1900000109"
		body    = `{"out_refund_no":"R1"}`
	)
	// request is what a case sends: target, body and the header built from the
	// server's clock and a fresh nonce.
	type request struct {
		method, target, body, auth string
	}
	sent := func(method, target, body string, auth func(ts, nonce string) string) request {
		return request{method, target, body, auth(strconv.FormatInt(s.clock.Now().Unix(), 10), wxcrypto.Nonce(32))}
	}
	// signedOver signs msg(ts, nonce) with the direct merchant's key and names its serial.
	signedOver := func(key *rsa.PrivateKey, serial string, msg func(ts, nonce string) string) func(ts, nonce string) string {
		return func(ts, nonce string) string {
			return authHeader(m.Mchid, nonce, ts, serial, signRaw(t, key, msg(ts, nonce)))
		}
	}
	message := func(method, target, body string) func(ts, nonce string) string {
		return func(ts, nonce string) string {
			return fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n", method, target, ts, nonce, body)
		}
	}
	other := s.keys[pay.KindPartner]

	tests := []struct {
		name    string
		req     func(t *testing.T) request
		reason  string
		cause   string // a piece of the cause sentence
		matched bool   // whether Matched must be the message the signature was made over
	}{
		{name: "MissingItem", reason: "malformed_header", cause: "missing item signature",
			req: func(t *testing.T) request {
				return request{"GET", "/v3/certificates", "", authScheme + ` mchid="` + m.Mchid + `",nonce_str="n",timestamp="1",serial_no="S"`}
			}},
		{name: "DuplicateItem", reason: "malformed_header", cause: `item "nonce_str" appears twice`,
			req: func(t *testing.T) request {
				return request{"GET", "/v3/certificates", "", authScheme + ` mchid="1",nonce_str="n",nonce_str="m",timestamp="1",serial_no="S",signature="x"`}
			}},
		{name: "WrongScheme", reason: "malformed_header", cause: `the scheme is "Bearer"`,
			req: func(t *testing.T) request { return request{"GET", "/v3/certificates", "", "Bearer abc"} }},
		{name: "NoScheme", reason: "malformed_header", cause: "without the scheme",
			req: func(t *testing.T) request {
				return request{"GET", "/v3/certificates", "", `mchid="1", nonce_str="n", timestamp="1", serial_no="S", signature="x"`}
			}},
		{name: "SemicolonSeparated", reason: "malformed_header", cause: "not semicolons",
			req: func(t *testing.T) request {
				return request{"GET", "/v3/certificates", "", authScheme + ` mchid="1";nonce_str="n";timestamp="1";serial_no="S";signature="x"`}
			}},
		{name: "UnknownMchid", reason: "unknown_mchid", cause: "mchid 1999999999 is not a merchant",
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", func(ts, nonce string) string {
					return authHeader("1999999999", nonce, ts, m.CertSerial, signRaw(t, s.key, message("GET", "/v3/certificates", "")(ts, nonce)))
				})
			}},
		{name: "PlatformCertSerial", reason: "unknown_serial", cause: "platform certificate",
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", signedOver(s.key, s.platform.CertSerial, message("GET", "/v3/certificates", "")))
			}},
		{name: "PlatformPublicKeyID", reason: "unknown_serial", cause: "WeChat Pay public key",
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", signedOver(s.key, s.platform.PublicKeyID, message("GET", "/v3/certificates", "")))
			}},
		{name: "OtherSerial", reason: "unknown_serial", cause: "is not the serial of merchant " + m.Mchid,
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", signedOver(s.key, "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C", message("GET", "/v3/certificates", "")))
			}},
		{name: "SlowClock", reason: "clock_skew", cause: "400 seconds (6m40s) behind",
			req: func(t *testing.T) request {
				ts := strconv.FormatInt(s.clock.Now().Unix()-400, 10)
				return request{"GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates", ""))(ts, "n1")}
			}},
		{name: "FastClock", reason: "clock_skew", cause: "301 seconds (5m1s) ahead",
			req: func(t *testing.T) request {
				ts := strconv.FormatInt(s.clock.Now().Unix()+301, 10)
				return request{"GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates", ""))(ts, "n2")}
			}},
		{name: "Milliseconds", reason: "clock_skew", cause: "milliseconds",
			req: func(t *testing.T) request {
				ts := strconv.FormatInt(s.clock.Now().UnixMilli(), 10)
				return request{"GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates", ""))(ts, "n3")}
			}},
		{name: "TimestampNotNumber", reason: "malformed_header", cause: `timestamp "12.5" is not`,
			req: func(t *testing.T) request {
				return request{"GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates", ""))("12.5", "n4")}
			}},
		{name: "NonceReplayed", reason: "nonce_replayed", cause: "was already used by merchant " + m.Mchid,
			req: func(t *testing.T) request {
				r := sent("GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates", "")))
				if got := s.do(t, r.method, r.target, nil, r.auth); got.status != http.StatusOK {
					t.Fatalf("first request = %d %s, want 200", got.status, got.body)
				}
				if d := (<-exchanges).Diagnosis; d != nil {
					t.Errorf("first request's Diagnosis = %+v, want nil", d)
				}
				return r
			}},
		{name: "WrongKey", reason: "wrong_key", cause: "not the private key of certificate " + m.CertSerial,
			req: func(t *testing.T) request {
				return sent("POST", refunds, body, signedOver(other, m.CertSerial, message("POST", refunds, body)))
			}},
		{name: "NotBase64", reason: "malformed_header", cause: "not standard base64",
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", func(ts, nonce string) string { return authHeader(m.Mchid, nonce, ts, m.CertSerial, "!!not base64!!") })
			}},
		{name: "URLSafeBase64", reason: "malformed_header", cause: "URL-safe base64",
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", func(ts, nonce string) string { return authHeader(m.Mchid, nonce, ts, m.CertSerial, "ab-_") })
			}},
		{name: "ShortSignature", reason: "wrong_key", cause: "the signature is 9 bytes",
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", func(ts, nonce string) string { return authHeader(m.Mchid, nonce, ts, m.CertSerial, "c2hvcnQgc2ln") })
			}},
		{name: "FullURL", reason: "url_escaping", cause: "full URL https://api.mch.weixin.qq.com/v3/certificates", matched: true,
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "https://api.mch.weixin.qq.com/v3/certificates", "")))
			}},
		{name: "WithoutQuery", reason: "url_escaping", cause: "without its query string", matched: true,
			req: func(t *testing.T) request {
				return sent("GET", query, "", signedOver(s.key, m.CertSerial, message("GET", "/v3/refund/domestic/refunds/R1", "")))
			}},
		{name: "TrailingQuestionMark", reason: "url_escaping", cause: "trailing '?'", matched: true,
			req: func(t *testing.T) request {
				return sent("GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates?", "")))
			}},
		{name: "EmptyBodySigned", reason: "message_mismatch", cause: "signed with an empty body but sent a 22-byte body", matched: true,
			req: func(t *testing.T) request {
				return sent("POST", refunds, body, signedOver(s.key, m.CertSerial, message("POST", refunds, "")))
			}},
		{name: "NewlineSigned", reason: "message_mismatch", cause: "trailing newline", matched: true,
			req: func(t *testing.T) request {
				return sent("POST", refunds, body, signedOver(s.key, m.CertSerial, message("POST", refunds, body+"\n")))
			}},
		{name: "BodyReserialised", reason: "message_mismatch", cause: "right key but over a different message",
			req: func(t *testing.T) request {
				return sent("POST", refunds, body, signedOver(s.key, m.CertSerial, message("POST", refunds, `{"out_refund_no": "R1"}`)))
			}},
		// Last: it moves the clock past the certificate's end.
		{name: "CertificateExpired", reason: "certificate_expired", cause: "API certificate " + m.CertSerial + " expired at",
			req: func(t *testing.T) request {
				s.clock.Set(cert.NotAfter.Add(24 * time.Hour))
				return sent("GET", "/v3/certificates", "", signedOver(s.key, m.CertSerial, message("GET", "/v3/certificates", "")))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req(t)
			var reqBody []byte
			if req.body != "" {
				reqBody = []byte(req.body)
			}
			got := s.do(t, req.method, req.target, reqBody, req.auth)
			if got.status != http.StatusUnauthorized {
				t.Fatalf("%s %s = %d %s, want 401", req.method, req.target, got.status, got.body)
			}
			d := (<-exchanges).Diagnosis
			if d == nil {
				t.Fatalf("%s %s: Diagnosis = nil, want one", req.method, req.target)
			}
			if d.Reason != tt.reason || !strings.Contains(d.Cause, tt.cause) {
				t.Errorf("Diagnosis reason, cause = %q, %q; want %q, a cause containing %q", d.Reason, d.Cause, tt.reason, tt.cause)
			}
			if d.Method != req.method || d.URL != req.target || d.BodyLength != len(req.body) {
				t.Errorf("Diagnosis method, url, body_length = %s %s %d, want %s %s %d", d.Method, d.URL, d.BodyLength, req.method, req.target, len(req.body))
			}
			if tt.matched != (d.Matched != "") {
				t.Errorf("Diagnosis.Matched = %q, want it set: %v", d.Matched, tt.matched)
			}
			if tt.matched && (d.Matched == d.Signed || !strings.Contains(d.Matched, d.Nonce)) {
				t.Errorf("Diagnosis.Matched = %q, want the message signed, not the one built (%q)", d.Matched, d.Signed)
			}
			checkNoSecrets(t, d, req.auth)
		})
	}
}

// checkNoSecrets fails t if the diagnosis holds the signature auth carried or a PEM.
func checkNoSecrets(t *testing.T, d *jsonapi.Diagnosis, auth string) {
	t.Helper()
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("json.Marshal(Diagnosis): %v", err)
	}
	if strings.Contains(string(data), "-----BEGIN") || strings.Contains(string(data), "PRIVATE KEY") {
		t.Errorf("Diagnosis %s holds a PEM", data)
	}
	_, sig, ok := strings.Cut(auth, `signature="`)
	sig, _, _ = strings.Cut(sig, `"`)
	if ok && len(sig) >= 8 && strings.Contains(string(data), sig) {
		t.Errorf("Diagnosis %s holds the signature %s", data, sig)
	}
}

// Ensure a good request leaves no diagnosis, and a refused one leaves the 401 answer as
// it was: the diagnosis is for the journal only.
func TestDiagnosis_GoodRequest(t *testing.T) {
	exchanges, capture := captureExchanges()
	s := startServer(t, false, capture)
	for _, kind := range []pay.Kind{pay.KindDirect, pay.KindPartner} {
		if got := s.signed(t, kind, "GET", "/v3/certificates", nil); got.status != http.StatusOK {
			t.Fatalf("GET /v3/certificates as %v = %d %s, want 200", kind, got.status, got.body)
		}
		if d := (<-exchanges).Diagnosis; d != nil {
			t.Errorf("GET /v3/certificates as %v: Diagnosis = %+v, want nil", kind, d)
		}
	}
}
