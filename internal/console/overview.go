package console

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/tuikuan/tuikuan/internal/pay"
)

type merchantRow struct {
	*pay.Merchant
	Files []credFile
}

type statusCount struct {
	Status string
	Count  int64
}

type overviewData struct {
	Merchants   []merchantRow
	ServerFiles []credFile
	Journal     bool
	Requests    []*pay.JournalEntry
	Refunds     []statusCount
	Failing     []*pay.Notification
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ms, err := h.svc.Merchants.List(ctx)
	if err != nil {
		return err
	}
	files, err := h.credentialFiles(ctx)
	if err != nil {
		return err
	}
	d := overviewData{Journal: h.journal != nil}
	for _, m := range ms {
		row := merchantRow{Merchant: m}
		for _, f := range files {
			if f.Mchid == m.Mchid {
				row.Files = append(row.Files, f)
			}
		}
		d.Merchants = append(d.Merchants, row)
	}
	for _, f := range files {
		if f.Mchid == "" {
			d.ServerFiles = append(d.ServerFiles, f)
		}
	}
	if h.journal != nil {
		if d.Requests, err = h.journal.Entries(ctx, pay.JournalFilter{Limit: 10}); err != nil {
			return err
		}
	}
	counts, err := h.svc.Refunds.CountByStatus(ctx)
	if err != nil {
		return err
	}
	for s, n := range counts {
		d.Refunds = append(d.Refunds, statusCount{Status: string(s), Count: n})
	}
	slices.SortFunc(d.Refunds, func(a, b statusCount) int { return cmp.Compare(a.Status, b.Status) })
	if d.Failing, err = h.svc.Notifications.Find(ctx, pay.NotificationFilter{Status: pay.NotifyFailed, Limit: 10}); err != nil {
		return err
	}
	return h.render(w, r, "overview", d)
}
