package sandbox

import (
	"context"
	"errors"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Notifier delivers a notification now; *notify.Deliverer is one.
type Notifier interface {
	Resend(ctx context.Context, id string) (*pay.Attempt, *pay.Notification, error)
}

// sandboxTime has milliseconds (still RFC3339): with a compressed retry schedule,
// attempts are milliseconds apart.
const sandboxTime = "2006-01-02T15:04:05.000Z07:00"

type notificationJSON struct {
	ID        string `json:"id"`
	EventType string `json:"event_type"`
	URL       string `json:"url"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	// NextAttemptTime is when a PENDING notification is next tried (business time);
	// while a delivery is under way, when it is tried again should that delivery be lost.
	NextAttemptTime string         `json:"next_attempt_time,omitempty"`
	CreateTime      string         `json:"create_time"`
	Deliveries      []deliveryJSON `json:"deliveries"`
}

type deliveryJSON struct {
	Number     int     `json:"number"`
	Time       string  `json:"time"`
	StatusCode int     `json:"status_code"`
	Response   string  `json:"response"`
	LatencyMS  float64 `json:"latency_ms"`
	Error      string  `json:"error"`
}

func notificationView(n *pay.Notification, as []*pay.Attempt) notificationJSON {
	v := notificationJSON{
		ID: n.ID, EventType: n.EventType, URL: n.URL, Status: string(n.Status), Attempts: n.Attempts,
		CreateTime: n.CreateTime.In(pay.Beijing).Format(sandboxTime),
		Deliveries: make([]deliveryJSON, 0, len(as)),
	}
	if n.Status == pay.NotifyPending {
		v.NextAttemptTime = n.NextAttemptAt.In(pay.Beijing).Format(sandboxTime)
	}
	for _, a := range as {
		v.Deliveries = append(v.Deliveries, deliveryView(a))
	}
	return v
}

func deliveryView(a *pay.Attempt) deliveryJSON {
	return deliveryJSON{
		Number: a.Number, Time: a.At.In(pay.Beijing).Format(sandboxTime), StatusCode: a.StatusCode,
		Response: a.Response, LatencyMS: float64(a.Latency.Microseconds()) / 1000, Error: a.Error,
	}
}

// notificationsJSON is a list of notifications, a refund's or a complaint's.
type notificationsJSON struct {
	Data []notificationJSON `json:"data"`
}

// notificationsView renders ns with their attempts (by notification id); err passes
// through so a handler can return notificationsView(h.svc.…(…)).
func notificationsView(ns []*pay.Notification, attempts map[string][]*pay.Attempt, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := notificationsJSON{Data: make([]notificationJSON, 0, len(ns))}
	for _, n := range ns {
		out.Data = append(out.Data, notificationView(n, attempts[n.ID]))
	}
	return out, nil
}

func (h *handler) listNotifications(r *http.Request) (any, error) {
	return notificationsView(h.svc.Notifications.OfRefund(r.Context(), r.PathValue("refund_id")))
}

func (h *handler) listComplaintNotifications(r *http.Request) (any, error) {
	return notificationsView(h.svc.Notifications.OfComplaint(r.Context(), r.PathValue("complaint_id")))
}

// resendJSON is a re-send's answer: the delivery it made and where that left the
// notification.
type resendJSON struct {
	ID              string       `json:"id"`
	Status          string       `json:"status"`
	Attempts        int          `json:"attempts"`
	NextAttemptTime string       `json:"next_attempt_time,omitempty"`
	Delivery        deliveryJSON `json:"delivery"`
}

func (h *handler) resendNotification(r *http.Request) (any, error) {
	if h.notifier == nil {
		return nil, errors.New("resend notification: no deliverer configured")
	}
	a, n, err := h.notifier.Resend(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	v := notificationView(n, nil)
	return resendJSON{ID: n.ID, Status: v.Status, Attempts: v.Attempts, NextAttemptTime: v.NextAttemptTime, Delivery: deliveryView(a)}, nil
}
