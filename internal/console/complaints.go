package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// complaintSpan is how far back the complaints page looks: the list API's widest range.
const complaintSpan = 30

// complaints lists the last 30 days' complaints of every merchant. The domain lists a
// merchant's (a partner's: its sub-merchants' too) at a time, so the page asks each
// merchant and drops the complaints a partner's list already had.
func (h *handler) complaints(w http.ResponseWriter, r *http.Request) error {
	merchants, err := h.svc.Merchants.List(r.Context())
	if err != nil {
		return fmt.Errorf("list merchants: %w", err)
	}
	now := h.svc.Time.Clock().Now().In(pay.Beijing)
	begin, end := now.AddDate(0, 0, -complaintSpan+1).Format("2006-01-02"), now.Format("2006-01-02")
	seen := map[string]bool{}
	var all []*pay.Complaint
	for _, m := range merchants {
		for offset := 0; ; offset += 50 {
			cs, total, err := h.svc.Complaints.List(r.Context(), pay.ComplaintQuery{
				Caller: m.Mchid, BeginDate: begin, EndDate: end, Limit: 50, Offset: offset})
			if err != nil {
				return fmt.Errorf("list complaints of %s: %w", m.Mchid, err)
			}
			for _, c := range cs {
				if !seen[c.ID] {
					seen[c.ID] = true
					all = append(all, c)
				}
			}
			if offset+50 >= total || len(cs) == 0 {
				break
			}
		}
	}
	slices.SortStableFunc(all, func(a, b *pay.Complaint) int { return b.CreateTime.Compare(a.CreateTime) })
	return h.render(w, r, "complaints", struct {
		Complaints   []*pay.Complaint
		Begin, End   string
		ProblemTypes []string
	}{all, begin, end, []string{pay.ProblemRefund, pay.ProblemServiceNotWork, pay.ProblemOthers}})
}

// createComplaint files a complaint as the payer of an order would.
func (h *handler) createComplaint(r *http.Request) (string, error) {
	q := pay.ComplaintRequest{
		TransactionID: strings.TrimSpace(r.PostFormValue("transaction_id")),
		ProblemType:   r.PostFormValue("problem_type"),
		Detail:        strings.TrimSpace(r.PostFormValue("complaint_detail")),
	}
	if s := strings.TrimSpace(r.PostFormValue("apply_refund_amount")); s != "" {
		amount, err := parseYuan("apply_refund_amount", s)
		if err != nil {
			return "", err
		}
		q.ApplyRefundAmount = &amount
	}
	c, err := h.svc.Complaints.Create(r.Context(), q)
	if err != nil {
		return "", err
	}
	return complaintPath(c), nil
}

// complaintPath is a complaint's page. The domain reads a complaint as a merchant does,
// so the link carries the merchant that may read it.
func complaintPath(c *pay.Complaint) string {
	return "/console/complaints/" + url.PathEscape(c.ID) + "?mchid=" + url.QueryEscape(complaintReader(c))
}

func complaintReader(c *pay.Complaint) string {
	if c.SpMchid != "" {
		return c.SpMchid
	}
	return c.Mchid
}

// complaint shows a complaint with its negotiation history and its notifications.
func (h *handler) complaint(w http.ResponseWriter, r *http.Request) error {
	id, caller := r.PathValue("complaint_id"), r.URL.Query().Get("mchid")
	c, err := h.svc.Complaints.Query(r.Context(), caller, id)
	if err != nil {
		return err
	}
	// The payer's phone is personal data the console has no use for.
	c.PayerPhone = ""
	logs, _, err := h.svc.Complaints.History(r.Context(), caller, id, 300, 0)
	if err != nil {
		return fmt.Errorf("history of complaint %s: %w", id, err)
	}
	notes, attempts, err := h.svc.Notifications.OfComplaint(r.Context(), id)
	if err != nil {
		return fmt.Errorf("notifications of complaint %s: %w", id, err)
	}
	return h.render(w, r, "complaint", struct {
		Complaint     *pay.Complaint
		Caller        string
		History       []*pay.ComplaintLog
		Notifications []*pay.Notification
		Attempts      map[string][]*pay.Attempt
		Back          string
	}{c, caller, logs, notes, attempts, complaintPath(c)})
}

// complaintMessage writes a message from the user into the negotiation.
func (h *handler) complaintMessage(r *http.Request) (string, error) {
	c, err := h.svc.Complaints.UserMessage(r.Context(), r.PathValue("complaint_id"),
		strings.TrimSpace(r.PostFormValue("content")), nil)
	if err != nil {
		return "", err
	}
	return complaintPath(c), nil
}

// continueComplaint has the user complain again about a processed complaint.
func (h *handler) continueComplaint(r *http.Request) (string, error) {
	c, err := h.svc.Complaints.Continue(r.Context(), r.PathValue("complaint_id"),
		strings.TrimSpace(r.PostFormValue("content")))
	if err != nil {
		return "", err
	}
	return complaintPath(c), nil
}
