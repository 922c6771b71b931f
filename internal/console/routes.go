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
