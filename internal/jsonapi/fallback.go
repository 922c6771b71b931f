package jsonapi

import (
	"net/http"
	"path"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Fallback serves mux, but answers what the mux would answer by itself with the JSON
// envelope through answer: an unknown path is 404 RESOURCE_NOT_EXISTS and a wrong method
// 405 METHOD_NOT_ALLOWED (the status the official error table gives a wrong method,
// https://pay.weixin.qq.com/wiki/doc/apiv3/Share/error_code.shtml). A path with "." or
// ".." segments or "//" is not found either: the mux would redirect it to its cleaned
// form in HTML, which no WeChat Pay client follows or parses.
func Fallback(mux *http.ServeMux, answer func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isClean(r.URL.EscapedPath()) {
			answer(w, r, pay.Errorf(pay.CodeResourceNotExists, "请求的接口%s不存在", r.URL.EscapedPath()))
			return
		}
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{header: make(http.Header)}
		mux.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			answer(w, r, pay.Errorf(CodeMethodNotAllowed, "请求方法%s不被该接口支持", r.Method))
			return
		}
		answer(w, r, pay.Errorf(pay.CodeResourceNotExists, "请求的接口%s不存在", r.URL.Path))
	})
}

// isClean reports whether the mux would route p as it is, without redirecting it.
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || (p[len(p)-1] == '/' && c+"/" == p)
}

// statusRecorder captures what the mux would answer, to re-answer it as JSON.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }
