// Package apiv3 serves WeChat Pay's JSON APIv3: request signature checks, signed answers,
// the error envelope, and the endpoints of refunds, orders, complaints and coupons.
// Handlers decode, check the request's shape, make one pay.Service call and encode; the
// rules live in package pay.
package apiv3

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/ratelimit"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Config is what the APIv3 handler needs.
type Config struct {
	Service  *pay.Service
	Platform *identity.Platform
	Logger   *slog.Logger
	// Lenient ignores unknown body fields instead of answering PARAM_ERROR.
	Lenient bool
	// Now is real time, for signatures and their window; nil means time.Now.
	Now func() time.Time
	// Faults are the fault rules and magic numbers; nil means magic numbers only.
	Faults *fault.Registry
	// Limits are the per-second rate limits, shared with the v2 handler; nil means
	// limits of this handler's own, on Now.
	Limits *ratelimit.Limiter
	// Nonces remembers request nonces; nil means in this process's memory.
	Nonces NonceStore
}

type api struct {
	svc      *pay.Service
	platform *identity.Platform
	log      *slog.Logger
	strict   bool
	now      func() time.Time
	nonces   NonceStore
	faults   *fault.Registry
	limits   *ratelimit.Limiter

	certMu sync.Mutex
	certs  map[string]parsedCert // by certificate PEM
}

type parsedCert struct {
	pub  *rsa.PublicKey
	cert *x509.Certificate
}

// NewHandler returns the APIv3 endpoints, every one behind the signature check.
func NewHandler(c Config) http.Handler {
	a := &api{
		svc: c.Service, platform: c.Platform, log: c.Logger, strict: !c.Lenient,
		now: c.Now, nonces: c.Nonces, certs: make(map[string]parsedCert),
		faults: c.Faults, limits: c.Limits,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.nonces == nil {
		a.nonces = newMemoryNonces()
	}
	if a.faults == nil {
		a.faults = fault.New()
	}
	if a.limits == nil {
		a.limits = ratelimit.New(a.now)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v3/certificates", a.handle(endpoint.Certificates, a.certificates))
	mux.Handle("GET /v3/merchant-service/complaints-v2", a.handle(endpoint.ComplaintList, a.listComplaints))
	mux.Handle("GET /v3/merchant-service/complaints-v2/{complaint_id}", a.handle(endpoint.ComplaintDetail, a.complaintDetail))
	mux.Handle("GET /v3/merchant-service/complaints-v2/{complaint_id}/negotiation-historys", a.handle(endpoint.ComplaintHistory, a.complaintHistory))
	mux.Handle("POST /v3/merchant-service/complaints-v2/{complaint_id}/response", a.handle(endpoint.ComplaintResponse, a.replyComplaint))
	mux.Handle("POST /v3/merchant-service/complaints-v2/{complaint_id}/complete", a.handle(endpoint.ComplaintComplete, a.completeComplaint))
	mux.Handle("POST /v3/merchant-service/complaints-v2/{complaint_id}/update-refund-progress", a.handle(endpoint.ComplaintRefund, a.updateRefundProgress))
	mux.Handle("POST /v3/merchant-service/images/upload", a.handle(endpoint.ImageUpload, a.uploadImage))
	mux.Handle("GET /v3/merchant-service/images/{media_id}", a.handle(endpoint.ImageDownload, a.downloadImage))
	mux.Handle("POST /v3/merchant-service/complaint-notifications", a.handle(endpoint.ComplaintNotify, a.setComplaintNotifyURL(true)))
	mux.Handle("GET /v3/merchant-service/complaint-notifications", a.handle(endpoint.ComplaintNotify, a.getComplaintNotifyURL))
	mux.Handle("PUT /v3/merchant-service/complaint-notifications", a.handle(endpoint.ComplaintNotify, a.setComplaintNotifyURL(false)))
	mux.Handle("DELETE /v3/merchant-service/complaint-notifications", a.handle(endpoint.ComplaintNotify, a.deleteComplaintNotifyURL))
	mux.Handle("POST /v3/refund/domestic/refunds", a.handle(endpoint.RefundApply, a.createRefund))
	mux.Handle("GET /v3/refund/domestic/refunds/{out_refund_no}", a.handle(endpoint.RefundQuery, a.query(pay.APIDomestic, a.svc.Refunds.Query, "out_refund_no", DomesticRefund)))
	mux.Handle("POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund", a.handle(endpoint.Abnormal, a.applyAbnormalRefund(pay.APIDomestic, DomesticRefund)))
	mux.Handle("POST /v3/ecommerce/refunds/apply", a.handle(endpoint.EcommerceApply, a.createEcommerceRefund))
	mux.Handle("GET /v3/ecommerce/refunds/id/{refund_id}", a.handle(endpoint.EcommerceQuery, a.query(pay.APIEcommerce, a.svc.Refunds.QueryByID, "refund_id", EcommerceRefund)))
	mux.Handle("GET /v3/ecommerce/refunds/out-refund-no/{out_refund_no}", a.handle(endpoint.EcommerceQuery, a.query(pay.APIEcommerce, a.svc.Refunds.Query, "out_refund_no", EcommerceRefund)))
	mux.Handle("POST /v3/ecommerce/refunds/{refund_id}/apply-abnormal-refund", a.handle(endpoint.Abnormal, a.applyAbnormalRefund(pay.APIEcommerce, EcommerceRefund)))
	mux.Handle("POST /v3/ecommerce/refunds/{refund_id}/return-advance", a.handle(endpoint.ReturnAdvance, a.returnAdvance))
	// One segment wider than it reads: a literal return-advance would clash with
	// id/{refund_id} in ServeMux (neither is more specific), so the handler checks it.
	mux.Handle("GET /v3/ecommerce/refunds/{refund_id}/{action}", a.handle(endpoint.ReturnAdvanceQuery, a.queryAdvanceReturn))
	mux.Handle("POST /v3/marketing/busifavor/stocks", a.handle(endpoint.StockCreate, a.createStock))
	mux.Handle("GET /v3/marketing/busifavor/stocks/{stock_id}", a.handle(endpoint.StockQuery, a.queryStock))
	mux.Handle("POST /v3/marketing/busifavor/coupons/send", a.handle(endpoint.CouponSend, a.sendCoupon))
	mux.Handle("POST /v3/marketing/busifavor/coupons/use", a.handle(endpoint.CouponUse, a.useCoupon))
	mux.Handle("GET /v3/marketing/busifavor/users/{openid}/coupons/{coupon_code}/appids/{appid}", a.handle(endpoint.CouponQuery, a.queryCoupon))
	mux.Handle("GET /v3/marketing/busifavor/users/{openid}/coupons", a.handle(endpoint.CouponList, a.listCoupons))
	mux.Handle("POST /v3/marketing/busifavor/coupons/deactivate", a.handle(endpoint.CouponDeactivate, a.deactivateCoupon))
	mux.Handle("POST /v3/marketing/busifavor/coupons/return", a.handle(endpoint.CouponReturn, a.returnCoupon))
	mux.Handle("POST /v3/pay/transactions/jsapi", a.handle(endpoint.PayJSAPI, a.place(pay.TradeJSAPI, false)))
	mux.Handle("POST /v3/pay/transactions/app", a.handle(endpoint.PayApp, a.place(pay.TradeApp, false)))
	mux.Handle("POST /v3/pay/transactions/h5", a.handle(endpoint.PayH5, a.place(pay.TradeH5, false)))
	mux.Handle("POST /v3/pay/transactions/native", a.handle(endpoint.PayNative, a.place(pay.TradeNative, false)))
	mux.Handle("POST /v3/pay/partner/transactions/jsapi", a.handle(endpoint.PayJSAPI, a.place(pay.TradeJSAPI, true)))
	mux.Handle("POST /v3/pay/partner/transactions/app", a.handle(endpoint.PayApp, a.place(pay.TradeApp, true)))
	mux.Handle("POST /v3/pay/partner/transactions/h5", a.handle(endpoint.PayH5, a.place(pay.TradeH5, true)))
	mux.Handle("POST /v3/pay/partner/transactions/native", a.handle(endpoint.PayNative, a.place(pay.TradeNative, true)))
	mux.Handle("GET /v3/pay/transactions/id/{transaction_id}", a.handle(endpoint.PayQuery, a.queryOrder(a.svc.Orders.QueryByID, "transaction_id", false)))
	mux.Handle("GET /v3/pay/transactions/out-trade-no/{out_trade_no}", a.handle(endpoint.PayQuery, a.queryOrder(a.svc.Orders.QueryByOutTradeNo, "out_trade_no", false)))
	mux.Handle("GET /v3/pay/partner/transactions/id/{transaction_id}", a.handle(endpoint.PayQuery, a.queryOrder(a.svc.Orders.QueryByID, "transaction_id", true)))
	mux.Handle("GET /v3/pay/partner/transactions/out-trade-no/{out_trade_no}", a.handle(endpoint.PayQuery, a.queryOrder(a.svc.Orders.QueryByOutTradeNo, "out_trade_no", true)))
	mux.Handle("POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close", a.handle(endpoint.PayClose, a.closeOrder(false)))
	mux.Handle("POST /v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close", a.handle(endpoint.PayClose, a.closeOrder(true)))
	return jsonapi.Fallback(mux, a.writeError)
}

// call is one authenticated request.
type call struct {
	*http.Request
	body     []byte
	merchant *pay.Merchant
	// certMode makes the answer name the platform certificate whatever the request's
	// Wechatpay-Serial said.
	certMode bool
}

// handle adapts a handler that returns its answer or an error: it reads the body, checks
// the signature, applies the fault rules and rate limits of api (an endpoint name), and
// writes a signed answer or the error envelope.
func (a *api) handle(api string, f func(c *call) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonapi.ExchangeOf(r).API = api
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bodyLimit(r)))
		if err != nil {
			a.writeError(w, r, a.bodyError(r, err))
			return
		}
		signed, err := signedBody(r, body)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		m, err := a.authenticate(r, signed)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		// The answer is signed while the request's writes are flushed, and sent once
		// they are durable (pay.Defer; write and writeErrorFor wait). However the
		// handler ends — an answer, a fault rule's dropped connection, a panic — it ends
		// after its commits, so that what a client does next sees what it did.
		r = r.WithContext(pay.Defer(r.Context()))
		defer pay.Durable(r.Context())
		c := &call{Request: r, body: body, merchant: m}
		out, err := a.run(api, c, f)
		if err != nil {
			a.writeErrorFor(w, r, m, err)
			return
		}
		serial := a.serialFor(r, m)
		if c.certMode {
			serial = a.platform.CertSerial
		}
		a.write(w, r, serial, out)
	})
}

// bodyError turns a failure to read the request body into the client's error: the body
// was too large, or ended before its Content-Length (the client went away or timed out).
func (a *api) bodyError(r *http.Request, err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return pay.Errorf(pay.CodeInvalidRequest, "请求体超过%d字节", bodyLimit(r))
	}
	a.log.DebugContext(r.Context(), "read request body", "method", r.Method, "path", r.URL.Path, "err", err)
	return pay.Errorf(pay.CodeInvalidRequest, "请求体不完整：读取请求体时连接中断或超时")
}

// decode reads the call's JSON body into v, strictly unless configured lenient.
func (a *api) decode(c *call, v any) error {
	return jsonapi.Decode(c.body, c.Header.Get("Content-Type"), a.strict, v)
}

// certificate parses a merchant's certificate once per distinct PEM.
func (a *api) certificate(m *pay.Merchant) (*rsa.PublicKey, *x509.Certificate, error) {
	a.certMu.Lock()
	defer a.certMu.Unlock()
	if pc, ok := a.certs[m.CertPEM]; ok {
		return pc.pub, pc.cert, nil
	}
	cert, err := wxcrypto.ParseCertificate([]byte(m.CertPEM))
	if err != nil {
		return nil, nil, err
	}
	pc := parsedCert{pub: cert.PublicKey.(*rsa.PublicKey), cert: cert}
	a.certs[m.CertPEM] = pc
	return pc.pub, pc.cert, nil
}
