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
}
