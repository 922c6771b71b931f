// Package console serves the developer's web console under /console/: every request
// their code sent and why it failed, the state of orders and refunds, and buttons for
// what the sandbox API can do. It is server-rendered html/template behind a sign-in with
// the sandbox token.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Config is what the console needs.
type Config struct {
	Service *pay.Service
	// Faults holds the fault rules the console lists and edits, as sandbox.Config.Faults.
	Faults *fault.Registry
	// Notifier re-sends notifications.
	Notifier Notifier
	// Journal is the request journal; nil when the journal is off.
	Journal Journal
	// Token is the sandbox token: the console's password and the root of its cookie keys.
	Token string
	// Data is the data dir, where the credential files offered for download are.
	Data   string
	Logger *slog.Logger
}

// Notifier delivers a notification now; *notify.Deliverer is one.
type Notifier interface {
	Resend(ctx context.Context, id string) (*pay.Attempt, *pay.Notification, error)
}

// Journal is the request journal's read side; package journal's *Recorder implements it.
type Journal interface {
	Entries(ctx context.Context, f pay.JournalFilter) ([]*pay.JournalEntry, error)
	Entry(ctx context.Context, id int64) (*pay.JournalEntry, error)
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// maxForm bounds a console form: they hold a few short fields.
const maxForm = 64 << 10

type handler struct {
	svc       *pay.Service
	faults    *fault.Registry
	notifier  Notifier
	journal   Journal
	token     string
	data      string
	log       *slog.Logger
	key       []byte // signs session cookies and CSRF tokens
	now       func() time.Time
	templates map[string]*template.Template
}

// page is the root value every template is executed with.
type page struct {
	Title string
	CSRF  string // the form token; "" when signed out
	Data  any
	Nav   string // the section the page belongs to: the path segment after /console/
	// Error, when set, is shown above the page's content.
	Error *errorView
}

// errorView is an error as the console shows it.
type errorView struct {
	Status  int
	Code    string
	Message string
}

// NewHandler returns the console: /console/ and everything below it. It panics if a
// template does not parse: they are embedded, so that is a bug caught at startup.
func NewHandler(c Config) http.Handler {
	h := &handler{
		svc: c.Service, faults: c.Faults, notifier: c.Notifier, journal: c.Journal,
		token: c.Token, data: c.Data, log: c.Logger, key: sessionKey(c.Token), now: time.Now,
	}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if h.templates, err = parseTemplates(); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	h.routes(mux)
	// Cross-origin protection refuses a POST a browser says came from another site,
	// beside the CSRF token: either alone stops a forged form.
	return secure(http.NewCrossOriginProtection().Handler(mux))
}

// parseTemplates parses each page with the layout, so that pages may all define
// "title" and "content".
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template)
	for _, name := range names {
		if name == "templates/layout.html" || name == "templates/parts.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", name)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")] = t
	}
	return out, nil
}

// secure sets the headers every console answer carries: no framing, no inline script, no
// caching of pages that show a developer's data, no full URL in Referer.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// page adapts a page handler: signed-out visitors go to the sign-in form, and an error
// becomes the error page.
func (h *handler) page(f func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := h.session(r); !ok {
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		if err := f(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// action adapts a form POST: it does nothing unless the request has a session and that
// session's CSRF token, and on success redirects (303) where the action says.
func (h *handler) action(f func(r *http.Request) (redirect string, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.authorized(w, r) {
			http.Error(w, "403 forbidden: sign in again and resend the form", http.StatusForbidden)
			return
		}
		to, err := f(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	})
}

// render writes the page name with data, 200 OK.
func (h *handler) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	return h.renderStatus(w, r, http.StatusOK, name, data, nil)
}

// renderStatus renders into a buffer first, so that a template failing halfway becomes
// an error page rather than half a page.
func (h *handler) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any, ev *errorView) error {
	t, ok := h.templates[name]
	if !ok {
		return errors.New("console: no template " + name)
	}
	p := page{Data: data, Nav: section(r.URL.Path), Error: ev}
	if cookie, ok := h.session(r); ok {
		p.CSRF = h.csrfToken(cookie)
	}
	var title bytes.Buffer
	if err := t.ExecuteTemplate(&title, "title", p); err != nil {
		return err
	}
	p.Title = title.String()
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

// section is the nav section of a console path: "refunds" for /console/refunds/123.
func section(path string) string {
	rest := strings.TrimPrefix(path, "/console/")
	s, _, _ := strings.Cut(rest, "/")
	return s
}

// fail answers err with the error page: a WeChat Pay error with its code and message,
// anything else without detail (logged), as the APIs do.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	ev := &errorView{Status: http.StatusInternalServerError, Code: pay.CodeSystemError, Message: "系统错误 Internal error (see the server log)"}
	var pe *pay.Error
	switch {
	case errors.As(err, &pe):
		ev = &errorView{Status: jsonapi.Status(pe.Code), Code: pe.Code, Message: pe.Message}
	case errors.Is(err, pay.ErrNotFound):
		ev = &errorView{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: "未找到 Not found"}
	}
	if ev.Status >= 500 {
		h.log.Error("console", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if err := h.renderStatus(w, r, ev.Status, "error", ev, ev); err != nil {
		h.log.Error("console: render the error page", "err", err)
		http.Error(w, http.StatusText(ev.Status), ev.Status)
	}
}
