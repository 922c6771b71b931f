package journal

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// A ciphertext as the SDK sends one: base64 of an RSA-OAEP block.
var cipher = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x8f\x01secret bank account 6222", 12)))

const signature = "Hx8Yz0aP1QmZr4vN7kLs2WcE9tUj3bGd5fO6iKyX0hV1nR8pA2qS4uT7wB9eC3mD5gF6jH8kL0oP2rU4xZ6yW8vQ=="

// Ensure real bodies come out with their structure and clear fields, and without their
// signatures, keys or ciphertexts.
func TestBody(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     []string // substrings the masked body keeps
		mustNot  []string // substrings it must not keep
		wantFull string   // when set, the whole masked body
	}{
		{
			name: "abnormal refund with an encrypted bank account",
			body: `{"out_refund_no":"R-1","type":"MERCHANT_BANK_CARD","bank_type":"ICBC_DEBIT",` +
				`"bank_account":"` + cipher + `","real_name":"` + cipher + `"}`,
			want:    []string{`"out_refund_no":"R-1"`, `"bank_type":"ICBC_DEBIT"`, `"bank_account":"` + cipher[:8] + `…(`},
			mustNot: []string{cipher},
		},
		{
			name:     "key order and numbers kept",
			body:     `{"z":1.50,"a":[true,null,{"amount":{"refund":100,"total":200}}],"m":""}`,
			wantFull: `{"z":1.50,"a":[true,null,{"amount":{"refund":100,"total":200}}],"m":""}`,
		},
		{
			name: "notification with a resource ciphertext",
			body: `{"id":"EV-1","event_type":"REFUND.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM",` +
				`"ciphertext":"` + cipher + `","associated_data":"refund","nonce":"abcdefabcdef"}}`,
			want:    []string{`"event_type":"REFUND.SUCCESS"`, `"associated_data":"refund"`, `"nonce":"abcdefabcdef"`, `"ciphertext":"` + cipher[:8]},
			mustNot: []string{cipher},
		},
		{
			name:     "secrets of any type",
			body:     `{"apiv3_key":"0123456789abcdef0123456789abcdef","paySign":{"nested":"x1y2z3w4v5"},"key":12345678}`,
			wantFull: `{"apiv3_key":"***(32 bytes)","paySign":"***","key":"***(8 bytes)"}`,
		},
		{
			name: "v2 refund with sign",
			body: `<xml><appid><![CDATA[wx8888888888888888]]></appid><mch_id>1900000109</mch_id>` +
				`<nonce_str>5K8264ILTKCH16CQ2502SI8ZNMTM67VS</nonce_str><out_refund_no>R-2</out_refund_no>` +
				`<refund_fee>100</refund_fee><sign>C380BEC2BFD727A4B6845133519F3AD6</sign><sign_type>MD5</sign_type></xml>`,
			want:    []string{"<appid>wx8888888888888888</appid>", "<mch_id>1900000109</mch_id>", "<sign>***(32 bytes)</sign>", "<sign_type>MD5</sign_type>"},
			mustNot: []string{"C380BEC2BFD727A4B6845133519F3AD6"},
		},
		{
			name:    "v2 refund notification with req_info",
			body:    `<xml><return_code>SUCCESS</return_code><req_info><![CDATA[` + cipher + `]]></req_info></xml>`,
			want:    []string{"<return_code>SUCCESS</return_code>", "<req_info>" + cipher[:8] + "…("},
			mustNot: []string{cipher},
		},
		{
			name:     "text with a long base64 run",
			body:     "not json " + cipher + " end",
			want:     []string{"not json " + cipher[:8] + "…(", " end"},
			mustNot:  []string{cipher},
			wantFull: "",
		},
		{
			name:    "broken JSON keeps no sign",
			body:    `{"sign": "ABCDEF0123456789", "a": }`,
			want:    []string{`"a": }`},
			mustNot: []string{"ABCDEF0123456789"},
		},
		{
			name:    "broken XML keeps no sign",
			body:    `<xml><sign><![CDATA[ABCDEF0123456789]]></sign><a></xml>`,
			mustNot: []string{"ABCDEF0123456789"},
		},
		{
			name: "form body",
			body: "mch_id=1900000109&key=0123456789abcdef&sign=ABCDEF0123456789",
			want: []string{"mch_id=1900000109"}, mustNot: []string{"0123456789abcdef", "ABCDEF0123456789"},
		},
		{name: "empty", body: "", wantFull: ""},
		{name: "invalid UTF-8", body: "{\"a\":\"\xff\xfe\"}", wantFull: "{\"a\":\"\uFFFD\uFFFD\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Body([]byte(tt.body), Limit)
			if tt.wantFull != "" || (tt.want == nil && tt.mustNot == nil) {
				if got != tt.wantFull {
					t.Errorf("Body = %q, want %q", got, tt.wantFull)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Body = %q, want it to contain %q", got, w)
				}
			}
			for _, w := range tt.mustNot {
				if strings.Contains(got, w) {
					t.Errorf("Body = %q keeps %q", got, w)
				}
			}
		})
	}
}

// Ensure a body over the limit is cut, on a rune boundary, with a marker saying how much,
// and that a JSON document cut at capture is masked up to the cut.
func TestBody_Cut(t *testing.T) {
	long := `{"description":"` + strings.Repeat("退款", 10000) + `"}`
	got := Body([]byte(long), 100)
	if !utf8.ValidString(got) || !strings.HasPrefix(got, `{"description":"退款`) || !strings.Contains(got, "…(cut: ") {
		t.Errorf("Body = %q, want the start and a cut marker", got)
	}
	if len(got) > 100+maxMarker {
		t.Errorf("len(Body) = %d, want at most %d", len(got), 100+maxMarker)
	}
	cut := []byte(`{"sign":"ABCDEF0123456789","out_refund_no":"R-3","description":"long des`)
	got = maskBody(cut, 1000, Limit)
	if strings.Contains(got, "ABCDEF0123456789") || !strings.Contains(got, `"out_refund_no":"R-3"`) || !strings.Contains(got, "more bytes") {
		t.Errorf("maskBody(cut) = %q, want masked up to the cut and a marker", got)
	}
}

// Ensure headers keep what helps a diagnosis and nothing that signs or authenticates.
func TestHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", `WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="NONCE1",signature="`+signature+`",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"`)
	h.Set("Content-Type", "application/json")
	h.Set("Wechatpay-Serial", "PUB_KEY_ID_0114")
	h.Set("Cookie", "session=s3cr3tcookie")
	h.Set("User-Agent", "WechatPay-Go/0.2.20")
	got := Headers(h)
	for _, w := range []string{`mchid="1900000109"`, `nonce_str="NONCE1"`, `timestamp="1554208460"`, `serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"`,
		fmt.Sprintf(`signature="***(%d bytes)"`, len(signature)), "Content-Type: application/json", "Wechatpay-Serial: PUB_KEY_ID_0114", "User-Agent: WechatPay-Go/0.2.20"} {
		if !strings.Contains(got, w) {
			t.Errorf("Headers = %q, want %q", got, w)
		}
	}
	for _, w := range []string{signature, "s3cr3tcookie", "Cookie"} {
		if strings.Contains(got, w) {
			t.Errorf("Headers = %q keeps %q", got, w)
		}
	}
	for _, auth := range []string{"Bearer tok3n-value-long", "tok3n-value-long"} {
		h := http.Header{"Authorization": {auth}}
		if got := Headers(h); strings.Contains(got, "tok3n-value-long") {
			t.Errorf("Headers(%q) = %q keeps the credential", auth, got)
		}
	}
}

// Ensure the usual v3 bodies take the scanner, and that it masks them as maskJSON does.
func TestMaskPlainJSON(t *testing.T) {
	for _, s := range v3Bodies {
		fast, ok := maskPlainJSON([]byte(s))
		if slow := maskJSON([]byte(s), true); ok && string(fast) != string(slow) {
			t.Errorf("maskPlainJSON(%q) = %q, maskJSON = %q", s, fast, slow)
		}
		if !ok && !strings.ContainsAny(s, `\<>`) {
			t.Errorf("maskPlainJSON(%q) not ok", s)
		}
	}
}

// v3Bodies are APIv3 refund requests and answers as clients and the server write them:
// secrets, ciphertexts, nested amounts and promotions, unicode, escapes, whitespace.
var v3Bodies = []string{
	v3Request,
	v3Answer,
	`{"transaction_id":"1217752501201407033233368018","out_refund_no":"1217752501201407033233368018","reason":"商品已售完",` +
		`"notify_url":"https://weixin.qq.com","funds_account":"AVAILABLE","amount":{"refund":888,"from":[{"account":"AVAILABLE","amount":444}],` +
		`"total":888,"currency":"CNY"},"goods_detail":[{"merchant_goods_id":"1217752501201407033233368018","wechatpay_goods_id":"1001",` +
		`"goods_name":"iPhone6s 16G","unit_price":528800,"refund_amount":528800,"refund_quantity":1}]}`,
	`{"refund_id":"50000000382019052709732678859","out_refund_no":"1217752501201407033233368018","transaction_id":"1217752501201407033233368018",` +
		`"out_trade_no":"1217752501201407033233368018","channel":"ORIGINAL","user_received_account":"招商银行信用卡0403","success_time":"2020-12-01T16:18:12+08:00",` +
		`"create_time":"2020-12-01T16:18:12+08:00","status":"SUCCESS","funds_account":"UNSETTLED","amount":{"total":100,"refund":100,` +
		`"from":[{"account":"AVAILABLE","amount":444}],"payer_total":90,"payer_refund":90,"settlement_refund":100,"settlement_total":100,` +
		`"discount_refund":10,"currency":"CNY","refund_fee":0},"promotion_detail":[{"promotion_id":"109519","scope":"SINGLE","type":"DISCOUNT",` +
		`"amount":5,"refund_amount":100,"goods_detail":[{"merchant_goods_id":"1217752501201407033233368018","wechatpay_goods_id":"1001",` +
		`"goods_name":"iPhone6s 16G","unit_price":528800,"refund_amount":528800,"refund_quantity":1}]}]}`,
	"{\n  \"out_refund_no\": \"R-4\",\n  \"amount\": {\"refund\": 1.5e2, \"total\": -0, \"currency\": \"CNY\"},\n  \"reason\": \"退款 🎁 a\\\"b <x>\"\n}\n",
	`{"sub_mchid":"1900000109","out_refund_no":"R-5","type":"MERCHANT_BANK_CARD","bank_type":"ICBC_DEBIT","bank_account":"` + cipher +
		`","real_name":"` + cipher + `","sign":"` + signature + `","api_key":null,"paySign":{"nested":[1,true]},"token":false,"key":[]}`,
	`{"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"/amount/refund","value":0,"issue":"must be > 0","location":"body"}}`,
	`{"id":"EV-2018","create_time":"2018-06-08T10:34:56+08:00","resource_type":"encrypt-resource","event_type":"REFUND.SUCCESS",` +
		`"summary":"退款成功","resource":{"original_type":"refund","algorithm":"AEAD_AES_256_GCM","ciphertext":"` + cipher +
		`","associated_data":"refund","nonce":"fdasflkja484w"}}`,
	`[{"user_name":"张三丰是一个很长的名字","encrypted_account":"short"},{"apiv3_key":"0123456789abcdef0123456789abcdef"}]`,
}

// Ensure no body makes the maskers panic, return invalid UTF-8 or more than the limit and
// its marker, and that the value of a secret key never survives.
func FuzzBody(f *testing.F) {
	for _, s := range []string{`{"sign":"x","a":[1,2,{"b":null}]}`, `<xml><sign>ab</sign><req_info><![CDATA[x]]></req_info></xml>`,
		"text \xff\xfe", `{"a":`, `<a><b>`,
		"<xml>\n\t<sign>A<![CDATA[B]]> </sign><a></a>\n</xml>\n", `<xml><a>x"y'z</a><b><![CDATA[<&>"]]></b></xml>`, `[{"ciphertext":"` + cipher + `"}]`, ""} {
		f.Add([]byte(s), "ABCDEF0123456789", 64)
	}
	for _, s := range v3Bodies {
		f.Add([]byte(s), "ABCDEF0123456789", Limit)
	}
	f.Fuzz(func(t *testing.T, body []byte, secret string, limit int) {
		if fast, ok := maskPlainJSON(body); ok {
			if slow := maskJSON(body, true); string(fast) != string(slow) {
				t.Fatalf("maskPlainJSON(%q) = %q, maskJSON = %q", body, fast, slow)
			}
		}
		if fast, ok := maskFlatXML(body); ok {
			if slow := maskXML(body, true); string(fast) != string(slow) {
				t.Fatalf("maskFlatXML(%q) = %q, maskXML = %q", body, fast, slow)
			}
		}
		limit = max(0, limit%(2*Limit))
		for _, missing := range []int64{0, 10} {
			got := maskBody(body, missing, limit)
			if !utf8.ValidString(got) {
				t.Fatalf("maskBody(%q) = %q: not UTF-8", body, got)
			}
			if len(got) > limit+maxMarker {
				t.Fatalf("len(maskBody) = %d > %d", len(got), limit+maxMarker)
			}
		}
		if len(secret) < 8 || !utf8.ValidString(secret) || strings.ContainsAny(secret, `*()`) {
			return
		}
		// A secret inside a JSON document, a v2 XML one and a header never shows.
		doc := func(sign string) []byte {
			b, _ := json.Marshal(map[string]any{"sign": sign, "amount": map[string]any{"total": 1}, "raw": string(body)})
			return b
		}
		// Unless the rest of the document holds it anyway.
		if got := Body(doc(secret), Limit); strings.Contains(got, secret) && !strings.Contains(Body(doc(""), Limit), secret) {
			t.Fatalf("Body(%s) = %q keeps the secret", doc(secret), got)
		}
		if strings.ContainsAny(secret, "<>&]\r\n\t") {
			return
		}
		xmlDoc := "<xml><mch_id>1</mch_id><sign><![CDATA[" + secret + "]]></sign></xml>"
		if got := Body([]byte(xmlDoc), Limit); strings.Contains(got, secret) {
			t.Fatalf("Body(%s) = %q keeps the secret", xmlDoc, got)
		}
		if strings.ContainsAny(secret, `", `) {
			return
		}
		h := http.Header{"Authorization": {`WECHATPAY2-SHA256-RSA2048 mchid="1",signature="` + secret + `"`}}
		if got := Headers(h); strings.Contains(got, secret) {
			t.Fatalf("Headers = %q keeps the secret", got)
		}
	})
}
