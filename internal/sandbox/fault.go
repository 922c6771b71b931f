package sandbox

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// actionJSON is one thing a fault rule does; {"pass":true} (or {}) is a sequence step that
// lets the request through.
type actionJSON struct {
	Error     string `json:"error,omitempty"`
	LatencyMs int64  `json:"latency_ms,omitempty"`
	Drop      bool   `json:"drop,omitempty"`
	DropAfter bool   `json:"drop_after,omitempty"`
	Pass      bool   `json:"pass,omitempty"`
}

// faultBody is POST /sandbox/v1/faults. The action fields are flat, as the CLI's flags.
type faultBody struct {
	API         string       `json:"api"`
	Mchid       string       `json:"mchid"`
	OutRefundNo string       `json:"out_refund_no"`
	OutTradeNo  string       `json:"out_trade_no"`
	Error       string       `json:"error"`
	LatencyMs   int64        `json:"latency_ms"`
	Drop        bool         `json:"drop"`
	DropAfter   bool         `json:"drop_after"`
	Sequence    []actionJSON `json:"sequence"`
	Times       int          `json:"times"`
	Probability float64      `json:"probability"`
	Seed        uint64       `json:"seed"`
}

// faultJSON is a rule as listed: the request's fields, its id, and how it has fared.
type faultJSON struct {
	ID          string       `json:"id"`
	API         string       `json:"api"`
	Mchid       string       `json:"mchid,omitempty"`
	OutRefundNo string       `json:"out_refund_no,omitempty"`
	OutTradeNo  string       `json:"out_trade_no,omitempty"`
	Error       string       `json:"error,omitempty"`
	LatencyMs   int64        `json:"latency_ms,omitempty"`
	Drop        bool         `json:"drop,omitempty"`
	DropAfter   bool         `json:"drop_after,omitempty"`
	Sequence    []actionJSON `json:"sequence,omitempty"`
	Times       int          `json:"times,omitempty"`
	Probability float64      `json:"probability,omitempty"`
	Seed        uint64       `json:"seed,omitempty"`
	Fired       int          `json:"fired"`
	// Remaining is null for a rule without end (a probability without times).
	Remaining *int `json:"remaining"`
}

func (h *handler) addFault(r *http.Request) (any, error) {
	var b faultBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	rule := fault.Rule{
		API: b.API, Mchid: b.Mchid, OutRefundNo: b.OutRefundNo, OutTradeNo: b.OutTradeNo,
		Times: b.Times, Probability: b.Probability, Seed: b.Seed,
	}
	var err error
	if rule.Action, err = b.action().action(""); err != nil {
		return nil, err
	}
	if b.Sequence != nil {
		rule.Sequence = make([]fault.Action, len(b.Sequence))
	}
	for i, s := range b.Sequence {
		if rule.Sequence[i], err = s.action(fmt.Sprintf("sequence[%d].", i)); err != nil {
			return nil, err
		}
	}
	added, err := h.faults.Add(rule)
	if err != nil {
		return nil, err
	}
	return faultView(added), nil
}

func (b faultBody) action() actionJSON {
	return actionJSON{Error: b.Error, LatencyMs: b.LatencyMs, Drop: b.Drop, DropAfter: b.DropAfter}
}

// action converts a step, checking what the Go form cannot tell: latency_ms before it
// is multiplied, and a pass with nothing else.
func (s actionJSON) action(prefix string) (fault.Action, error) {
	if s.LatencyMs < 0 || s.LatencyMs > fault.MaxLatency.Milliseconds() {
		return fault.Action{}, pay.ParamError(prefix+"latency_ms", fmt.Sprintf("取值范围为 0 到 %d", fault.MaxLatency.Milliseconds()), s.LatencyMs)
	}
	a := fault.Action{Error: s.Error, Latency: time.Duration(s.LatencyMs) * time.Millisecond, Drop: s.Drop, DropAfter: s.DropAfter}
	if s.Pass && a != (fault.Action{}) {
		return fault.Action{}, pay.ParamError(prefix+"pass", "pass 步骤不能带其他动作", nil)
	}
	return a, nil
}

func (h *handler) listFaults(r *http.Request) (any, error) {
	rules, err := h.faults.List()
	if err != nil {
		return nil, err
	}
	out := make([]faultJSON, len(rules))
	for i, rule := range rules {
		out[i] = faultView(rule)
	}
	return struct {
		Data []faultJSON `json:"data"`
	}{out}, nil
}

func (h *handler) removeFault(r *http.Request) error {
	return h.faults.Remove(r.PathValue("id"))
}

func (h *handler) clearFaults(r *http.Request) error {
	return h.faults.Clear()
}

// deleted adapts a DELETE handler, which answers 204 with no body.
func (h *handler) deleted(f func(r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(r); err != nil {
			jsonapi.WriteError(w, h.log, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func faultView(r fault.Rule) faultJSON {
	v := faultJSON{
		ID: r.ID, API: r.API, Mchid: r.Mchid, OutRefundNo: r.OutRefundNo, OutTradeNo: r.OutTradeNo,
		Error: r.Action.Error, LatencyMs: r.Action.Latency.Milliseconds(), Drop: r.Action.Drop, DropAfter: r.Action.DropAfter,
		Times: r.Times, Probability: r.Probability, Seed: r.Seed, Fired: r.Fired,
	}
	for _, a := range r.Sequence {
		v.Sequence = append(v.Sequence, actionJSON{
			Error: a.Error, LatencyMs: a.Latency.Milliseconds(), Drop: a.Drop, DropAfter: a.DropAfter,
			Pass: a == fault.Action{},
		})
	}
	if r.Remaining >= 0 {
		n := r.Remaining
		v.Remaining = &n
	}
	return v
}
