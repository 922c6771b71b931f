package console

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// requestsPage is how many journal entries one page of the list shows.
const requestsPage = 50

type requestsData struct {
	Journal bool
	Filter  pay.JournalFilter
	Entries []*pay.JournalEntry
	// Next is the query of the next (older) page, "" on the last: a URL already encoded,
	// which the template must not escape again.
	Next template.URL
}

func (h *handler) requests(w http.ResponseWriter, r *http.Request) error {
	if h.journal == nil {
		return h.render(w, r, "requests", requestsData{})
	}
	q := r.URL.Query()
	f := pay.JournalFilter{Mchid: q.Get("mchid"), Path: q.Get("path"), Code: q.Get("code"), Limit: requestsPage}
	var err error
	if s := q.Get("status"); s != "" {
		if f.Status, err = strconv.Atoi(s); err != nil {
			return pay.Errorf(pay.CodeParamError, "status 应为 HTTP 状态码 status must be an HTTP status code: %q", s)
		}
	}
	if s := q.Get("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil {
			return pay.Errorf(pay.CodeParamError, "before 应为请求编号 before must be a request id: %q", s)
		}
	}
	d := requestsData{Journal: true, Filter: f}
	if d.Entries, err = h.journal.Entries(r.Context(), f); err != nil {
		return err
	}
	if len(d.Entries) == requestsPage {
		q.Set("before", strconv.FormatInt(d.Entries[len(d.Entries)-1].ID, 10))
		d.Next = template.URL(q.Encode())
	}
	return h.render(w, r, "requests", d)
}

type requestData struct {
	Entry *pay.JournalEntry
	// Diagnosis is set for a refused signature whose entry carries one.
	Diagnosis  *jsonapi.Diagnosis
	ServerTime time.Time
}

func (h *handler) request(w http.ResponseWriter, r *http.Request) error {
	if h.journal == nil {
		return pay.ErrNotFound
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return pay.ErrNotFound
	}
	e, err := h.journal.Entry(r.Context(), id)
	if err != nil {
		return err
	}
	d := requestData{Entry: e}
	if e.Code == pay.CodeSignError && e.Diagnosis != "" {
		var dg jsonapi.Diagnosis
		if err := json.Unmarshal([]byte(e.Diagnosis), &dg); err != nil {
			return fmt.Errorf("journal entry %d: diagnosis: %w", id, err)
		}
		d.Diagnosis = &dg
		if dg.ServerTime != 0 {
			d.ServerTime = time.Unix(dg.ServerTime, 0)
		}
	}
	return h.render(w, r, "request", d)
}
