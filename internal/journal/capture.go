package journal

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// rawLimit is how much of a body Capture copies before masking: more than Limit, so that
// a JSON or XML body whose ciphertexts masking shortens still parses whole.
const rawLimit = 4 * Limit

// Capture records every request next serves: what it read of the request body, the
// status and the start of the answer, and what the handler put in the request's
// jsonapi.Exchange. It runs inside jsonapi.Common, whose Exchange it reads; a panic
// is recorded as a 500 SYSTEM_ERROR and goes on up to Common's recovery.
//
// The masking runs on the request's goroutine, after next returns; the write happens
// later, on Run's.
func (r *Recorder) Capture(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := r.cfg.Now()
		var reqBody capped
		if req.Body != nil && req.Body != http.NoBody {
			req.Body = &teeBody{ReadCloser: req.Body, copy: &reqBody}
		}
		cw := &captureWriter{ResponseWriter: w}
		panicked := true
		defer func() {
			if panicked {
				p := recover()
				r.record(req, start, &reqBody, cw, true)
				panic(p)
			}
		}()
		next.ServeHTTP(cw, req)
		panicked = false
		r.record(req, start, &reqBody, cw, false)
	})
}

// record builds the entry of a served request and queues it.
func (r *Recorder) record(req *http.Request, start time.Time, reqBody *capped, cw *captureWriter, panicked bool) {
	ex := jsonapi.ExchangeOf(req)
	at := ex.Start
	if at.IsZero() {
		at = start
	}
	status, code := cw.status, ex.Code
	if status == 0 {
		status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	if panicked {
		status, code = http.StatusInternalServerError, "SYSTEM_ERROR"
	}
	target := ex.Target
	if target == "" {
		target = req.RequestURI
	}
	r.Record(&pay.JournalEntry{
		At: at, Node: ex.Node, RequestID: ex.RequestID, Mchid: ex.Mchid, API: ex.API,
		Method: req.Method, Target: target, Status: status, Code: code,
		Latency:   r.cfg.Now().Sub(start),
		Request:   Headers(req.Header) + "\n" + reqBody.masked(),
		Answer:    cw.body.masked(),
		Diagnosis: diagnosis(ex.Diagnosis),
	})
}

// capped keeps the first rawLimit bytes written to it and counts the rest.
type capped struct {
	buf     bytes.Buffer
	missing int64
}

func (c *capped) Write(p []byte) (int, error) {
	n := min(len(p), rawLimit-c.buf.Len())
	c.buf.Write(p[:n])
	c.missing += int64(len(p) - n)
	return len(p), nil
}

func (c *capped) masked() string { return maskBody(c.buf.Bytes(), c.missing, Limit) }

// teeBody copies what the handler reads of the request body; the handler reads the same
// bytes and errors it would without it.
type teeBody struct {
	io.ReadCloser
	copy *capped
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.copy.Write(p[:n])
	return n, err
}

// captureWriter notes the status and copies the start of the answer.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   capped
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// Flush passes a flush on, for handlers that stream.
func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// diagnosis is the JSON of a refused signature's diagnosis, "" when there is none.
func diagnosis(d *jsonapi.Diagnosis) string {
	if d == nil {
		return ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		return ""
	}
	return string(b)
}
