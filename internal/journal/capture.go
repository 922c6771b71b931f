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
// The masking and the write happen later, on Run's goroutine, before anything is stored:
// the request pays for copying what it read and wrote, not for masking it. Only bodies
// of more than lazyLimit bytes are masked at once, so that a full queue holds at most
// Queue × 2 × lazyLimit raw bytes.
func (r *Recorder) Capture(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := r.cfg.Now()
		reqBody := new(capped)
		if req.Body != nil && req.Body != http.NoBody {
			req.Body = &teeBody{ReadCloser: req.Body, copy: reqBody}
		}
		cw := &captureWriter{ResponseWriter: w}
		panicked := true
		defer func() {
			if panicked {
				p := recover()
				r.record(req, start, reqBody, cw, true)
				panic(p)
			}
		}()
		next.ServeHTTP(cw, req)
		panicked = false
		r.record(req, start, reqBody, cw, false)
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
	q := &queued{entry: &pay.JournalEntry{
		At: at, Node: ex.Node, RequestID: ex.RequestID, Mchid: ex.Mchid, API: ex.API,
		Method: req.Method, Target: target, Status: status, Code: code,
		Latency:   r.cfg.Now().Sub(start),
		Diagnosis: diagnosis(ex.Diagnosis),
	}, head: Headers(req.Header), req: reqBody, answer: &cw.body}
	if reqBody.buf.Len()+cw.body.buf.Len() > lazyLimit {
		q.mask()
	}
	r.enqueue(q)
}

// lazyLimit is the most raw body bytes, request and answer together, an entry may wait
// in the queue with.
const lazyLimit = 4 << 10

// queued is an entry waiting for the writer, with its bodies still raw until mask.
type queued struct {
	entry       *pay.JournalEntry
	head        string  // the request's shown headers
	req, answer *capped // nil once masked
}

// mask fills in the entry's request and answer from the raw bodies.
func (q *queued) mask() {
	if q.req == nil {
		return
	}
	q.entry.Request = q.head + "\n" + q.req.masked()
	q.entry.Answer = q.answer.masked()
	q.req, q.answer = nil, nil
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
