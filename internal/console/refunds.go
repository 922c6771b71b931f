package console

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// refunds lists refunds, newest first, narrowed by status, merchant, number and the
// Beijing dates their create_time falls in.
func (h *handler) refunds(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := pay.RefundFilter{
		Mchid: strings.TrimSpace(q.Get("mchid")), Number: strings.TrimSpace(q.Get("number")),
		Status: pay.Status(q.Get("status")), Limit: pageSize + 1, Offset: listOffset(q),
	}
	var err error
	if f.Begin, err = beijingDay("begin", q.Get("begin"), 0); err != nil {
		return err
	}
	// end is inclusive on the form: the refunds of that whole day are listed.
	if f.End, err = beijingDay("end", q.Get("end"), 1); err != nil {
		return err
	}
	refunds, err := h.svc.Refunds.Find(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list refunds: %w", err)
	}
	counts, err := h.svc.Refunds.CountByStatus(r.Context())
	if err != nil {
		return fmt.Errorf("count refunds: %w", err)
	}
	merchants, err := h.svc.Merchants.List(r.Context())
	if err != nil {
		return fmt.Errorf("list merchants: %w", err)
	}
	refunds, next := trimPage(refunds, f.Offset)
	return h.render(w, r, "refunds", struct {
		Refunds   []*pay.Refund
		Merchants []*pay.Merchant
		Counts    map[pay.Status]int64
		Statuses  []pay.Status
		Filter    pay.RefundFilter
		Begin     string
		End       string
		Pager     pager
	}{refunds, merchants, counts, refundStatuses, f, q.Get("begin"), q.Get("end"), pagerOf(r.URL, f.Offset, next)})
}

var refundStatuses = []pay.Status{pay.StatusProcessing, pay.StatusSuccess, pay.StatusAbnormal, pay.StatusClosed}

// beijingDay reads a yyyy-mm-dd date as the start of that Beijing day plus days; "" is
// the zero time, no bound.
func beijingDay(field, s string, days int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, pay.Beijing)
	if err != nil {
		return time.Time{}, pay.ParamError(field, "日期格式为 yyyy-mm-dd", s)
	}
	return d.AddDate(0, 0, days), nil
}

// refund shows one refund: its fields, its timeline and the buttons that move it.
func (h *handler) refund(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("refund_id")
	found, err := h.svc.Refunds.Find(r.Context(), pay.RefundFilter{Number: id, Limit: 10})
	if err != nil {
		return fmt.Errorf("find refund %s: %w", id, err)
	}
	// Number also matches out_refund_no, which is only unique per merchant.
	i := slices.IndexFunc(found, func(rf *pay.Refund) bool { return rf.ID == id })
	if i < 0 {
		return pay.ErrNotFound
	}
	rf := found[i]
	notes, attempts, err := h.svc.Notifications.OfRefund(r.Context(), id)
	if err != nil {
		return fmt.Errorf("notifications of refund %s: %w", id, err)
	}
	account, name, err := h.svc.Refunds.MaskedBankCard(rf)
	if err != nil {
		return err
	}
	return h.render(w, r, "refund", struct {
		Refund        *pay.Refund
		BankAccount   string
		RealName      string
		Timeline      []event
		Notifications []*pay.Notification
		Targets       []pay.Status
	}{rf, account, name, timeline(rf, notes, attempts), notes, settleTargets(rf)})
}

// settleTargets are the statuses a refund can be settled to from the console: only a
// PROCESSING refund has any; the domain refuses the rest.
func settleTargets(rf *pay.Refund) []pay.Status {
	if rf.Status != pay.StatusProcessing {
		return nil
	}
	return []pay.Status{pay.StatusSuccess, pay.StatusAbnormal, pay.StatusClosed}
}

// event is one line of a refund's timeline: a state change or a delivery attempt.
type event struct {
	At      time.Time
	Kind    string // "state" or "attempt"
	Status  string // the state reached, or the attempt's HTTP status
	Label   string
	Detail  string
	Error   string
	Latency string
	OK      bool
}

// eventStatus is the state a refund notification's event type announces.
var eventStatus = map[string]pay.Status{
	"REFUND.SUCCESS":  pay.StatusSuccess,
	"REFUND.ABNORMAL": pay.StatusAbnormal,
	"REFUND.CLOSED":   pay.StatusClosed,
}

// timeline merges what is known of a refund's life into one list, oldest first. The
// refund keeps only its latest times, so the state changes between come from the
// notifications each change owed, which are written in the same transaction as it.
func timeline(rf *pay.Refund, notes []*pay.Notification, attempts map[string][]*pay.Attempt) []event {
	evs := []event{{At: rf.CreateTime, Kind: "state", Status: string(pay.StatusProcessing), Label: "申请退款 applied",
		Detail: "out_refund_no " + rf.OutRefundNo}}
	reached := map[pay.Status]bool{}
	var abnormalAt time.Time
	for _, n := range notes {
		st, ok := eventStatus[n.EventType]
		if !ok {
			continue
		}
		reached[st] = true
		if st == pay.StatusAbnormal {
			abnormalAt = n.CreateTime
		}
		evs = append(evs, event{At: n.CreateTime, Kind: "state", Status: string(st), Label: "状态变更 status change",
			Detail: n.EventType + " → " + n.URL})
	}
	if rf.AbnormalType != "" {
		// A rescue records no time of its own; it came after the ABNORMAL change and,
		// while the refund is still PROCESSING, it was the refund's last update.
		at := abnormalAt.Add(time.Millisecond)
		if rf.Status == pay.StatusProcessing {
			at = rf.UpdateTime
		}
		evs = append(evs, event{At: at, Kind: "state", Status: string(pay.StatusProcessing), Label: "异常退款处理 abnormal-refund rescue",
			Detail: rf.AbnormalType + " → " + rf.Channel})
	}
	if rf.Status != pay.StatusProcessing && !reached[rf.Status] {
		// No notification was owed (no notify_url): the refund's own time is all there is.
		at := rf.UpdateTime
		if rf.Status == pay.StatusSuccess {
			at = rf.SuccessTime
		}
		evs = append(evs, event{At: at, Kind: "state", Status: string(rf.Status), Label: "状态变更 status change"})
	}
	for _, n := range notes {
		for _, a := range attempts[n.ID] {
			evs = append(evs, event{At: a.At, Kind: "attempt", Status: statusText(a.StatusCode),
				Label:  fmt.Sprintf("通知投递 delivery #%d %s", a.Number, n.EventType),
				Detail: excerpt(a.Response, 200), Error: a.Error, Latency: latency(a.Latency),
				OK: a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == ""})
		}
	}
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.At.UnixNano(), b.At.UnixNano()) })
	return evs
}

// latency shows a delivery's latency in milliseconds; a receiver on the same machine
// answers in well under one, which "0s" would misstate.
func latency(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

func statusText(code int) string {
	if code == 0 {
		return "no answer"
	}
	return fmt.Sprintf("HTTP %d", code)
}

// excerpt cuts s to at most n runes.
func excerpt(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// settleRefund moves a refund to the status its button names, as the channel would.
func (h *handler) settleRefund(r *http.Request) (string, error) {
	id := r.PathValue("refund_id")
	if _, err := h.svc.Refunds.Settle(r.Context(), id, pay.Status(r.PostFormValue("status"))); err != nil {
		return "", err
	}
	return "/console/refunds/" + url.PathEscape(id), nil
}

// resendNotification delivers a notification now, whatever its schedule says.
func (h *handler) resendNotification(r *http.Request) (string, error) {
	if h.notifier == nil {
		return "", fmt.Errorf("resend notification: no deliverer configured")
	}
	if _, _, err := h.notifier.Resend(r.Context(), r.PathValue("id")); err != nil {
		return "", err
	}
	return safeBack(r.PostFormValue("back")), nil
}

// resendButton is what the "resend" template needs: the page's CSRF token is the
// framework's, the page to come back to is the page's own.
type resendButton struct{ ID, CSRF, Back string }

func resendOf(id, csrf, back string) resendButton { return resendButton{id, csrf, back} }

// safeBack is where an action returns to: a console path, never another site.
func safeBack(s string) string {
	if !strings.HasPrefix(s, "/console/") || strings.HasPrefix(s, "//") || strings.Contains(s, `\`) {
		return "/console/refunds"
	}
	return s
}
