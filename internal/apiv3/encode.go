package apiv3

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
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

// noContent makes a handler answer 204, signed over the empty body
// (docs/wire.md#answer-signatures).
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
	// The answer was signed while the writes it reports were being flushed (pay.Defer);
	// it leaves only once they are durable.
	if err := pay.Durable(r.Context()); err != nil {
		a.writeError(w, r, err)
		return
	}
	if body != nil {
		// Java's client wants application/json on every 2xx with a body
		// (docs/wire.md#content-type).
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	w.Write(body)
}

// writeError answers with the error envelope for a request whose merchant is unknown.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a.writeErrorFor(w, r, nil, err)
}

// writeErrorFor answers m's request with the error envelope. Error answers are signed
// too: no SDK checks them, but a real client that logs signatures sees the same headers
// as on 2xx.
func (a *api) writeErrorFor(w http.ResponseWriter, r *http.Request, m *pay.Merchant, err error) {
	// An error read from a batch whose commit then failed may describe a state that
	// never was: the failure is the answer.
	if cerr := pay.Durable(r.Context()); cerr != nil {
		err = cerr
	}
	status, b := jsonapi.ErrorBody(err)
	jsonapi.LogRefusal(a.log, r, status, b.Code, err, caller(r)...)
	body, _ := json.Marshal(b)
	if err := a.signResponse(w.Header(), a.serialFor(r, m), body); err != nil {
		a.log.ErrorContext(r.Context(), "sign error response", "err", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// caller names the merchant a request claims to be, for the log.
func caller(r *http.Request) []any {
	if auth, err := parseAuthorization(r.Header.Get("Authorization")); err == nil {
		return []any{"mchid", auth.Mchid}
	}
	return nil
}

// timeString writes a time as WeChat Pay does: RFC3339 in Beijing time (docs/wire.md#times).
func timeString(t time.Time) string {
	return t.In(pay.Beijing).Format(time.RFC3339)
}

// optTime is nil for the zero time, so that optional times are omitted rather than sent
// as "" (which breaks wechatpay-go, docs/wire.md#times).
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timeString(t)
	return &s
}
