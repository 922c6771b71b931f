package jsonapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Common wraps every endpoint of the listener: a Request-ID on every answer, as WeChat
// Pay sends (docs/wire.md#error-bodies), panic recovery into the JSON envelope rather
// than a dropped connection, and an access log line that carries no header or body (they
// hold signatures and personal data).
//
// node, when not empty, names the node that answers: the Request-ID is node + ":" + an ID
// of WeChat Pay's shape, so an operator running several nodes finds the one whose log
// holds a request. node must not contain ':'.
func Common(next http.Handler, log *slog.Logger, node string) http.Handler {
	prefix := ""
	if node != "" {
		prefix = node + ":"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := prefix + newRequestID()
		w.Header().Set("Request-ID", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		r = r.WithContext(WithExchange(r.Context(), &Exchange{RequestID: id, Node: node, Start: start,
			Method: r.Method, Target: r.RequestURI}))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				if !sw.wrote {
					WriteError(sw, log, r, fmt.Errorf("panic: %v", p))
				}
			}
			log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// newRequestID mimics the real IDs' shape, e.g. "08D799FEFC…BA04-270924360".
func newRequestID() string {
	return strings.ToUpper(wxcrypto.Hex(22)) + "-" + wxcrypto.Digits(9)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	s.status, s.wrote = code, true
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// ByPrefix sends each request whose path, as received, starts with one of the prefixes
// (which must not overlap) to that prefix's handler, and the others to next. A ServeMux in
// front of those handlers would answer a path with "." or ".." segments by redirecting it
// to its cleaned form, in HTML; behind ByPrefix the API the path names answers instead,
// in its own shape.
func ByPrefix(next http.Handler, prefixes map[string]http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for prefix, h := range prefixes {
			if strings.HasPrefix(r.URL.Path, prefix) {
				h.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
