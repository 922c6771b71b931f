package fault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// NewShared returns a Registry whose rules and magic-number marks live in store, so that
// every node on the store obeys a rule added through any of them and each use of a rule is
// consumed once, whatever node it fires on. Each decision reads the live rules of its
// API (one indexed read, no write while no rule matches) and consumes a use in one
// Update. A store failure answers SYSTEM_ERROR, or fails a delivery, as it would have
// failed the request anyway.
func NewShared(store pay.Store) *Registry {
	return &Registry{store: store, draws: make(map[int64]*drawState)}
}

// NewOwned is NewShared for a store no other process writes: a SQLite data dir, which
// one server holds (serve.lock). Every change to its rules then goes through this
// Registry, so the live rules it read stay true until it changes them itself, and a
// decision reads them from memory instead of the store: most requests match no rule,
// and reading none from the store cost a tenth of a cheap request's CPU.
func NewOwned(store pay.Store) *Registry {
	g := NewShared(store)
	g.cache = &ruleCache{live: make(map[string][]Rule)}
	return g
}

// ruleCache holds the live rules of each API as last read from the store. gen counts
// the Registry's changes to the rules; a read that raced with one is not kept, so a
// stale list never outlives the change that made it stale.
type ruleCache struct {
	mu   sync.Mutex
	gen  uint64
	live map[string][]Rule
}

func (c *ruleCache) get(api string) ([]Rule, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rules, ok := c.live[api]
	return rules, c.gen, ok
}

func (c *ruleCache) put(api string, gen uint64, rules []Rule) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.live[api] = rules
	}
}

// changed forgets every list: called after each change to the rules in the store,
// whether or not it committed.
func (c *ruleCache) changed() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.live)
}

// update runs fn in a write transaction that changes the rules.
func (g *Registry) update(ctx context.Context, fn func(pay.Tx) error) error {
	defer g.cache.changed()
	return g.store.Update(ctx, fn)
}

// spec is what the store keeps of a rule besides its API and counters.
type spec struct {
	Mchid       string   `json:"mchid,omitempty"`
	OutRefundNo string   `json:"out_refund_no,omitempty"`
	OutTradeNo  string   `json:"out_trade_no,omitempty"`
	Action      Action   `json:"action"`
	Sequence    []Action `json:"sequence,omitempty"`
	Times       int      `json:"times,omitempty"`
	Probability float64  `json:"probability,omitempty"`
	Seed        uint64   `json:"seed,omitempty"`
}

func toStored(r Rule) (*pay.FaultRule, error) {
	b, err := json.Marshal(spec{r.Mchid, r.OutRefundNo, r.OutTradeNo, r.Action, r.Sequence, r.Times, r.Probability, r.Seed})
	if err != nil {
		return nil, err
	}
	return &pay.FaultRule{API: r.API, Spec: string(b), Remaining: r.Remaining}, nil
}

func fromStored(s *pay.FaultRule) (Rule, error) {
	var sp spec
	if err := json.Unmarshal([]byte(s.Spec), &sp); err != nil {
		return Rule{}, fmt.Errorf("fault rule %d: %w", s.ID, err)
	}
	return Rule{
		ID: strconv.FormatInt(s.ID, 10), API: s.API, Mchid: sp.Mchid, OutRefundNo: sp.OutRefundNo, OutTradeNo: sp.OutTradeNo,
		Action: sp.Action, Sequence: sp.Sequence, Times: sp.Times, Probability: sp.Probability, Seed: sp.Seed,
		Fired: s.Fired, Remaining: s.Remaining,
	}, nil
}

func (g *Registry) addShared(r Rule) (Rule, error) {
	ctx := context.Background()
	r.Fired = 0
	r.Remaining = (&entry{Rule: r}).remaining()
	s, err := toStored(r)
	if err != nil {
		return Rule{}, err
	}
	if err := g.update(ctx, func(tx pay.Tx) error { return tx.InsertFaultRule(ctx, s) }); err != nil {
		return Rule{}, fmt.Errorf("add fault rule: %w", err)
	}
	r.ID = strconv.FormatInt(s.ID, 10)
	return r, nil
}

// rulesShared lists the rules of api, live ones only, or every rule when api is "".
func (g *Registry) rulesShared(ctx context.Context, api string) ([]Rule, error) {
	var gen uint64
	if g.cache != nil && api != "" {
		rules, at, ok := g.cache.get(api)
		if ok {
			return rules, nil
		}
		gen = at
	}
	var stored []*pay.FaultRule
	err := g.store.View(ctx, func(tx pay.Tx) error {
		var err error
		stored, err = tx.FaultRules(ctx, api)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fault rules: %w", err)
	}
	out := make([]Rule, len(stored))
	for i, s := range stored {
		if out[i], err = fromStored(s); err != nil {
			return nil, err
		}
	}
	if g.cache != nil && api != "" {
		g.cache.put(api, gen, out)
	}
	return out, nil
}

func (g *Registry) removeShared(id string) error {
	ctx := context.Background()
	n, err := strconv.ParseInt(id, 10, 64)
	if err == nil {
		err = g.update(ctx, func(tx pay.Tx) error { return tx.DeleteFaultRule(ctx, n) })
		if !errors.Is(err, pay.ErrNotFound) {
			return err
		}
	}
	return notExists(id)
}

// fireShared is fire on the store: the first live rule matching q whose use this node
// manages to consume.
func (g *Registry) fireShared(ctx context.Context, q Request) (Action, string, bool, error) {
	rules, err := g.rulesShared(ctx, q.API)
	if err != nil {
		return Action{}, "", false, err
	}
	for _, r := range rules {
		if !(&entry{Rule: r}).matches(q) {
			continue
		}
		id, _ := strconv.ParseInt(r.ID, 10, 64)
		var fired *pay.FaultRule
		err := g.update(ctx, func(tx pay.Tx) error {
			if r.Probability > 0 {
				n, err := tx.DrawFaultRule(ctx, id)
				if err != nil {
					return err
				}
				if g.draw(id, r.Seed, n) >= r.Probability {
					return nil
				}
			}
			var err error
			fired, err = tx.FireFaultRule(ctx, id)
			return err
		})
		switch {
		case errors.Is(err, pay.ErrNotFound) || err == nil && fired == nil:
			continue // spent by another request meanwhile, or the draw missed
		case err != nil:
			return Action{}, "", false, fmt.Errorf("fire fault rule %s: %w", r.ID, err)
		}
		a := r.Action
		if r.Sequence != nil {
			a = r.Sequence[fired.Fired-1]
		}
		return a, "rule " + r.ID, true, nil
	}
	return Action{}, "", false, nil
}

// drawState is where this node is in a probability rule's stream of draws.
type drawState struct {
	rng *rand.Rand
	n   int64
}

// draw is the nth (from 1) number of the generator seeded with seed: the same number
// on every node, so a seeded rule misbehaves alike however requests are spread.
func (g *Registry) draw(id int64, seed uint64, n int64) float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.draws[id]
	if s == nil || s.n >= n {
		s = &drawState{rng: rand.New(rand.NewPCG(seed, seed))}
		g.draws[id] = s
	}
	var v float64
	for ; s.n < n; s.n++ {
		v = s.rng.Float64()
	}
	return v
}

// storeFailure answers a request whose rules could not be read or consumed.
func storeFailure(api string, err error) Decision {
	return decision(Action{Error: pay.CodeSystemError}, api, "fault store failure: "+err.Error())
}
