// Package fault makes tuikuan misbehave on demand the way WeChat Pay does: rules that
// answer a documented error, add latency or drop the connection, and magic out_refund_no /
// out_trade_no prefixes that need no setup. Rules live in memory (New) or in the store
// every node shares (NewShared); a Registry is safe for concurrent use.
package fault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// MaxLatency bounds a rule's latency, so that a typo cannot hang a client for hours.
const MaxLatency = 5 * time.Minute

// Action is what a rule does to a request: wait Latency, then at most one of answer
// Error, Drop the connection before handling, or handle and DropAfter. An Action that
// does none of them lets the request through.
type Action struct {
	Error     string // a documented error code, see Codes
	Latency   time.Duration
	Drop      bool
	DropAfter bool
}

func (a Action) pass() bool { return a == Action{} }

// Rule makes matching requests misbehave. Empty match fields match anything.
type Rule struct {
	ID          string
	API         string // one of endpoint.All
	Mchid       string // the caller or the sub-merchant it acts for
	OutRefundNo string
	OutTradeNo  string

	// Action applies Times times (default once); or with Probability, to that share of
	// matching requests, drawn from a generator seeded with Seed, Times times or without
	// end when Times is 0; or Sequence applies its actions one per matching request, in
	// order, and then the rule is spent.
	Action      Action
	Sequence    []Action
	Times       int
	Probability float64
	Seed        uint64

	// Fired counts the requests the rule acted on; Remaining is how many more it will
	// act on, -1 for no end. Both are set by the Registry.
	Fired     int
	Remaining int
}

// Request is what rules match: an API call, or a notification delivery (endpoint.Notify).
type Request struct {
	API         string
	Mchid       string // the authenticated caller, or the merchant a notification is for
	SubMchid    string
	OutRefundNo string
	OutTradeNo  string
}

// Decision is what to do with one request. The zero Decision handles it normally.
type Decision struct {
	Action
	// Err is the answer to give instead of handling, when Action.Error is set.
	Err error
	// By names what decided: "rule 3" or a magic prefix.
	By string
}

// Registry holds the rules, first match wins, and the state of the magic numbers.
type Registry struct {
	mu     sync.Mutex
	rules  []*entry
	nextID int
	// timedOut remembers the SANDBOX_TIMEOUT_ refunds whose first request was dropped.
	timedOut map[string]bool

	// store, when set, keeps the rules and marks instead (see NewShared); draws are
	// this node's places in its probability rules' streams.
	store pay.Store
	draws map[int64]*drawState
	// cache, when set, keeps the live rules read from store (see NewOwned).
	cache *ruleCache
}

type entry struct {
	Rule
	rng *rand.Rand
}

// New returns an empty Registry in this process's memory.
func New() *Registry {
	return &Registry{timedOut: make(map[string]bool)}
}

// Add checks a rule and appends it; the rule as stored, with its ID, is returned.
func (g *Registry) Add(r Rule) (Rule, error) {
	if err := r.validate(); err != nil {
		return Rule{}, err
	}
	if r.Sequence == nil && r.Times == 0 && r.Probability == 0 {
		r.Times = 1
	}
	if r.Probability > 0 && r.Seed == 0 {
		// A seed is always shown, so that a run that happened to misbehave interestingly
		// can be repeated; it stays below 2^53 to survive JSON numbers.
		r.Seed = rand.Uint64N(1e9) + 1
	}
	if g.store != nil {
		return g.addShared(r)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nextID++
	r.ID = strconv.Itoa(g.nextID)
	r.Fired = 0
	e := &entry{Rule: r}
	if r.Probability > 0 {
		e.rng = rand.New(rand.NewPCG(r.Seed, r.Seed))
	}
	e.Remaining = e.remaining()
	g.rules = append(g.rules, e)
	return e.Rule, nil
}

// List returns the rules, oldest first, spent ones included.
func (g *Registry) List() ([]Rule, error) {
	if g.store != nil {
		return g.rulesShared(context.Background(), "")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Rule, len(g.rules))
	for i, e := range g.rules {
		out[i] = e.Rule
		out[i].Sequence = slices.Clone(e.Sequence)
	}
	return out, nil
}

// Remove deletes rule id.
func (g *Registry) Remove(id string) error {
	if g.store != nil {
		return g.removeShared(id)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, e := range g.rules {
		if e.ID == id {
			g.rules = slices.Delete(g.rules, i, i+1)
			return nil
		}
	}
	return notExists(id)
}

func notExists(id string) error {
	return pay.Errorf(pay.CodeResourceNotExists, "故障规则%s不存在", id)
}

// Clear deletes every rule. The magic numbers' memory stays: a SANDBOX_TIMEOUT_ refund
// already dropped once is not dropped again.
func (g *Registry) Clear() error {
	if g.store != nil {
		ctx := context.Background()
		if err := g.update(ctx, func(tx pay.Tx) error { return tx.DeleteFaultRules(ctx) }); err != nil {
			return fmt.Errorf("clear fault rules: %w", err)
		}
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rules = nil
	return nil
}

// Decide says what to do with an API request: the first live rule that matches it, else
// the magic numbers of refund applies, else nothing.
func (g *Registry) Decide(q Request) Decision {
	if g.store != nil {
		return g.decideShared(q)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if a, by, ok := g.fire(q); ok {
		return decision(a, q.API, by)
	}
	if !isApply(q.API) {
		return Decision{}
	}
	d, _ := g.magic(q, func(key string) (bool, error) {
		first := !g.timedOut[key]
		g.timedOut[key] = true
		return first, nil
	})
	return d
}

func (g *Registry) decideShared(q Request) Decision {
	ctx := context.Background()
	a, by, ok, err := g.fireShared(ctx, q)
	switch {
	case err != nil:
		return storeFailure(q.API, err)
	case ok:
		return decision(a, q.API, by)
	case !isApply(q.API):
		return Decision{}
	}
	d, err := g.magic(q, func(key string) (bool, error) {
		err := g.store.Update(ctx, func(tx pay.Tx) error { return tx.InsertFaultMark(ctx, key) })
		if errors.Is(err, pay.ErrDuplicate) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return storeFailure(q.API, err)
	}
	return d
}

// isApply reports whether api is a refund apply, the only requests magic numbers affect.
func isApply(api string) bool {
	return api == endpoint.RefundApply || api == endpoint.EcommerceApply || api == endpoint.V2Refund
}

// fire finds the first live rule matching q and consumes one of its uses. A probability
// rule whose draw misses does not match this time, so later rules get their turn.
func (g *Registry) fire(q Request) (Action, string, bool) {
	for _, e := range g.rules {
		if e.Remaining == 0 || !e.matches(q) {
			continue
		}
		if e.rng != nil && e.rng.Float64() >= e.Probability {
			continue
		}
		a := e.Action
		if e.Sequence != nil {
			a = e.Sequence[e.Fired]
		}
		e.Fired++
		e.Remaining = e.remaining()
		return a, "rule " + e.ID, true
	}
	return Action{}, "", false
}

func (e *entry) matches(q Request) bool {
	return e.API == q.API &&
		(e.Mchid == "" || e.Mchid == q.Mchid || e.Mchid == q.SubMchid) &&
		(e.OutRefundNo == "" || e.OutRefundNo == q.OutRefundNo) &&
		(e.OutTradeNo == "" || e.OutTradeNo == q.OutTradeNo)
}

func (e *entry) remaining() int {
	switch {
	case e.Sequence != nil:
		return len(e.Sequence) - e.Fired
	case e.Times == 0:
		return -1
	}
	return e.Times - e.Fired
}

func decision(a Action, api, by string) Decision {
	d := Decision{Action: a, By: by}
	if a.Error != "" {
		d.Err = Error(a.Error, api)
	}
	return d
}

// validate checks a rule as the sandbox API received it; errors name the field.
func (r *Rule) validate() error {
	if r.API == "" {
		return pay.ParamError("api", "字段必填", nil)
	}
	if !slices.Contains(endpoint.All, r.API) {
		return pay.ParamError("api", fmt.Sprintf("取值必须是 %v 之一", endpoint.All), r.API)
	}
	switch {
	case r.Times < 0:
		return pay.ParamError("times", "不能为负数", r.Times)
	case r.Probability < 0 || r.Probability > 1:
		return pay.ParamError("probability", "取值范围为 (0, 1]", r.Probability)
	case r.Seed != 0 && r.Probability == 0:
		return pay.ParamError("seed", "仅与 probability 一起使用", r.Seed)
	}
	if r.API == endpoint.Notify {
		// A notify rule has one effect, failing the delivery; the deliverer has no
		// connection to drop and no answer to replace.
		if !r.Action.pass() || r.Sequence != nil {
			return pay.ParamError("api", "notify 规则只让通知投递计为失败，不接受 error、latency_ms、drop、drop_after、sequence", r.API)
		}
		return nil
	}
	if r.Sequence == nil {
		if r.Action.pass() {
			return pay.ParamError("error", "需要 error、latency_ms、drop、drop_after 或 sequence 之一", nil)
		}
		return r.Action.validate("")
	}
	switch {
	case !r.Action.pass():
		return pay.ParamError("sequence", "sequence 与 error、latency_ms、drop、drop_after 不能同时使用", nil)
	case r.Times != 0 || r.Probability != 0:
		return pay.ParamError("sequence", "sequence 与 times、probability 不能同时使用", nil)
	case len(r.Sequence) == 0:
		return pay.ParamError("sequence", "不能为空", nil)
	}
	for i, a := range r.Sequence {
		if err := a.validate(fmt.Sprintf("sequence[%d].", i)); err != nil {
			return err
		}
	}
	return nil
}

func (a Action) validate(prefix string) error {
	n := 0
	for _, set := range []bool{a.Error != "", a.Drop, a.DropAfter} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return pay.ParamError(prefix+"error", "error、drop、drop_after 只能选一个", nil)
	case a.Error != "" && !slices.Contains(Codes, a.Error):
		return pay.ParamError(prefix+"error", fmt.Sprintf("取值必须是 %v 之一", Codes), a.Error)
	case a.Latency < 0 || a.Latency > MaxLatency:
		return pay.ParamError(prefix+"latency_ms", fmt.Sprintf("取值范围为 0 到 %d", MaxLatency.Milliseconds()), a.Latency.Milliseconds())
	}
	return nil
}
