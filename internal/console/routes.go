package console

import (
	"io/fs"
	"net/http"
)

// routes is the console's table of contents.
func (h *handler) routes(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/login", h.loginForm)
	mux.HandleFunc("POST /console/login", h.login)
	mux.HandleFunc("POST /console/logout", h.logout)
	mux.Handle("GET /console/{$}", h.page(h.overview))
	mux.Handle("GET /console/transactions", h.page(h.transactions))
	mux.Handle("POST /console/transactions", h.action(h.createOrder))
	mux.Handle("GET /console/transactions/{transaction_id}", h.page(h.transaction))
	mux.Handle("POST /console/transactions/{transaction_id}/refund", h.action(h.refundOrder))
	mux.Handle("GET /console/refunds", h.page(h.refunds))
	mux.Handle("GET /console/refunds/{refund_id}", h.page(h.refund))
	mux.Handle("POST /console/refunds/{refund_id}/settle", h.action(h.settleRefund))
	mux.Handle("POST /console/notifications/{id}/resend", h.action(h.resendNotification))
	mux.Handle("GET /console/complaints", h.page(h.complaints))
	mux.Handle("POST /console/complaints", h.action(h.createComplaint))
	mux.Handle("GET /console/complaints/{complaint_id}", h.page(h.complaint))
	mux.Handle("POST /console/complaints/{complaint_id}/messages", h.action(h.complaintMessage))
	mux.Handle("POST /console/complaints/{complaint_id}/continue", h.action(h.continueComplaint))
	mux.Handle("GET /console/coupons", h.page(h.coupons))
	mux.Handle("GET /console/cashier", h.page(h.cashier))
	mux.Handle("POST /console/cashier", h.action(h.payOrder))
	mux.Handle("GET /console/files/{path...}", h.page(h.download))
	mux.Handle("GET /console/requests", h.page(h.requests))
	mux.Handle("GET /console/requests/{id}", h.page(h.request))
	mux.Handle("GET /console/faults", h.page(h.faultList))
	mux.Handle("POST /console/faults", h.action(h.addFault))
	mux.Handle("POST /console/faults/clear", h.action(h.clearFaults))
	mux.Handle("POST /console/faults/{id}/remove", h.action(h.removeFault))
	mux.Handle("GET /console/clock", h.page(h.clock))
	mux.Handle("POST /console/clock/advance", h.action(h.advanceClock))
}
