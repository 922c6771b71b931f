package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
)

type faultsData struct {
	Rules []fault.Rule
	APIs  []string
	Codes []string
}

func (h *handler) faultList(w http.ResponseWriter, r *http.Request) error {
	rules, err := h.faults.List()
	if err != nil {
		return err
	}
	return h.render(w, r, "faults", faultsData{Rules: rules, APIs: endpoint.All, Codes: fault.Codes})
}

// addFault reads the form into a rule; the registry's Add checks it, as for the
// sandbox API and the CLI.
func (h *handler) addFault(r *http.Request) (string, error) {
	f := r.PostForm
	rule := fault.Rule{
		API: f.Get("api"), Mchid: strings.TrimSpace(f.Get("mchid")),
		OutRefundNo: strings.TrimSpace(f.Get("out_refund_no")), OutTradeNo: strings.TrimSpace(f.Get("out_trade_no")),
		Action: fault.Action{Error: f.Get("error"), Drop: f.Get("drop") != "", DropAfter: f.Get("drop_after") != ""},
	}
	var err error
	if s := strings.TrimSpace(f.Get("latency")); s != "" {
		if rule.Action.Latency, err = time.ParseDuration(s); err != nil {
			return "", pay.ParamError("latency", "应为时长，如 2s A duration such as 2s", s)
		}
	}
	if s := strings.TrimSpace(f.Get("times")); s != "" {
		if rule.Times, err = strconv.Atoi(s); err != nil {
			return "", pay.ParamError("times", "应为整数 A whole number", s)
		}
	}
	if s := strings.TrimSpace(f.Get("probability")); s != "" {
		if rule.Probability, err = strconv.ParseFloat(s, 64); err != nil {
			return "", pay.ParamError("probability", "应为 0 到 1 的小数 A number from 0 to 1", s)
		}
	}
	if s := strings.TrimSpace(f.Get("seed")); s != "" {
		if rule.Seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return "", pay.ParamError("seed", "应为非负整数 A whole number", s)
		}
	}
	if s := strings.TrimSpace(f.Get("sequence")); s != "" {
		if rule.Sequence, err = fault.ParseSequence(s); err != nil {
			return "", pay.ParamError("sequence", err.Error(), s)
		}
	}
	if _, err := h.faults.Add(rule); err != nil {
		return "", err
	}
	return "/console/faults", nil
}

func (h *handler) removeFault(r *http.Request) (string, error) {
	return "/console/faults", h.faults.Remove(r.PathValue("id"))
}

func (h *handler) clearFaults(r *http.Request) (string, error) {
	return "/console/faults", h.faults.Clear()
}

// describe says what an action does, in the CLI's sequence grammar.
func describe(a fault.Action) string {
	var parts []string
	if a.Latency != 0 {
		parts = append(parts, a.Latency.String())
	}
	switch {
	case a.Error != "":
		parts = append(parts, a.Error)
	case a.Drop:
		parts = append(parts, "drop")
	case a.DropAfter:
		parts = append(parts, "drop_after")
	}
	if len(parts) == 0 {
		return "pass"
	}
	return strings.Join(parts, "+")
}

// describeRule is a rule's action or its sequence.
func describeRule(r fault.Rule) string {
	if r.API == endpoint.Notify {
		// A notify rule has no action of its own: it fails deliveries.
		return "fail delivery 投递失败"
	}
	if r.Sequence == nil {
		return describe(r.Action)
	}
	steps := make([]string, len(r.Sequence))
	for i, a := range r.Sequence {
		steps[i] = describe(a)
	}
	return strings.Join(steps, ", ")
}
