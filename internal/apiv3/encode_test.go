package apiv3

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// validBody is a domestic refund request as wechatpay-go sends it: keys sorted, a
// trailing newline from json.Encoder (docs/wire.md#request-signatures).
const validBody = `{"amount":{"currency":"CNY","refund":100,"total":1000},"out_refund_no":"R1","transaction_id":"4200000000202506010000000001"}` + "\n"

func TestDecode(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		lenient     bool   // strict=false
		wantCode    string // "" when Decode succeeds
		wantField   string // checked when not ""
	}{
		{name: "OK", body: validBody, contentType: "application/json"},
		{name: "NoTrailingNewline", body: strings.TrimSpace(validBody), contentType: "application/json"},
		{name: "TrailingSpace", body: validBody + " \r\n\t", contentType: "application/json"},
		{name: "Charset", body: validBody, contentType: "application/json; charset=utf-8"},
		{name: "UpperCaseType", body: validBody, contentType: "Application/JSON;charset=UTF-8"},
		{name: "NoContentType", body: validBody, contentType: ""},
		{name: "EmptyObject", body: `{}`, contentType: "application/json"},
		{name: "Null", body: `null`, contentType: "application/json"},

		{name: "TextPlain", body: validBody, contentType: "text/plain", wantCode: pay.CodeInvalidRequest},
		{name: "Form", body: validBody, contentType: "application/x-www-form-urlencoded", wantCode: pay.CodeInvalidRequest},
		{name: "JSONPrefix", body: validBody, contentType: "application/jsonp", wantCode: pay.CodeInvalidRequest},
		{name: "MalformedType", body: validBody, contentType: "application/json; charset", wantCode: pay.CodeInvalidRequest},

		{name: "UnknownField", body: `{"out_refund_no":"R1","refund_fee":1}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "refund_fee"},
		{name: "UnknownFieldLenient", body: `{"out_refund_no":"R1","refund_fee":1}`, contentType: "application/json", lenient: true},
		{name: "UnknownNestedField", body: `{"amount":{"refund":1,"fee":1}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.fee"},
		{name: "UnknownFieldInArray", body: `{"amount":{"refund":1,"from":[{"account":"AVAILABLE","amount":1,"x":2}]}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.from[0].x"},
		{name: "UnknownNestedFieldLenient", body: `{"amount":{"refund":1,"fee":1}}`, contentType: "application/json", lenient: true},
		// JSON keys are case-sensitive (RFC 8259) and so is the real service.
		{name: "MiscasedField", body: `{"OUT_REFUND_NO":"R1"}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "OUT_REFUND_NO"},

		{name: "WrongType", body: `{"out_refund_no":1}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "out_refund_no"},
		{name: "WrongNestedType", body: `{"amount":{"refund":"100","total":1000}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.refund"},
		{name: "Fraction", body: `{"amount":{"refund":1.5}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.refund"},
		{name: "Overflow", body: `{"amount":{"refund":1e400}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.refund"},
		{name: "WrongTypeInArray", body: `{"amount":{"from":[{"account":"AVAILABLE","amount":"1"}]}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.from[0].amount"},
		{name: "ObjectForArray", body: `{"goods_detail":{}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "goods_detail"},
		{name: "ArrayForObject", body: `{"amount":[]}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount"},
		{name: "TopLevelArray", body: `[]`, contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "TopLevelString", body: `"R1"`, contentType: "application/json", wantCode: pay.CodeParamError},

		{name: "SyntaxError", body: `{"out_refund_no":}`, contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "SingleQuotes", body: `{'out_refund_no':'R1'}`, contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "Truncated", body: `{"amount":{"refund":1`, contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "Empty", body: ``, contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "Whitespace", body: " \n", contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "TrailingGarbage", body: validBody + "x", contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "TwoObjects", body: `{}{}`, contentType: "application/json", wantCode: pay.CodeParamError},
		{name: "TrailingBracket", body: `{}]`, contentType: "application/json", wantCode: pay.CodeParamError},

		// A key sent twice would otherwise be read as its last value: refused, strict or not.
		{name: "DuplicateKey", body: `{"amount":{"refund":1,"refund":9999}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.refund"},
		{name: "DuplicateKeyLenient", body: `{"amount":{"refund":1,"refund":9999}}`, contentType: "application/json", lenient: true,
			wantCode: pay.CodeParamError, wantField: "amount.refund"},
		{name: "DuplicateTopLevelKey", body: `{"out_refund_no":"R1","out_refund_no":"R2"}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "out_refund_no"},
		{name: "DuplicateKeyInArray", body: `{"amount":{"from":[{"account":"AVAILABLE","amount":1},{"account":"AVAILABLE","amount":1,"amount":2}]}}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "amount.from[1].amount"},
		{name: "DuplicateUnknownKeyLenient", body: `{"extra":{"a":1,"a":2}}`, contentType: "application/json", lenient: true,
			wantCode: pay.CodeParamError, wantField: "extra.a"},
		{name: "DuplicateNull", body: `{"reason":null,"reason":"x"}`, contentType: "application/json",
			wantCode: pay.CodeParamError, wantField: "reason"},
		{name: "SameKeyInTwoObjects", body: `{"amount":{"refund":1,"total":2},"goods_detail":[{"unit_price":1},{"unit_price":1}]}`, contentType: "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b createRefundBody
			err := jsonapi.Decode([]byte(tt.body), tt.contentType, !tt.lenient, &b)
			if tt.wantCode == "" {
				if err != nil {
					t.Errorf("jsonapi.Decode(%q, %q) = %v, want nil", tt.body, tt.contentType, err)
				}
				return
			}
			var e *pay.Error
			if !errors.As(err, &e) {
				t.Fatalf("jsonapi.Decode(%q, %q) = %v, want a *pay.Error %s", tt.body, tt.contentType, err, tt.wantCode)
			}
			if e.Code != tt.wantCode {
				t.Errorf("jsonapi.Decode(%q, %q) code = %q (%v), want %q", tt.body, tt.contentType, e.Code, err, tt.wantCode)
			}
			if tt.wantField != "" && e.Field != tt.wantField {
				t.Errorf("jsonapi.Decode(%q, %q) field = %q (%v), want %q", tt.body, tt.contentType, e.Field, err, tt.wantField)
			}
		})
	}
}

// Ensure a value of the wrong type is named by its full path, array indexes included, and
// the issue names the JSON types expected and received.
func TestDecode_TypeErrors(t *testing.T) {
	type item struct {
		Amount *int64 `json:"amount"`
	}
	type body struct {
		Images []string `json:"images"`
		Items  []item   `json:"items"`
		Name   *string  `json:"name"`
		Count  *int64   `json:"count"`
		Flag   *bool    `json:"flag"`
		Nested *struct {
			Tags []string `json:"tags"`
		} `json:"nested"`
	}
	tests := []struct {
		name      string
		body      string
		wantField string
		wantIssue string
	}{
		{"StringForArray", `{"images":"x"}`, "images", "类型错误：应为array，实际为string"},
		{"ObjectForArray", `{"images":{}}`, "images", "类型错误：应为array，实际为object"},
		{"NumberInStringArray", `{"images":["a",1]}`, "images[1]", "类型错误：应为string，实际为number"},
		{"ArrayInStringArray", `{"images":[[]]}`, "images[0]", "类型错误：应为string，实际为array"},
		{"FieldInArrayElement", `{"items":[{"amount":1},{"amount":"1"}]}`, "items[1].amount", "类型错误：应为integer，实际为string"},
		{"FractionInArrayElement", `{"items":[{"amount":1.5}]}`, "items[0].amount", "类型错误：应为integer，实际为number"},
		{"StringForObjectArray", `{"items":"x"}`, "items", "类型错误：应为array，实际为string"},
		{"NumberForString", `{"name":1}`, "name", "类型错误：应为string，实际为number"},
		{"StringForInteger", `{"count":"1"}`, "count", "类型错误：应为integer，实际为string"},
		{"StringForBool", `{"flag":"true"}`, "flag", "类型错误：应为boolean，实际为string"},
		{"ArrayForObject", `{"nested":[]}`, "nested", "类型错误：应为object，实际为array"},
		{"DeepElement", `{"nested":{"tags":[true]}}`, "nested.tags[0]", "类型错误：应为string，实际为boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := jsonapi.Decode([]byte(tt.body), "application/json", true, &b)
			var e *pay.Error
			if !errors.As(err, &e) {
				t.Fatalf("jsonapi.Decode(%s) = %v, want a *pay.Error", tt.body, err)
			}
			if e.Code != pay.CodeParamError || e.Field != tt.wantField || e.Issue != tt.wantIssue {
				t.Errorf("jsonapi.Decode(%s) = %s field %q issue %q, want PARAM_ERROR field %q issue %q", tt.body, e.Code, e.Field, e.Issue, tt.wantField, tt.wantIssue)
			}
		})
	}
}

// TestDecode_Values checks that a decoded body keeps what was sent and tells an absent
// field from a zero one.
func TestDecode_Values(t *testing.T) {
	var b createRefundBody
	body := `{"out_refund_no":"R1|*@","amount":{"refund":0,"total":1000,"from":[{"account":"AVAILABLE","amount":1}]}}`
	if err := jsonapi.Decode([]byte(body), "application/json", true, &b); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if b.OutRefundNo == nil || *b.OutRefundNo != "R1|*@" || b.TransactionID != nil {
		t.Errorf("Decode out_refund_no = %v transaction_id = %v, want R1|*@ and absent", b.OutRefundNo, b.TransactionID)
	}
	if b.Amount == nil || b.Amount.Refund == nil || *b.Amount.Refund != 0 || b.Amount.Currency != nil {
		t.Fatalf("Decode amount = %+v, want refund 0 present and currency absent", b.Amount)
	}
	if len(b.Amount.From) != 1 || *b.Amount.From[0].Account != "AVAILABLE" || *b.Amount.From[0].Amount != 1 {
		t.Errorf("Decode amount.from = %+v", b.Amount.From)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(validBody), true)
	f.Add([]byte(`{"sub_mchid":"1900000109","out_trade_no":"T1","out_refund_no":"R1","reason":"商品已售完","notify_url":"https://weixin.qq.com","funds_account":"AVAILABLE","amount":{"refund":1,"total":1,"currency":"CNY","from":[{"account":"AVAILABLE","amount":1}]},"goods_detail":[{"merchant_goods_id":"1","wechatpay_goods_id":"2","goods_name":"x","unit_price":1,"refund_amount":1,"refund_quantity":1}]}`), true)
	f.Add([]byte(`{"amount":{"refund":"1"}}`), true)
	f.Add([]byte(`{"amount":{"fee":1}}`), false)
	f.Add([]byte(`{"goods_detail":[null,{"unit_price":1e999}]}`), true)
	f.Add([]byte(`[{"a":`), true)
	f.Add([]byte("{}\x00"), true)
	f.Add([]byte(""), false)
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		var b createRefundBody
		err := jsonapi.Decode(body, "application/json", strict, &b)
		if err == nil {
			return
		}
		var e *pay.Error
		if !errors.As(err, &e) {
			t.Fatalf("jsonapi.Decode(%q) = %T %v, want a *pay.Error", body, err, err)
		}
		// Whatever a client sends, it is told about it: never a 500.
		status, eb := jsonapi.ErrorBody(err)
		if status != http.StatusBadRequest {
			t.Errorf("jsonapi.Decode(%q) = %v, answered %d, want 400", body, err, status)
		}
		if _, err := json.Marshal(eb); err != nil {
			t.Errorf("jsonapi.Decode(%q): encode error body: %v", body, err)
		}
	})
}

// Ensure a failed signature check answers 401 SIGN_ERROR with its detail through the
// shared envelope.
func TestErrorBody_SignError(t *testing.T) {
	se := &signError{message: "错误的签名，验签失败", issue: "sign not match", field: "signature", method: "GET", url: "/v3/certificates", signed: "GET\n/v3/certificates\n1\nn\n\n"}
	status, got := jsonapi.ErrorBody(se)
	if status != http.StatusUnauthorized || got.Code != "SIGN_ERROR" || got.Message != "错误的签名，验签失败" || got.Detail == nil {
		t.Errorf("jsonapi.ErrorBody(signError) = %d %+v, want 401 SIGN_ERROR with detail", status, got)
	}
}
