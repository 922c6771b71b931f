package fault

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// sharedTests makes newRegistry return Registries on a store (see TestShared), made by
// NewShared or, with ownedTests, by NewOwned.
var sharedTests, ownedTests bool

// newRegistry returns an empty Registry: in memory, or on a fresh SQLite store.
func newRegistry(t *testing.T) *Registry {
	switch {
	case sharedTests && ownedTests:
		return NewOwned(storetest.NewSQLite(t))
	case sharedTests:
		return NewShared(storetest.NewSQLite(t))
	}
	return New()
}

func mustList(t *testing.T, g *Registry) []Rule {
	t.Helper()
	rules, err := g.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return rules
}

func mustAdd(t *testing.T, g *Registry, r Rule) Rule {
	t.Helper()
	added, err := g.Add(r)
	if err != nil {
		t.Fatalf("Add(%+v): %v", r, err)
	}
	return added
}

// Ensure a rule matches on exactly the fields it sets, and the mchid field on either the
// caller or its sub-merchant.
func TestDecide_Match(t *testing.T) {
	q := Request{API: endpoint.RefundApply, Mchid: "1900000100", SubMchid: "1900000109", OutRefundNo: "R1", OutTradeNo: "T1"}
	tests := []struct {
		name string
		rule Rule
		want bool
	}{
		{"API", Rule{API: endpoint.RefundApply}, true},
		{"OtherAPI", Rule{API: endpoint.RefundQuery}, false},
		{"Caller", Rule{API: endpoint.RefundApply, Mchid: "1900000100"}, true},
		{"SubMchid", Rule{API: endpoint.RefundApply, Mchid: "1900000109"}, true},
		{"OtherMchid", Rule{API: endpoint.RefundApply, Mchid: "1900000200"}, false},
		{"OutRefundNo", Rule{API: endpoint.RefundApply, OutRefundNo: "R1"}, true},
		{"OtherOutRefundNo", Rule{API: endpoint.RefundApply, OutRefundNo: "R2"}, false},
		{"OutTradeNo", Rule{API: endpoint.RefundApply, OutTradeNo: "T1"}, true},
		{"OtherOutTradeNo", Rule{API: endpoint.RefundApply, OutTradeNo: "T2"}, false},
		{"All", Rule{API: endpoint.RefundApply, Mchid: "1900000100", OutRefundNo: "R1", OutTradeNo: "T1"}, true},
		{"AllButOne", Rule{API: endpoint.RefundApply, Mchid: "1900000100", OutRefundNo: "R1", OutTradeNo: "T2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRegistry(t)
			tt.rule.Action = Action{Error: pay.CodeSystemError}
			mustAdd(t, g, tt.rule)
			if got := g.Decide(q).Err != nil; got != tt.want {
				t.Errorf("Decide(%+v) with rule %+v fired = %v, want %v", q, tt.rule, got, tt.want)
			}
		})
	}
}

// Ensure the first live rule wins, rules run out after their times, and a sequence plays
// its steps in order before the request passes.
func TestDecide_Order(t *testing.T) {
	g := newRegistry(t)
	q := Request{API: endpoint.RefundApply, Mchid: "1", OutRefundNo: "R1"}
	mustAdd(t, g, Rule{API: endpoint.RefundApply, OutRefundNo: "R1", Sequence: []Action{
		{Error: pay.CodeFrequencyLimited}, {}, {Latency: time.Second}, {DropAfter: true},
	}})
	mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeNotEnough}, Times: 2})

	var got []Decision
	for range 7 {
		d := g.Decide(q)
		d.Err = nil
		got = append(got, d)
	}
	want := []Decision{
		{Action: Action{Error: pay.CodeFrequencyLimited}, By: "rule 1"},
		{By: "rule 1"},
		{Action: Action{Latency: time.Second}, By: "rule 1"},
		{Action: Action{DropAfter: true}, By: "rule 1"},
		{Action: Action{Error: pay.CodeNotEnough}, By: "rule 2"},
		{Action: Action{Error: pay.CodeNotEnough}, By: "rule 2"},
		{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decide sequence mismatch (-want +got):\n%s", diff)
	}
	list := mustList(t, g)
	if list[0].Remaining != 0 || list[0].Fired != 4 || list[1].Remaining != 0 || list[1].Fired != 2 {
		t.Errorf("List = %+v, want both spent", list)
	}
}

// Ensure an error decision carries the documented code and message, with the refund
// rather than the order missing outside applies.
func TestDecide_Error(t *testing.T) {
	g := newRegistry(t)
	mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeNotEnough}})
	mustAdd(t, g, Rule{API: endpoint.RefundQuery, Action: Action{Error: pay.CodeResourceNotExists}})
	tests := []struct {
		api  string
		want *pay.Error
	}{
		{endpoint.RefundApply, &pay.Error{Code: pay.CodeNotEnough, Message: "基本账户余额不足，请充值后重新发起"}},
		{endpoint.RefundQuery, &pay.Error{Code: pay.CodeResourceNotExists, Message: "退款单不存在"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, g.Decide(Request{API: tt.api}).Err); diff != "" {
			t.Errorf("Decide(%s).Err mismatch (-want +got):\n%s", tt.api, diff)
		}
	}
}

// Ensure a probability rule with a seed fires on the same requests every run, misses
// let later rules act, and a rule without a seed is given one.
func TestDecide_Probability(t *testing.T) {
	run := func(seed uint64) []string {
		g := newRegistry(t)
		mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError}, Probability: 0.3, Seed: seed})
		mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Latency: time.Millisecond}, Probability: 1})
		var bys []string
		for range 40 {
			bys = append(bys, g.Decide(Request{API: endpoint.RefundApply}).By)
		}
		return bys
	}
	first := run(7)
	if diff := cmp.Diff(first, run(7)); diff != "" {
		t.Errorf("same seed, different run (-first +second):\n%s", diff)
	}
	fired := 0
	for _, by := range first {
		if by == "rule 1" {
			fired++
		} else if by != "rule 2" {
			t.Fatalf("Decide by %q, want rule 1 or, on a miss, rule 2", by)
		}
	}
	if fired < 4 || fired > 24 {
		t.Errorf("probability 0.3 fired %d times in 40", fired)
	}
	if r := mustAdd(t, newRegistry(t), Rule{API: endpoint.RefundApply, Action: Action{Drop: true}, Probability: 0.5}); r.Seed == 0 || r.Remaining != -1 {
		t.Errorf("Add without seed = seed %d remaining %d, want a seed and no end", r.Seed, r.Remaining)
	}
}

// Ensure Add refuses rules that cannot work, naming the field.
func TestAdd_Invalid(t *testing.T) {
	tests := []struct {
		name  string
		rule  Rule
		field string
	}{
		{"NoAPI", Rule{Action: Action{Drop: true}}, "api"},
		{"UnknownAPI", Rule{API: "refund", Action: Action{Drop: true}}, "api"},
		{"NoAction", Rule{API: endpoint.RefundApply}, "error"},
		{"UnknownCode", Rule{API: endpoint.RefundApply, Action: Action{Error: "TIMEOUT"}}, "error"},
		{"TwoActions", Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError, Drop: true}}, "error"},
		{"LongLatency", Rule{API: endpoint.RefundApply, Action: Action{Latency: time.Hour}}, "latency_ms"},
		{"NegativeTimes", Rule{API: endpoint.RefundApply, Action: Action{Drop: true}, Times: -1}, "times"},
		{"Probability", Rule{API: endpoint.RefundApply, Action: Action{Drop: true}, Probability: 1.5}, "probability"},
		{"SeedAlone", Rule{API: endpoint.RefundApply, Action: Action{Drop: true}, Seed: 3}, "seed"},
		{"SequenceAndAction", Rule{API: endpoint.RefundApply, Action: Action{Drop: true}, Sequence: []Action{{}}}, "sequence"},
		{"SequenceAndTimes", Rule{API: endpoint.RefundApply, Sequence: []Action{{Drop: true}}, Times: 2}, "sequence"},
		{"EmptySequence", Rule{API: endpoint.RefundApply, Sequence: []Action{}}, "sequence"},
		{"BadStep", Rule{API: endpoint.RefundApply, Sequence: []Action{{}, {Error: "NOPE"}}}, "sequence[1].error"},
		{"NotifyAction", Rule{API: endpoint.Notify, Action: Action{Drop: true}}, "api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRegistry(t).Add(tt.rule)
			e, ok := err.(*pay.Error)
			if !ok || e.Code != pay.CodeParamError || e.Field != tt.field {
				t.Errorf("Add(%+v) = %v, want PARAM_ERROR on %s", tt.rule, err, tt.field)
			}
		})
	}
}

// Ensure rules can be listed, removed one by one and cleared.
func TestRegistry_Remove(t *testing.T) {
	g := newRegistry(t)
	a := mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Drop: true}})
	b := mustAdd(t, g, Rule{API: endpoint.Notify, Times: 3})
	if err := g.Remove(a.ID); err != nil {
		t.Fatalf("Remove(%s): %v", a.ID, err)
	}
	if err := g.Remove(a.ID); pay.ErrorCode(err) != pay.CodeResourceNotExists {
		t.Errorf("Remove(%s) twice = %v, want RESOURCE_NOT_EXISTS", a.ID, err)
	}
	if got := mustList(t, g); len(got) != 1 || got[0].ID != b.ID || got[0].Remaining != 3 {
		t.Errorf("List = %+v, want rule %s with 3 remaining", got, b.ID)
	}
	g.Clear()
	if got := mustList(t, g); len(got) != 0 {
		t.Errorf("List after Clear = %+v", got)
	}
}

// Ensure each magic prefix, on out_refund_no or out_trade_no, decides a refund apply of
// either API, and nothing else.
func TestDecide_Magic(t *testing.T) {
	tests := []struct {
		no   string
		want Decision
	}{
		{"SANDBOX_NOT_ENOUGH_1", Decision{Action: Action{Error: pay.CodeNotEnough}, By: MagicNotEnough}},
		{"SANDBOX_ACCOUNT_ABNORMAL_1", Decision{Action: Action{Error: pay.CodeUserAccountAbnormal}, By: MagicUserAccountAbnormal}},
		{"SANDBOX_SYSTEM_ERROR_1", Decision{Action: Action{Error: pay.CodeSystemError}, By: MagicSystemError}},
		{"SANDBOX_FREQUENCY_LIMITED_1", Decision{Action: Action{Error: pay.CodeFrequencyLimited}, By: MagicFrequencyLimited}},
		{"SANDBOX_ABNORMAL_1", Decision{}},
		{"SANDBOX_NOTIFY_FAIL_5_1", Decision{}},
		{"NOT_SANDBOX_NOT_ENOUGH_1", Decision{}},
	}
	ignoreErr := cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Err" }, cmp.Ignore())
	for _, tt := range tests {
		for _, api := range []string{endpoint.RefundApply, endpoint.EcommerceApply} {
			for _, q := range []Request{{API: api, OutRefundNo: tt.no}, {API: api, OutRefundNo: "R", OutTradeNo: tt.no}} {
				d := newRegistry(t).Decide(q)
				if diff := cmp.Diff(tt.want, d, ignoreErr); diff != "" {
					t.Errorf("Decide(%+v) mismatch (-want +got):\n%s", q, diff)
				}
				if (d.Err == nil) != (tt.want.Error == "") || (d.Err != nil && pay.ErrorCode(d.Err) != tt.want.Error) {
					t.Errorf("Decide(%+v).Err = %v, want code %q", q, d.Err, tt.want.Error)
				}
			}
		}
		if d := newRegistry(t).Decide(Request{API: endpoint.RefundQuery, OutRefundNo: tt.no}); d.By != "" {
			t.Errorf("query of %s decided by %q, want nothing", tt.no, d.By)
		}
	}
}

// Ensure a SANDBOX_TIMEOUT_ refund is dropped after handling on its first request only,
// per merchant.
func TestDecide_Timeout(t *testing.T) {
	r := newRegistry(t)
	q := Request{API: endpoint.RefundApply, Mchid: "1", OutRefundNo: "SANDBOX_TIMEOUT_1"}
	if d := r.Decide(q); !d.DropAfter || d.By != MagicTimeout {
		t.Errorf("first Decide(%+v) = %+v, want drop_after", q, d)
	}
	if d := r.Decide(q); d != (Decision{}) {
		t.Errorf("replay Decide(%+v) = %+v, want nothing", q, d)
	}
	other := Request{API: endpoint.RefundApply, Mchid: "2", OutRefundNo: "SANDBOX_TIMEOUT_1"}
	if d := r.Decide(other); !d.DropAfter {
		t.Errorf("another merchant's Decide(%+v) = %+v, want drop_after", other, d)
	}
	order := Request{API: endpoint.RefundApply, Mchid: "1", OutRefundNo: "R2", OutTradeNo: "SANDBOX_TIMEOUT_T"}
	if d := r.Decide(order); !d.DropAfter {
		t.Errorf("first refund of a timeout order Decide(%+v) = %+v, want drop_after", order, d)
	}
}

// Ensure notify rules and SANDBOX_NOTIFY_FAIL_N_ numbers fail deliveries, matching the
// merchant and numbers inside the resource.
// Notifications stored before snapshots are read from their rendered plaintext.
func TestNotifyFault(t *testing.T) {
	t.Run("Snapshot", func(t *testing.T) {
		testNotifyFault(t,
			&pay.Notification{Mchid: "1900000100", Refund: &pay.RefundSnapshot{Mchid: "1900000100", OutTradeNo: "T1", OutRefundNo: "SANDBOX_NOTIFY_FAIL_2_R1"}},
			&pay.Notification{Mchid: "1900000200", Refund: &pay.RefundSnapshot{SpMchid: "1900000200", Mchid: "1900000209", OutTradeNo: "T2", OutRefundNo: "R2"}})
	})
	t.Run("Legacy", func(t *testing.T) {
		testNotifyFault(t,
			&pay.Notification{Mchid: "1900000100", Legacy: `{"mchid":"1900000100","out_trade_no":"T1","out_refund_no":"SANDBOX_NOTIFY_FAIL_2_R1"}`},
			&pay.Notification{Mchid: "1900000200", Legacy: `{"sp_mchid":"1900000200","sub_mchid":"1900000209","out_trade_no":"T2","out_refund_no":"R2"}`})
	})
}

func testNotifyFault(t *testing.T, direct, partner *pay.Notification) {
	r := newRegistry(t)
	for attempts, want := range []bool{true, true, false, false} {
		direct.Attempts = attempts
		if _, failed := r.NotifyFault(direct); failed != want {
			t.Errorf("NotifyFault(SANDBOX_NOTIFY_FAIL_2_, attempts %d) = %v, want %v", attempts, failed, want)
		}
	}
	if _, failed := r.NotifyFault(partner); failed {
		t.Error("NotifyFault(partner) failed with no rule")
	}
	mustAdd(t, r, Rule{API: endpoint.Notify, Mchid: "1900000209", Times: 2})
	var got []bool
	for range 3 {
		_, failed := r.NotifyFault(partner)
		got = append(got, failed)
	}
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("NotifyFault with a 2-times rule on the sub-merchant (-want +got):\n%s", diff)
	}
	mustAdd(t, r, Rule{API: endpoint.Notify, OutTradeNo: "T1"})
	direct.Attempts = 9
	if reason, failed := r.NotifyFault(direct); !failed || reason != "fault rule 2" {
		t.Errorf("NotifyFault(out_trade_no rule) = %q %v, want fault rule 2", reason, failed)
	}
	if d := r.Decide(Request{API: endpoint.RefundApply, OutTradeNo: "T1"}); d.By != "" {
		t.Errorf("a notify rule decided an apply: %+v", d)
	}
}

// Ensure v2 notifications, whose numbers sit under req_info, match like v3 ones.
// A v2 notification stored before snapshots keeps them there.
func TestNotifyFault_V2(t *testing.T) {
	t.Run("Snapshot", func(t *testing.T) {
		testNotifyFaultV2(t, &pay.Notification{Mchid: "1900000200", Protocol: pay.ProtocolV2,
			Refund: &pay.RefundSnapshot{SpMchid: "1900000200", Mchid: "1900000209", OutRefundNo: "SANDBOX_NOTIFY_FAIL_1_R", OutTradeNo: "T9"}})
	})
	t.Run("Legacy", func(t *testing.T) {
		testNotifyFaultV2(t, &pay.Notification{Mchid: "1900000200", Protocol: pay.ProtocolV2,
			Legacy: `{"appid":"wx1","mch_id":"1900000200","sub_mch_id":"1900000209","req_info":{"out_refund_no":"SANDBOX_NOTIFY_FAIL_1_R","out_trade_no":"T9"}}`})
	})
}

// Ensure payment notifications, of either protocol, match by the order's out_trade_no and
// merchant, magic numbers included.
func TestNotifyFault_Payment(t *testing.T) {
	for _, protocol := range []string{pay.ProtocolV3, pay.ProtocolV2} {
		n := &pay.Notification{Mchid: "1900000200", Protocol: protocol,
			Order: &pay.OrderSnapshot{SpMchid: "1900000200", Mchid: "1900000209", OutTradeNo: "SANDBOX_NOTIFY_FAIL_1_T9"}}
		r := newRegistry(t)
		if _, failed := r.NotifyFault(n); !failed {
			t.Errorf("%q: first delivery of SANDBOX_NOTIFY_FAIL_1_ passed, want failed", protocol)
		}
		n.Attempts = 1
		if _, failed := r.NotifyFault(n); failed {
			t.Errorf("%q: second delivery of SANDBOX_NOTIFY_FAIL_1_ failed", protocol)
		}
		mustAdd(t, r, Rule{API: endpoint.Notify, Mchid: "1900000209", OutTradeNo: "SANDBOX_NOTIFY_FAIL_1_T9"})
		if _, failed := r.NotifyFault(n); !failed {
			t.Errorf("%q: rule on the sub-merchant and out_trade_no passed, want failed", protocol)
		}
	}
}

func testNotifyFaultV2(t *testing.T, n *pay.Notification) {
	r := newRegistry(t)
	if _, failed := r.NotifyFault(n); !failed {
		t.Error("NotifyFault(v2 SANDBOX_NOTIFY_FAIL_1_, first delivery) passed, want failed")
	}
	n.Attempts = 1
	if _, failed := r.NotifyFault(n); failed {
		t.Error("NotifyFault(v2 SANDBOX_NOTIFY_FAIL_1_, second delivery) failed")
	}
	mustAdd(t, r, Rule{API: endpoint.Notify, Mchid: "1900000209", OutTradeNo: "T9"})
	if _, failed := r.NotifyFault(n); !failed {
		t.Error("NotifyFault(v2, rule on sub_mch_id and out_trade_no) passed, want failed")
	}
}

// Ensure a Registry used from many goroutines at once fires a rule exactly its times.
func TestRegistry_Concurrent(t *testing.T) {
	g := newRegistry(t)
	mustAdd(t, g, Rule{API: endpoint.RefundApply, Action: Action{Error: pay.CodeSystemError}, Times: 50})
	fired := make(chan bool, 400)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				fired <- g.Decide(Request{API: endpoint.RefundApply}).Err != nil
				g.NotifyFault(&pay.Notification{Legacy: "{}"})
				g.List()
			}
		}()
	}
	wg.Wait()
	close(fired)
	n := 0
	for f := range fired {
		if f {
			n++
		}
	}
	if n != 50 {
		t.Errorf("rule with times 50 fired %d times under concurrency", n)
	}
}
