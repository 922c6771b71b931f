package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

type clockData struct {
	Now    time.Time
	Offset time.Duration
}

func (h *handler) clock(w http.ResponseWriter, r *http.Request) error {
	c := h.svc.Time.Clock()
	return h.render(w, r, "clock", clockData{Now: c.Now(), Offset: c.Offset()})
}

func (h *handler) advanceClock(r *http.Request) (string, error) {
	s := strings.TrimSpace(r.PostForm.Get("by"))
	d, err := parseDays(s)
	if err != nil {
		return "", pay.ParamError("by", "应为时长，如 90m、36h、7d A duration such as 90m, 36h or 7d", s)
	}
	if _, err := h.svc.Time.Advance(r.Context(), d); err != nil {
		return "", err
	}
	// Refunds whose settlement time the clock jumped past settle now, as through the
	// sandbox API.
	if _, err := h.svc.Refunds.SettleDue(r.Context()); err != nil {
		return "", err
	}
	return "/console/clock", nil
}

// parseDays is time.ParseDuration that also takes whole days ("7d"): refund windows
// and notification schedules are counted in days.
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 3650 {
			return 0, strconv.ErrSyntax
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
