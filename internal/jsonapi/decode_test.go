package jsonapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Ensure a body is one JSON value: whitespace may follow it, nothing else.
func TestDecode_AfterTheValue(t *testing.T) {
	type body struct {
		A int `json:"a"`
	}
	for _, tt := range []struct {
		name, body string
		code       string // "" = accepted
	}{
		{"alone", `{"a":1}`, ""},
		{"whitespace", "{\"a\":1} \t\r\n ", ""},
		{"a second value", `{"a":1}{"a":2}`, pay.CodeParamError},
		{"a second value after a space", `{"a":1} 2`, pay.CodeParamError},
		{"garbage", `{"a":1}x`, pay.CodeParamError},
		{"a no-break space", "{\"a\":1}\u00a0", pay.CodeParamError},
		{"a NUL", "{\"a\":1}\x00", pay.CodeParamError},
		{"a type error then more", `{"a":"x"} 1`, pay.CodeParamError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var v body
			err := Decode([]byte(tt.body), "application/json", true, &v)
			var pe *pay.Error
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("Decode(%q) = %v, want nil", tt.body, err)
			case tt.code == "":
				if v.A != 1 {
					t.Errorf("a = %d, want 1", v.A)
				}
			case !errors.As(err, &pe) || pe.Code != tt.code:
				t.Fatalf("Decode(%q) = %v, want %s", tt.body, err, tt.code)
			case tt.name != "a type error then more" && !strings.Contains(pe.Message, "多余"):
				t.Errorf("message %q, want one about what follows the JSON", pe.Message)
			}
		})
	}
}
