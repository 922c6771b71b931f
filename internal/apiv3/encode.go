package apiv3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// signResponse adds the Wechatpay-* headers over body, with a fresh real-time timestamp,
// signed with the platform key serial names.
func (a *api) signResponse(h http.Header, serial string, body []byte) error {
	return a.platform.SignHeaders(h, serial, body, a.now())
}

// serialFor picks the platform key that signs the answer to r from merchant m: the one
// the request's Wechatpay-Serial names, else the one m is set to verify with. WeChat Pay
// answers with the key the request names, and without one with the merchant's own mode,
// the platform certificate for a merchant that has one
// (https://pay.weixin.qq.com/doc/v3/merchant/4012153196; WeChat Pay's answer in
// https://developers.weixin.qq.com/community/develop/doc/0004e8c40b09182972936db6d69400).
// m is nil when the request was refused before its merchant was known (no signature, an
// unknown mchid): that answer is an error, which no SDK verifies, so the public key, the
// mode of every merchant WeChat Pay registers now, serves.
func (a *api) serialFor(r *http.Request, m *pay.Merchant) string {
	if serial := r.Header.Get("Wechatpay-Serial"); a.platform.KeyFor(serial) != nil {
		return serial
	}
	if m == nil {
		return a.platform.PublicKeyID
	}
	return a.platform.SerialFor(m.PlatformKeyMode)
}

// noContent makes a handler answer 204 (signed over the empty body, §2.2).
type noContent struct{}

// write sends a signed 200 JSON answer, or a signed 204 for noContent.
func (a *api) write(w http.ResponseWriter, r *http.Request, serial string, v any) {
	status, body, contentType := http.StatusOK, []byte(nil), "application/json; charset=utf-8"
	if _, ok := v.(noContent); ok {
		status = http.StatusNoContent
	} else if raw, ok := v.(rawBody); ok {
		body, contentType = raw.data, raw.contentType
	} else {
		var err error
		if body, err = json.Marshal(v); err != nil {
			a.writeError(w, r, fmt.Errorf("encode response: %w", err))
			return
		}
	}
	if err := a.signResponse(w.Header(), serial, body); err != nil {
		a.writeError(w, r, fmt.Errorf("sign response: %w", err))
		return
	}
	if body != nil {
		// Java's client wants application/json on every 2xx with a body (§0.9).
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	w.Write(body)
}

// errorBody is the WeChat Pay error envelope (§11.1).
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

type paramDetail struct {
	Field    string `json:"field"`
	Value    any    `json:"value,omitempty"`
	Issue    string `json:"issue"`
	Location string `json:"location"`
}

// ErrorBody turns err into the wire envelope and its status. Anything that is not a
// *pay.Error is a SYSTEM_ERROR whose detail stays in the log.
func ErrorBody(err error) (int, errorBody) {
	var se *signError
	if errors.As(err, &se) {
		return http.StatusUnauthorized, errorBody{Code: pay.CodeSignError, Message: se.message, Detail: se.detail()}
	}
	var e *pay.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, errorBody{Code: pay.CodeSystemError, Message: "系统异常，请稍后重试"}
	}
	b := errorBody{Code: e.Code, Message: e.Message}
	if e.Field != "" {
		b.Detail = paramDetail{Field: e.Field, Value: e.Value, Issue: e.Issue, Location: e.Location}
	}
	return Status(e.Code), b
}

// writeError answers with the error envelope for a request whose merchant is unknown.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a.writeErrorFor(w, r, nil, err)
}

// writeErrorFor answers m's request with the error envelope. Error answers are signed
// too: no SDK checks them, but a real client that logs signatures sees the same headers
// as on 2xx.
func (a *api) writeErrorFor(w http.ResponseWriter, r *http.Request, m *pay.Merchant, err error) {
	status, b := ErrorBody(err)
	logRefusal(a.log, w, r, status, b.Code, err)
	body, _ := json.Marshal(b)
	if err := a.signResponse(w.Header(), a.serialFor(r, m), body); err != nil {
		a.log.Error("sign error response", "err", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// WriteJSONError writes the envelope unsigned, for the sandbox API and the listener's own
// 404/405 answers.
func WriteJSONError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	status, b := ErrorBody(err)
	logRefusal(log, w, r, status, b.Code, err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(b)
}

// logRefusal logs one line for every request answered with an error, at the default
// level, so that a user whose signature fails sees why in the server's output. It names
// the merchant the request claims to be, and for a signature the reason, but no header,
// signature or body: they hold keys' work and personal data. An error that is not an
// answer the server chose (a failure of its own) is logged at ERROR with its detail.
func logRefusal(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, code string, err error) {
	attrs := []any{"status", status, "code", code}
	if id := w.Header().Get("Request-ID"); id != "" {
		attrs = append(attrs, "request_id", id)
	}
	if auth, perr := parseAuthorization(r.Header.Get("Authorization")); perr == nil {
		attrs = append(attrs, "mchid", auth.Mchid)
	}
	attrs = append(attrs, "method", r.Method, "path", r.URL.Path)
	var se *signError
	var e *pay.Error
	switch {
	case errors.As(err, &se):
		attrs = append(attrs, "reason", se.reason)
	case errors.As(err, &e):
		if e.Field != "" {
			attrs = append(attrs, "field", e.Field)
		}
	default:
		log.Error("request failed", append(attrs, "err", err)...)
		return
	}
	level := slog.LevelInfo
	if status >= http.StatusInternalServerError {
		level = slog.LevelWarn
	}
	log.Log(r.Context(), level, "request refused", attrs...)
}

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

// timeString writes a time as WeChat Pay does: RFC3339 in Beijing time (§0.6).
func timeString(t time.Time) string {
	return t.In(pay.Beijing).Format(time.RFC3339)
}

// optTime is nil for the zero time, so that optional times are omitted rather than sent
// as "" (which breaks wechatpay-go, §0.6).
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timeString(t)
	return &s
}
