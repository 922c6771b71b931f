// Package sandbox serves tuikuan's own control API under /sandbox/v1: the things a tester
// needs that WeChat Pay has no API for — paid orders to refund, settling refunds, moving
// business time. It is JSON behind a bearer token, with no signatures.
package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Config is what the sandbox handler needs.
type Config struct {
	Service *pay.Service
	Token   string
	Logger  *slog.Logger
	// Notifier re-sends notifications for POST /sandbox/v1/notifications/{id}/resend.
	Notifier Notifier
	// Faults holds the rules /sandbox/v1/faults manages; required.
	Faults *fault.Registry
}

type handler struct {
	svc      *pay.Service
	log      *slog.Logger
	notifier Notifier
	faults   *fault.Registry
}

// NewHandler returns the /sandbox/v1 endpoints behind the bearer token.
func NewHandler(c Config) http.Handler {
	h := &handler{svc: c.Service, log: c.Logger, notifier: c.Notifier, faults: c.Faults}
	mux := http.NewServeMux()
	mux.Handle("POST /sandbox/v1/transactions", h.handle(h.createOrder))
	mux.Handle("GET /sandbox/v1/transactions/{transaction_id}", h.handle(h.getOrder))
	mux.Handle("POST /sandbox/v1/payments", h.handle(h.createPayment))
	mux.Handle("POST /sandbox/v1/refunds/{refund_id}/settle", h.handle(h.settle))
	mux.Handle("POST /sandbox/v1/clock", h.handle(h.advanceClock))
	mux.Handle("GET /sandbox/v1/clock", h.handle(h.getClock))
	mux.Handle("GET /sandbox/v1/refunds/{refund_id}/notifications", h.handle(h.listNotifications))
	mux.Handle("POST /sandbox/v1/notifications/{id}/resend", h.handle(h.resendNotification))
	mux.Handle("GET /sandbox/v1/merchants/{mchid}", h.handle(h.getMerchant))
	mux.Handle("PATCH /sandbox/v1/merchants/{mchid}", h.handle(h.patchMerchant))
	mux.Handle("POST /sandbox/v1/faults", h.handle(h.addFault))
	mux.Handle("GET /sandbox/v1/faults", h.handle(h.listFaults))
	mux.Handle("DELETE /sandbox/v1/faults/{id}", h.deleted(h.removeFault))
	mux.Handle("DELETE /sandbox/v1/faults", h.deleted(h.clearFaults))
	mux.Handle("POST /sandbox/v1/complaints", h.handle(h.createComplaint))
	mux.Handle("POST /sandbox/v1/complaints/{complaint_id}/messages", h.handle(h.complaintMessage))
	mux.Handle("POST /sandbox/v1/complaints/{complaint_id}/continue", h.handle(h.continueComplaint))
	mux.Handle("GET /sandbox/v1/complaints/{complaint_id}/notifications", h.handle(h.listComplaintNotifications))
	mux.Handle("POST /sandbox/v1/coupons/{coupon_code}/delete", h.handle(h.deleteCoupon))
	return h.requireToken(c.Token, jsonapi.Fallback(mux, func(w http.ResponseWriter, r *http.Request, err error) {
		jsonapi.WriteError(w, h.log, r, err)
	}))
}

func (h *handler) requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			jsonapi.WriteError(w, h.log, r, pay.Errorf(pay.CodeUnauthorized,
				"需要 Authorization: Bearer <sandbox_token>（见数据目录下的 credentials.json）"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *handler) handle(f func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := f(r)
		if err != nil {
			jsonapi.WriteError(w, h.log, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(out)
	})
}

// decode reads a strict JSON body: a typo in a sandbox request is a 400, not a default.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, jsonapi.MaxBody))
	if err != nil {
		return pay.Errorf(pay.CodeParamError, "请求体无法读取：%v", err)
	}
	return jsonapi.Decode(body, r.Header.Get("Content-Type"), true, v)
}

type clockJSON struct {
	Now           string `json:"now"`
	OffsetSeconds int64  `json:"offset_seconds"`
}

func (h *handler) clock() clockJSON {
	c := h.svc.Time.Clock()
	return clockJSON{Now: c.Now().In(pay.Beijing).Format(time.RFC3339), OffsetSeconds: int64(c.Offset().Seconds())}
}

func (h *handler) advanceClock(r *http.Request) (any, error) {
	var b struct {
		AdvanceSeconds *int64 `json:"advance_seconds"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.AdvanceSeconds == nil {
		return nil, pay.ParamError("advance_seconds", "字段必填", nil)
	}
	if _, err := h.svc.Time.Advance(r.Context(), seconds(*b.AdvanceSeconds)); err != nil {
		return nil, err
	}
	// Refunds whose settlement time the clock jumped past settle now, not on the next tick.
	if _, err := h.svc.Refunds.SettleDue(r.Context()); err != nil {
		return nil, err
	}
	return h.clock(), nil
}

// seconds converts n seconds to a Duration, saturating where the nanoseconds do not fit:
// AdvanceClock refuses both extremes, while a product that wrapped could pass for a small,
// valid advance.
func seconds(n int64) time.Duration {
	const limit = math.MaxInt64 / int64(time.Second)
	switch {
	case n > limit:
		return math.MaxInt64
	case n < -limit:
		return math.MinInt64
	}
	return time.Duration(n) * time.Second
}

func (h *handler) getClock(r *http.Request) (any, error) { return h.clock(), nil }

func (h *handler) settle(r *http.Request) (any, error) {
	var b struct {
		Status *string `json:"status"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.Status == nil {
		return nil, pay.ParamError("status", "字段必填", nil)
	}
	rf, err := h.svc.Refunds.Settle(r.Context(), r.PathValue("refund_id"), pay.Status(*b.Status))
	if err != nil {
		return nil, err
	}
	return refundView(rf), nil
}
