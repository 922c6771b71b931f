package fault

import (
	"testing"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// Ensure a Registry on a store behaves as one in memory: every test of this package runs
// again with its Registries on SQLite, read from the store at each decision (NewShared)
// and from memory (NewOwned).
func TestShared(t *testing.T) {
	t.Run("Shared", func(t *testing.T) { runShared(t, false) })
	t.Run("Owned", func(t *testing.T) { runShared(t, true) })
}

func runShared(t *testing.T, owned bool) {
	sharedTests, ownedTests = true, owned
	t.Cleanup(func() { sharedTests, ownedTests = false, false })
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"Decide_Match", TestDecide_Match},
		{"Decide_Order", TestDecide_Order},
		{"Decide_Error", TestDecide_Error},
		{"Decide_Probability", TestDecide_Probability},
		{"Add_Invalid", TestAdd_Invalid},
		{"Registry_Remove", TestRegistry_Remove},
		{"Decide_Magic", TestDecide_Magic},
		{"Decide_Timeout", TestDecide_Timeout},
		{"NotifyFault", TestNotifyFault},
		{"NotifyFault_V2", TestNotifyFault_V2},
		{"NotifyFault_Payment", TestNotifyFault_Payment},
		{"Registry_Concurrent", TestRegistry_Concurrent},
	} {
		t.Run(tt.name, tt.test)
	}
}

// Ensure two Registries on one store, two nodes, share rules, their counts and the
// magic numbers' marks: a rule with times 3 fires 3 times across both.
func TestShared_TwoNodes(t *testing.T) {
	store := storetest.NewSQLite(t)
	nodes := []*Registry{NewShared(store), NewShared(store)}
	mustAdd(t, nodes[0], Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError}, Times: 3})
	fired := 0
	for i := range 8 {
		if nodes[i%2].Decide(Request{API: endpoint.RefundApply, Mchid: "1"}).Err != nil {
			fired++
		}
	}
	if fired != 3 {
		t.Errorf("rule with times 3 fired %d times across two nodes", fired)
	}
	if got := mustList(t, nodes[1]); len(got) != 1 || got[0].Fired != 3 || got[0].Remaining != 0 {
		t.Errorf("List on node 2 = %+v, want the rule fired 3 times, spent", got)
	}
	q := Request{API: endpoint.RefundApply, Mchid: "1", OutRefundNo: MagicTimeout + "1"}
	if d := nodes[0].Decide(q); !d.DropAfter {
		t.Errorf("first %s request = %+v, want dropped after", MagicTimeout, d)
	}
	if d := nodes[1].Decide(q); d.DropAfter {
		t.Errorf("retry on the other node = %+v, want handled", d)
	}
}

// Ensure an owned Registry sees each change it makes to the rules at its next decision,
// though it no longer reads them from the store for each one.
func TestOwned_SeesItsChanges(t *testing.T) {
	g := NewOwned(storetest.NewSQLite(t))
	q := Request{API: endpoint.RefundApply, Mchid: "1"}
	if d := g.Decide(q); d.Err != nil {
		t.Fatalf("no rule: decision %+v", d)
	}
	r := mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError}, Times: 2})
	if d := g.Decide(q); d.Err == nil {
		t.Fatalf("after Add: decision %+v, want the rule's error", d)
	}
	if err := g.Remove(r.ID); err != nil {
		t.Fatal(err)
	}
	if d := g.Decide(q); d.Err != nil {
		t.Fatalf("after Remove: decision %+v, want none", d)
	}
	mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError}, Times: 1})
	if d := g.Decide(q); d.Err == nil {
		t.Fatalf("after a second Add: decision %+v, want the rule's error", d)
	}
	if d := g.Decide(q); d.Err != nil {
		t.Fatalf("rule of times 1 spent: decision %+v, want none", d)
	}
	mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError}, Times: 5})
	if err := g.Clear(); err != nil {
		t.Fatal(err)
	}
	if d := g.Decide(q); d.Err != nil {
		t.Fatalf("after Clear: decision %+v, want none", d)
	}
}

// BenchmarkDecide measures the decision every API request makes, with no rule and with
// a rule of another API or another merchant, in memory and on SQLite.
func BenchmarkDecide(b *testing.B) {
	q := Request{API: endpoint.RefundApply, Mchid: "1900000109", OutRefundNo: "R1"}
	for _, bb := range []struct {
		name string
		new  func() *Registry
	}{
		{"Memory", New},
		{"SQLite", func() *Registry { return NewShared(storetest.NewSQLite(b)) }},
		{"SQLiteOwned", func() *Registry { return NewOwned(storetest.NewSQLite(b)) }},
	} {
		for _, rules := range []struct {
			name string
			add  []Rule
		}{
			{"NoRule", nil},
			{"OtherAPI", []Rule{{API: endpoint.RefundQuery}}},
			{"OtherMchid", []Rule{{API: endpoint.RefundApply, Mchid: "1900000200"}}},
		} {
			b.Run(bb.name+"/"+rules.name, func(b *testing.B) {
				g := bb.new()
				for _, r := range rules.add {
					r.Action = Action{Error: pay.CodeSystemError}
					if _, err := g.Add(r); err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					if d := g.Decide(q); d.By != "" {
						b.Fatal(d.By)
					}
				}
			})
		}
	}
}
