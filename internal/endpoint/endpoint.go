// Package endpoint names what tuikuan counts and breaks per API: each WeChat Pay endpoint
// it serves, v3 and v2, and the delivery of a notification. Fault rules match these
// names, rate limits are kept per name, and the CLI and the sandbox API accept them, so
// the names are part of tuikuan's own interface and never change once released.
package endpoint

// Names of the refund endpoints and of notification delivery.
const (
	RefundApply        = "refund.apply"                   // POST /v3/refund/domestic/refunds
	RefundQuery        = "refund.query"                   // GET /v3/refund/domestic/refunds/{out_refund_no}
	Abnormal           = "abnormal"                       // POST …/refunds/{refund_id}/apply-abnormal-refund
	EcommerceApply     = "ecommerce.apply"                // POST /v3/ecommerce/refunds/apply
	EcommerceQuery     = "ecommerce.query"                // GET /v3/ecommerce/refunds/…
	ReturnAdvance      = "ecommerce.return-advance"       // POST /v3/ecommerce/refunds/{refund_id}/return-advance
	ReturnAdvanceQuery = "ecommerce.return-advance.query" // GET /v3/ecommerce/refunds/{refund_id}/return-advance
	Certificates       = "certificates"                   // GET /v3/certificates
	Notify             = "notify"                         // a notification delivery to notify_url
	V2Refund           = "v2.refund"                      // POST /secapi/pay/refund, the v2 XML apply
	V2Query            = "v2.refundquery"                 // POST /pay/refundquery
)

// Names of the v2 order endpoints (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
const (
	V2UnifiedOrder = "v2.unifiedorder" // POST /pay/unifiedorder
	V2OrderQuery   = "v2.orderquery"   // POST /pay/orderquery
	V2CloseOrder   = "v2.closeorder"   // POST /pay/closeorder
)

// Names of the consumer complaint endpoints
// (https://pay.weixin.qq.com/docs/merchant/products/consumer-complaint/apilist.html).
const (
	ComplaintList     = "complaint.list"
	ComplaintDetail   = "complaint.detail"
	ComplaintHistory  = "complaint.history"
	ComplaintResponse = "complaint.response"
	ComplaintComplete = "complaint.complete"
	ComplaintRefund   = "complaint.update-refund-progress"
	ComplaintNotify   = "complaint.notify-url"
	ImageUpload       = "image.upload"
	ImageDownload     = "image.download"
)

// Names of the merchant coupon (busifavor) endpoints
// (https://pay.weixin.qq.com/doc/v3/merchant/4015715938).
const (
	StockCreate      = "busifavor.stock.create"
	StockQuery       = "busifavor.stock.query"
	CouponSend       = "busifavor.send"
	CouponUse        = "busifavor.use"
	CouponQuery      = "busifavor.query"
	CouponList       = "busifavor.list"
	CouponDeactivate = "busifavor.deactivate"
	CouponReturn     = "busifavor.return"
)

// Names of the order endpoints, direct and partner alike: 下单 per trade type, 查询订单
// by either number, 关闭订单 (https://pay.weixin.qq.com/doc/v3/merchant/4012791856).
const (
	PayJSAPI  = "pay.jsapi"  // POST /v3/pay/transactions/jsapi, /v3/pay/partner/transactions/jsapi
	PayApp    = "pay.app"    // POST /v3/pay/transactions/app, …/partner/…
	PayH5     = "pay.h5"     // POST /v3/pay/transactions/h5, …/partner/…
	PayNative = "pay.native" // POST /v3/pay/transactions/native, …/partner/…
	PayQuery  = "pay.query"  // GET /v3/pay/transactions/{id/…,out-trade-no/…}, …/partner/…
	PayClose  = "pay.close"  // POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close, …/partner/…
)

// All lists every name, in the order the CLI's help shows them.
var All = []string{RefundApply, RefundQuery, Abnormal, EcommerceApply, EcommerceQuery, ReturnAdvance, ReturnAdvanceQuery, Certificates, Notify, V2Refund, V2Query,
	V2UnifiedOrder, V2OrderQuery, V2CloseOrder,
	ComplaintList, ComplaintDetail, ComplaintHistory, ComplaintResponse, ComplaintComplete, ComplaintRefund,
	ComplaintNotify, ImageUpload, ImageDownload,
	StockCreate, StockQuery, CouponSend, CouponUse, CouponQuery, CouponList, CouponDeactivate, CouponReturn,
	PayJSAPI, PayApp, PayH5, PayNative, PayQuery, PayClose}
