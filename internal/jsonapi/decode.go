package jsonapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Decode reads a JSON body into v. Strict mode, the default, refuses unknown fields as the
// real service does, so that client bugs show up in tests rather than in production.
// Type errors name the field.
func Decode(body []byte, contentType string, strict bool, v any) error {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || mt != "application/json" {
			return pay.Errorf(pay.CodeInvalidRequest, "Content-Type必须为application/json，收到%q", contentType)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	decodeErr := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	if decodeErr != nil && !errors.As(decodeErr, &typeErr) {
		return jsonError(decodeErr)
	}
	if _, err := dec.Token(); err != io.EOF {
		return pay.Errorf(pay.CodeParamError, "请求体JSON之后有多余的内容")
	}
	// The body is well-formed JSON here; scanBody finds what encoding/json forgives
	// (duplicate keys) and names a type error's place exactly.
	if err := scanBody(body, reflect.TypeOf(v), strict); err != nil {
		return err
	}
	if decodeErr != nil {
		return jsonError(decodeErr)
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return pay.Errorf(pay.CodeParamError, "请求体为空，应为JSON对象")
	case errors.As(err, &syntaxErr):
		return pay.Errorf(pay.CodeParamError, "请求体不是合法的JSON：第%d字节附近 %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return pay.Errorf(pay.CodeParamError, "请求体应为JSON对象，实际为%s", typeErr.Value)
		}
		return pay.ParamError(field, fmt.Sprintf("类型错误：应为%s，实际为%s", jsonKind(typeErr.Type.String()), typeErr.Value), nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return pay.Errorf(pay.CodeParamError, "请求体JSON不完整")
	}
	return pay.Errorf(pay.CodeParamError, "请求体无法解析：%v", err)
}

func jsonKind(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	if strings.HasPrefix(goType, "[]") {
		return "array"
	}
	switch goType {
	case "int64", "int", "int32":
		return "integer"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	}
	return "object"
}
