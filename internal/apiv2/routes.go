// Package apiv2 serves WeChat Pay's v2 XML API (docs/wire.md#apiv2): the refund
// query (https://pay.weixin.qq.com/doc/v2/merchant/4011939577) and the mutual-TLS refund
// apply, over the same refunds APIv3 sees, and 统一下单, 查询订单 and 关闭订单
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1) over the same orders. It parses hostile XML, checks MD5 and
// HMAC-SHA256 signatures, and answers in the v2 envelope; the rules of money stay in
// package pay.
package apiv2

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/ratelimit"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Config is what the v2 handler needs.
type Config struct {
	Service *pay.Service
	Logger  *slog.Logger
	// Faults are the fault rules and magic numbers; nil means magic numbers only.
	Faults *fault.Registry
	// Limits are the per-second rate limits, shared with the APIv3 handler; nil means
	// limits of this handler's own.
	Limits *ratelimit.Limiter
}

type api struct {
	svc    *pay.Service
	log    *slog.Logger
	faults *fault.Registry
	limits *ratelimit.Limiter
	nonce  func() string // the answers' nonce_str; fixed in golden tests
}

// NewHandler returns the v2 endpoints. Mount it on /pay/ and /secapi/.
func NewHandler(c Config) http.Handler {
	return newAPI(c).routes()
}

func newAPI(c Config) *api {
	a := &api{svc: c.Service, log: c.Logger, faults: c.Faults, limits: c.Limits, nonce: func() string { return wxcrypto.Nonce(32) }}
	if a.faults == nil {
		a.faults = fault.New()
	}
	if a.limits == nil {
		a.limits = ratelimit.New(nil)
	}
	return a
}

// routes is the table of contents of the v2 API.
func (a *api) routes() http.Handler {
	// No method in the patterns: a GET must reach the handler to be told
	// REQUIRE_POST_METHOD in XML rather than get the mux's plain-text 405.
	mux := http.NewServeMux()
	mux.Handle("/pay/refundquery", a.handle(endpoint.V2Query, anyTransport, a.refundQuery))
	mux.Handle("/secapi/pay/refund", a.handle(endpoint.V2Refund, mutualTLS, a.applyRefund))
	mux.Handle("/pay/unifiedorder", a.handle(endpoint.V2UnifiedOrder, anyTransport, a.unifiedOrder))
	mux.Handle("/pay/orderquery", a.handle(endpoint.V2OrderQuery, anyTransport, a.orderQuery))
	mux.Handle("/pay/closeorder", a.handle(endpoint.V2CloseOrder, anyTransport, a.closeOrder))
	mux.Handle("/", notFound(a.log))
	return mux
}

// transport says whether an endpoint needs the merchant's client certificate.
type transport bool

const (
	anyTransport transport = false
	mutualTLS    transport = true // "请求需要双向证书" (申请退款, docs/wire.md#apiv2)
)

// call is one authenticated request.
type call struct {
	*http.Request
	params   map[string]string
	merchant *pay.Merchant // the mch_id's merchant, whose key signs the answer
	signType string
}

func (c *call) get(name string) string { return c.params[name] }

// handle adapts a handler that returns its answer's business fields or an error: it
// authenticates the request, applies the fault rules of api (an endpoint.V2* name), and
// writes the signed answer, or the unsigned protocol failure. Every answer is XML with
// HTTP 200: gopay treats any other status, or a body with <html in it, as a transport
// failure (docs/wire.md#apiv2).
func (a *api) handle(api string, tr transport, f func(*call) (*reply, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer a.recover(w, r)
		jsonapi.ExchangeOf(r).API = api
		c, err := a.authenticate(w, r, tr)
		if err != nil {
			a.writeFail(w, r, err)
			return
		}
		out, err := a.run(api, c, f)
		if err != nil {
			a.logRefusal(c, api, err)
		}
		writeXML(w, http.StatusOK, a.result(c, api, out, err))
	})
}

// authenticate checks a request in the order the real service's layers would: method,
// client certificate, XML, merchant, appid, signature. Failures are protocol level.
func (a *api) authenticate(w http.ResponseWriter, r *http.Request, tr transport) (*call, error) {
	if r.Method != http.MethodPost {
		return nil, &protocolError{msg: msgPost, detail: "method " + r.Method}
	}
	if tr == mutualTLS && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
		return nil, &protocolError{msg: msgNoCert, detail: fmt.Sprintf("TLS %t, no verified client certificate", r.TLS != nil)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, &protocolError{msg: msgXMLFormat, detail: "read body: " + err.Error()}
	}
	params, err := decodeXML(body)
	if err != nil {
		return nil, err
	}
	mchid := params["mch_id"]
	jsonapi.ExchangeOf(r).Mchid = mchid
	if tr == mutualTLS {
		// The client certificate names the merchant as its common name, as the real
		// merchant API certificates do; a partner calls with its own.
		if cn := r.TLS.VerifiedChains[0][0].Subject.CommonName; cn != mchid {
			return nil, &protocolError{msg: msgCertMatch, detail: fmt.Sprintf("certificate of %s, mch_id %s", cn, mchid), mchid: mchid}
		}
	}
	if mchid == "" {
		return nil, &protocolError{msg: msgMchid, detail: "mch_id missing"}
	}
	m, err := a.svc.Merchants.Query(r.Context(), mchid)
	if errors.Is(err, pay.ErrNotFound) {
		return nil, &protocolError{msg: msgMchid, detail: "unknown mch_id", mchid: mchid}
	}
	if err != nil {
		return nil, fmt.Errorf("find merchant %s: %w", mchid, err)
	}
	if params["appid"] != m.Appid {
		return nil, &protocolError{msg: msgAppid, detail: fmt.Sprintf("appid %q, merchant %s's is %s", params["appid"], mchid, m.Appid), mchid: mchid}
	}
	if err := verify(params, m.APIv2Key); err != nil {
		// Only the reason: the string the server signed is the request's body, which
		// is not logged.
		return nil, &protocolError{msg: msgSign, detail: err.Error(), mchid: mchid}
	}
	st, _ := signType(params) // verify checked it
	return &call{Request: r, params: params, merchant: m, signType: st}, nil
}

// result is a business answer: out's fields after the common ones on success, err_code
// and err_code_des on failure, signed either way (docs/wire.md#apiv2).
func (a *api) result(c *call, api string, out *reply, err error) *reply {
	n := 11 // the most common fields
	if out != nil {
		n += len(out.fields)
	}
	rp := &reply{fields: make([]field, 0, n)}
	rp.add("return_code", "SUCCESS")
	rp.add("return_msg", "OK")
	rp.add("appid", c.merchant.Appid)
	rp.add("mch_id", c.merchant.Mchid)
	rp.add("sub_appid", c.get("sub_appid"))
	rp.add("sub_mch_id", c.get("sub_mch_id"))
	rp.add("nonce_str", a.nonce())
	if err != nil {
		code, des := businessError(api, err)
		rp.add("result_code", "FAIL")
		rp.add("err_code", code)
		rp.add("err_code_des", des)
	} else {
		rp.add("result_code", "SUCCESS")
		rp.fields = append(rp.fields, out.fields...)
	}
	// The answer is signed with the request's sign type: what gopay's
	// VerifySign(apiKey, signType, bm) is called with (docs/wire.md#apiv2).
	rp.add("sign", signReply(rp, c.merchant.APIv2Key, c.signType))
	return rp
}

// logRefusal logs a business failure in one line, as APIv3 logs its refusals: a user sees
// at the default level why a call was refused. A failure of the server's own is an
// ERROR with its detail.
func (a *api) logRefusal(c *call, api string, err error) {
	code, _ := businessError(api, err)
	jsonapi.ExchangeOf(c.Request).Code = code
	attrs := []any{"status", http.StatusOK, "code", code, "mchid", c.merchant.Mchid, "method", c.Method, "path", c.URL.Path}
	var e *pay.Error
	if errors.As(err, &e) {
		a.log.InfoContext(c.Request.Context(), "v2 request refused", attrs...)
		return
	}
	a.log.ErrorContext(c.Request.Context(), "v2 request failed", append(attrs, "err", err)...)
}

// writeFail writes a protocol failure; anything but a *protocolError is a 系统错误 whose
// detail stays in the log.
func (a *api) writeFail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *protocolError
	ex := jsonapi.ExchangeOf(r)
	if errors.As(err, &pe) {
		ex.Code = logCodes[pe.msg]
		attrs := []any{"status", http.StatusOK, "code", logCodes[pe.msg]}
		if pe.mchid != "" {
			attrs = append(attrs, "mchid", pe.mchid)
		}
		a.log.InfoContext(r.Context(), "v2 request refused", append(attrs, "method", r.Method, "path", r.URL.Path, "reason", pe.detail)...)
	} else {
		ex.Code = codeSystemError
		a.log.ErrorContext(r.Context(), "v2 request failed", "status", http.StatusOK, "code", codeSystemError, "method", r.Method, "path", r.URL.Path, "err", err)
		pe = &protocolError{msg: msgSystemError}
	}
	writeXML(w, http.StatusOK, failReply(pe.msg))
}

func failReply(msg string) *reply {
	rp := &reply{}
	rp.add("return_code", "FAIL")
	rp.add("return_msg", msg)
	return rp
}

func writeXML(w http.ResponseWriter, status int, rp *reply) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write(rp.encode())
}

// recover answers a panic with a protocol failure in XML rather than the listener's JSON
// envelope. http.ErrAbortHandler, a deliberate drop, goes on up.
func (a *api) recover(w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	a.log.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
	writeXML(w, http.StatusOK, failReply(msgSystemError))
}

// notFound answers other /pay/ and /secapi/ paths: v2 has many more endpoints than
// tuikuan serves. 404 tells a misconfigured client the truth; the body is still XML.
func notFound(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "v2 request refused", "status", http.StatusNotFound, "method", r.Method, "path", r.URL.Path, "reason", "path not served")
		writeXML(w, http.StatusNotFound, failReply("接口"+r.URL.Path+"不存在"))
	})
}
