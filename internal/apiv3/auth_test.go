package apiv3

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goHeader is what wechatpay-go sends (docs/wire.md#request-signatures).
const goHeader = `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XmUgx9QNqSz+wn5/o10vm2lJVn47Z+0OGVnnUeLyhZ6+Wy9JDtLE7GM+UbhuqFvg=="`

var goAuthorization = authorization{
	Mchid:     "1900000001",
	Nonce:     "593BEC0C930BF1AFEB40B4A08C8FB242",
	Timestamp: "1554208460",
	Serial:    "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
	Signature: "uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XmUgx9QNqSz+wn5/o10vm2lJVn47Z+0OGVnnUeLyhZ6+Wy9JDtLE7GM+UbhuqFvg==",
}

func TestParseAuthorization(t *testing.T) {
	const (
		badFormat = "Http 头 Authorization 值格式错误"
		badScheme = "Http 头 Authorization 认证类型不正确"
	)
	short := authorization{Mchid: "1900000001", Nonce: "n", Timestamp: "1554208460", Serial: "S", Signature: "sig=="}
	tests := []struct {
		name    string
		header  string
		want    authorization
		wantErr string
	}{
		{name: "WechatpayGo", header: goHeader, want: goAuthorization},
		// The order of the official doc's sample: mchid, nonce_str, signature, timestamp, serial_no.
		{name: "DocOrder", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",signature="sig==",timestamp="1554208460",serial_no="S"`, want: short},
		{name: "Reversed", header: `WECHATPAY2-SHA256-RSA2048 signature="sig==",serial_no="S",timestamp="1554208460",nonce_str="n",mchid="1900000001"`, want: short},
		{name: "SpacesAfterCommas", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001", nonce_str="n",  timestamp="1554208460", serial_no="S", signature="sig=="`, want: short},
		{name: "SpacesAroundHeader", header: `  WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="  `, want: short},
		{name: "TwoSpacesAfterScheme", header: `WECHATPAY2-SHA256-RSA2048  mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, want: short},
		{name: "Unquoted", header: `WECHATPAY2-SHA256-RSA2048 mchid=1900000001,nonce_str=n,timestamp=1554208460,serial_no=S,signature=sig==`, want: short},
		{name: "SomeQuoted", header: `WECHATPAY2-SHA256-RSA2048 mchid=1900000001,nonce_str="n",timestamp=1554208460,serial_no="S",signature=sig==`, want: short},
		{name: "UnknownItem", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig==",extra="x"`, want: short},

		{name: "Empty", header: "", wantErr: badFormat},
		{name: "Blank", header: "   ", wantErr: badFormat},
		{name: "SchemeOnly", header: "WECHATPAY2-SHA256-RSA2048", wantErr: badFormat},
		{name: "NoScheme", header: `mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "Bearer", header: "Bearer abc", wantErr: badScheme},
		{name: "LowerCaseScheme", header: `wechatpay2-sha256-rsa2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badScheme},
		{name: "SM2Scheme", header: `WECHATPAY2-SM2-WITH-SM3 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badScheme},
		{name: "NoMchid", header: `WECHATPAY2-SHA256-RSA2048 nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "NoNonce", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "NoTimestamp", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "NoSerial", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",signature="sig=="`, wantErr: badFormat},
		{name: "NoSignature", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S"`, wantErr: badFormat},
		{name: "EmptyValue", header: `WECHATPAY2-SHA256-RSA2048 mchid="",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "ItemWithoutEquals", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str,timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badFormat},
		// Two values for one item would leave the server and a proxy or log reader
		// disagreeing about who signed.
		{name: "DuplicateMchid", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig==",mchid="1900000002"`, wantErr: badFormat},
		{name: "DuplicateSameValue", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "DuplicateTimestamp", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",timestamp="1554208461",serial_no="S",signature="sig=="`, wantErr: badFormat},
		{name: "DuplicateUnknownItem", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="n",timestamp="1554208460",serial_no="S",signature="sig==",x="1",x="2"`, wantErr: badFormat},
		{name: "SemicolonSeparated", header: `WECHATPAY2-SHA256-RSA2048 mchid="1900000001";nonce_str="n";timestamp="1554208460";serial_no="S";signature="sig=="`, wantErr: badFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuthorization(tt.header)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("parseAuthorization(%q) = %+v, %v, want error %q", tt.header, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAuthorization(%q) = %v, want nil", tt.header, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseAuthorization(%q) mismatch (-want +got):\n%s", tt.header, diff)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add(goHeader)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1",serial_no="S"`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid=1, nonce_str=n, timestamp=1, serial_no=S, signature=s`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid=",nonce_str=""",timestamp="1",serial_no="S",signature="`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 =,==,"=",`)
	f.Add("WECHATPAY2-SHA256-RSA2048 ")
	f.Add("")
	f.Add("\x00 \xff")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			var ae *authError
			if !errors.As(err, &ae) || ae.cause == "" || (ae.message != authBadFormat && ae.message != authBadScheme) {
				t.Errorf("parseAuthorization(%q) error = %#v, want an *authError with a cause and one of the two messages", h, err)
			}
			return
		}
		if a.Mchid == "" || a.Nonce == "" || a.Timestamp == "" || a.Serial == "" || a.Signature == "" {
			t.Errorf("parseAuthorization(%q) = %+v, nil; want every item set", h, a)
		}
		if !strings.HasPrefix(strings.TrimSpace(h), authScheme+" ") {
			t.Errorf("parseAuthorization(%q) accepted a header not in scheme %s", h, authScheme)
		}
	})
}

func TestCanonicalTargets(t *testing.T) {
	tests := []struct {
		name   string
		target string // the request-target as sent on the wire
		want   []string
	}{
		{name: "Plain", target: "/v3/certificates", want: []string{"/v3/certificates"}},
		{name: "Query", target: "/v3/certificates?algorithm_type=RSA", want: []string{"/v3/certificates?algorithm_type=RSA"}},
		// wechatpay-go signs the escaped path; gopay the path it formatted, unescaped.
		{name: "EscapedPath", target: "/v3/refund/domestic/refunds/R1%7C%2Ax?sub_mchid=1900000109", want: []string{
			"/v3/refund/domestic/refunds/R1%7C%2Ax?sub_mchid=1900000109",
			"/v3/refund/domestic/refunds/R1|*x?sub_mchid=1900000109",
		}},
		{name: "EscapedPathNoQuery", target: "/v3/refund/domestic/refunds/R1%7C%40x", want: []string{
			"/v3/refund/domestic/refunds/R1%7C%40x",
			"/v3/refund/domestic/refunds/R1|@x",
		}},
		{name: "EscapedSlash", target: "/v3/refund/domestic/refunds/a%2Fb", want: []string{
			"/v3/refund/domestic/refunds/a%2Fb",
			"/v3/refund/domestic/refunds/a/b",
		}},
		// The query is signed as sent by every SDK: it stays raw in every candidate.
		{name: "EscapedQueryKept", target: "/v3/refund/domestic/refunds/R1?sub_mchid=%31900000109", want: []string{
			"/v3/refund/domestic/refunds/R1?sub_mchid=%31900000109",
		}},
		// gopay's list calls send "path?" with an empty query and sign the path alone.
		{name: "TrailingQuestionMark", target: "/v3/merchant-service/complaints-v2?", want: []string{
			"/v3/merchant-service/complaints-v2?",
			"/v3/merchant-service/complaints-v2",
		}},
		{name: "EscapedPathTrailingQuestionMark", target: "/v3/refund/domestic/refunds/R1%7Cx?", want: []string{
			"/v3/refund/domestic/refunds/R1%7Cx?",
			"/v3/refund/domestic/refunds/R1|x",
			"/v3/refund/domestic/refunds/R1%7Cx",
		}},
		// A request line in absolute form (RFC 9112 §3.2.2) still matches the signed path.
		{name: "AbsoluteForm", target: "http://127.0.0.1:8080/v3/certificates?algorithm_type=RSA", want: []string{
			"http://127.0.0.1:8080/v3/certificates?algorithm_type=RSA",
			"/v3/certificates?algorithm_type=RSA",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			if r.RequestURI != tt.target {
				t.Fatalf("httptest.NewRequest RequestURI = %q, want %q", r.RequestURI, tt.target)
			}
			got := canonicalTargets(r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("canonicalTargets(%q) mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"1554208460", "0", "01554208460", "+1554208460", "-1", "1.5", "9223372036854775807", "999999999999999999", "1e9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, ok := parseTimestamp(s)
		if !ok {
			return
		}
		// What is accepted is exactly the SDKs' rendering of a non-negative number.
		if ts < 0 || strconv.FormatInt(ts, 10) != s {
			t.Errorf("parseTimestamp(%q) = %d, true; want only canonical non-negative numbers", s, ts)
		}
	})
}
