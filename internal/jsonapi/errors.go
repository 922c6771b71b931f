package jsonapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Envelope is WeChat Pay's error body (docs/wire.md#error-bodies).
type Envelope struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// ParamDetail is the detail of a PARAM_ERROR: which field, where, and what is wrong.
type ParamDetail struct {
	Field    string `json:"field"`
	Value    any    `json:"value,omitempty"`
	Issue    string `json:"issue"`
	Location string `json:"location"`
}

// Refusal is an error that makes its own envelope, for refusals whose detail is not a
// parameter's: APIv3's failed signature checks. Reason says why in the log.
type Refusal interface {
	error
	Envelope() (status int, e Envelope)
	Reason() string
}

// ErrorBody turns err into the wire envelope and its status. Anything that is neither a
// Refusal nor a *pay.Error is a SYSTEM_ERROR whose detail stays in the log.
func ErrorBody(err error) (int, Envelope) {
	var rf Refusal
	if errors.As(err, &rf) {
		return rf.Envelope()
	}
	var e *pay.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, Envelope{Code: pay.CodeSystemError, Message: "系统异常，请稍后重试"}
	}
	b := Envelope{Code: e.Code, Message: e.Message}
	if e.Field != "" {
		b.Detail = ParamDetail{Field: e.Field, Value: e.Value, Issue: e.Issue, Location: e.Location}
	}
	return Status(e.Code), b
}

// WriteError writes the envelope unsigned, for the sandbox API and the listener's own
// answers.
func WriteError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	status, b := ErrorBody(err)
	LogRefusal(log, r, status, b.Code, err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(b)
}

// LogRefusal logs one line for every request answered with an error, at the default
// level, so that a user whose request fails sees why in the server's output. who names
// the caller (key, value pairs); no header, signature or body is logged: they hold keys'
// work and personal data. An error that is not an answer the server chose (a failure of
// its own) is logged at ERROR with its detail.
func LogRefusal(log *slog.Logger, r *http.Request, status int, code string, err error, who ...any) {
	ExchangeOf(r).Code = code
	// The request_id comes from r's context, through LogHandler.
	attrs := []any{"status", status, "code", code}
	attrs = append(attrs, who...)
	attrs = append(attrs, "method", r.Method, "path", r.URL.Path)
	var rf Refusal
	var e *pay.Error
	switch {
	case errors.As(err, &rf):
		attrs = append(attrs, "reason", rf.Reason())
	case errors.As(err, &e):
		if e.Field != "" {
			attrs = append(attrs, "field", e.Field)
		}
	default:
		log.ErrorContext(r.Context(), "request failed", append(attrs, "err", err)...)
		return
	}
	level := slog.LevelInfo
	if status >= http.StatusInternalServerError {
		level = slog.LevelWarn
	}
	log.Log(r.Context(), level, "request refused", attrs...)
}
