package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	cookieName = "tuikuan_console"
	// sessionTTL is how long a sign-in lasts: a working day.
	sessionTTL = 12 * time.Hour
)

// sessionKey derives the cookie key from the token, so that sessions need no server-side
// state (every node sharing a store accepts them) and changing the token ends them all.
func sessionKey(token string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("tuikuan console session"))
	return m.Sum(nil)
}

func (h *handler) mac(parts ...string) string {
	m := hmac.New(sha256.New, h.key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// newSession returns a cookie value: expiry, random, and their MAC.
func (h *handler) newSession() string {
	var b [16]byte
	rand.Read(b[:])
	body := strconv.FormatInt(h.now().Add(sessionTTL).Unix(), 10) + "." + hex.EncodeToString(b[:])
	return body + "." + h.mac("session", body)
}

// session returns the request's session cookie value if it is one this token signed and
// it has not expired.
func (h *handler) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return "", false
	}
	body, sum := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sum), []byte(h.mac("session", body))) {
		return "", false
	}
	exp, _, _ := strings.Cut(body, ".")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !h.now().Before(time.Unix(unix, 0)) {
		return "", false
	}
	return c.Value, true
}

// csrfToken is the form token of a session: bound to the cookie, so that a token read
// from one session is worthless in another.
func (h *handler) csrfToken(session string) string {
	return h.mac("csrf", session)
}

// authorized parses a POSTed form and says whether it comes with a session and that
// session's CSRF token.
func (h *handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	s, ok := h.session(r)
	if !ok {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(h.csrfToken(s)))
}

func (h *handler) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

type loginData struct{}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.session(r); ok {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	if err := h.render(w, r, "login", loginData{}); err != nil {
		h.fail(w, r, err)
	}
}

// login signs in with the sandbox token; a wrong one gets the form again and no cookie.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	r.ParseForm()
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(r.PostFormValue("token"))), []byte(h.token)) != 1 || h.token == "" {
		ev := &errorView{Status: http.StatusUnauthorized, Code: "UNAUTHORIZED",
			Message: "令牌不对 Wrong token: use sandbox_token from credentials.json in the data dir"}
		if err := h.renderStatus(w, r, http.StatusUnauthorized, "login", loginData{}, ev); err != nil {
			h.fail(w, r, err)
		}
		return
	}
	h.setCookie(w, r, h.newSession(), int(sessionTTL.Seconds()))
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		http.Error(w, "403 forbidden", http.StatusForbidden)
		return
	}
	h.setCookie(w, r, "", -1)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
