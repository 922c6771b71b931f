package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestFaults checks FaultTx on fresh stores from open.
func TestFaults(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Rules", func(t *testing.T) { testFaultRules(t, open(t)) })
	t.Run("ConcurrentFire", func(t *testing.T) { testConcurrentFire(t, open(t)) })
	t.Run("Marks", func(t *testing.T) { testFaultMarks(t, open(t)) })
}

func insertFaultRule(t *testing.T, s pay.Store, r *pay.FaultRule) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertFaultRule(t.Context(), r) })
}

func testFaultRules(t *testing.T, s pay.Store) {
	ctx := t.Context()
	a := &pay.FaultRule{API: "refund.apply", Spec: `{"error":"SYSTEM_ERROR"}`, Remaining: 2}
	b := &pay.FaultRule{API: "refund.query", Spec: `{}`, Remaining: -1}
	c := &pay.FaultRule{API: "refund.apply", Spec: `{"drop":true}`, Remaining: 1}
	for _, r := range []*pay.FaultRule{a, b, c} {
		insertFaultRule(t, s, r)
	}
	if !(a.ID < b.ID && b.ID < c.ID) {
		t.Fatalf("ids %d, %d, %d: want increasing", a.ID, b.ID, c.ID)
	}
	list := func(api string) []*pay.FaultRule {
		return mustRead(t, s, func(tx pay.Tx) ([]*pay.FaultRule, error) { return tx.FaultRules(ctx, api) })
	}
	checkEqual(t, "FaultRules(all)", []*pay.FaultRule{a, b, c}, list(""))
	checkEqual(t, "FaultRules(refund.apply)", []*pay.FaultRule{a, c}, list("refund.apply"))

	fire := func(id int64) (*pay.FaultRule, error) {
		var r *pay.FaultRule
		err := write(t, s, func(tx pay.Tx) error {
			var err error
			r, err = tx.FireFaultRule(ctx, id)
			return err
		})
		return r, err
	}
	got, err := fire(c.ID)
	if err != nil {
		t.Fatalf("FireFaultRule: %v", err)
	}
	checkEqual(t, "FireFaultRule", &pay.FaultRule{ID: c.ID, API: c.API, Spec: c.Spec, Fired: 1, Remaining: 0}, got)
	_, err = fire(c.ID)
	checkErr(t, "FireFaultRule(spent)", err, pay.ErrNotFound)
	checkEqual(t, "FaultRules(refund.apply) after the last use", []*pay.FaultRule{a}, list("refund.apply"))
	if len(list("")) != 3 {
		t.Errorf("FaultRules(all) lost the spent rule")
	}

	// A rule without end counts its uses and stays live; draws count apart.
	for range 3 {
		if _, err := fire(b.ID); err != nil {
			t.Fatalf("FireFaultRule(no end): %v", err)
		}
	}
	for want := int64(1); want <= 2; want++ {
		var draws int64
		mustWrite(t, s, func(tx pay.Tx) error {
			var err error
			draws, err = tx.DrawFaultRule(ctx, b.ID)
			return err
		})
		if draws != want {
			t.Errorf("DrawFaultRule = %d, want %d", draws, want)
		}
	}
	checkEqual(t, "FaultRules(refund.query)", []*pay.FaultRule{{ID: b.ID, API: b.API, Spec: b.Spec, Fired: 3, Remaining: -1, Draws: 2}}, list("refund.query"))
	checkErr(t, "DrawFaultRule(spent)", write(t, s, func(tx pay.Tx) error {
		_, err := tx.DrawFaultRule(ctx, c.ID)
		return err
	}), pay.ErrNotFound)

	mustWrite(t, s, func(tx pay.Tx) error { return tx.DeleteFaultRule(ctx, a.ID) })
	checkErr(t, "DeleteFaultRule(gone)", write(t, s, func(tx pay.Tx) error { return tx.DeleteFaultRule(ctx, a.ID) }), pay.ErrNotFound)
	_, err = fire(a.ID)
	checkErr(t, "FireFaultRule(gone)", err, pay.ErrNotFound)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.DeleteFaultRules(ctx) })
	if got := list(""); len(got) != 0 {
		t.Errorf("FaultRules after DeleteFaultRules = %d rules", len(got))
	}
	d := &pay.FaultRule{API: "refund.apply", Spec: `{}`, Remaining: 1}
	insertFaultRule(t, s, d)
	if d.ID <= c.ID {
		t.Errorf("id after deleting every rule = %d, want above %d", d.ID, c.ID)
	}
}

// testConcurrentFire races uses of a rule with 3: exactly 3 are consumed.
func testConcurrentFire(t *testing.T, s pay.Store) {
	r := &pay.FaultRule{API: "refund.apply", Spec: `{}`, Remaining: 3}
	insertFaultRule(t, s, r)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Update(t.Context(), func(tx pay.Tx) error {
				_, err := tx.FireFaultRule(t.Context(), r.ID)
				return err
			})
		})
	}
	wg.Wait()
	fired := 0
	for _, err := range errs {
		switch {
		case err == nil:
			fired++
		case !errors.Is(err, pay.ErrNotFound):
			t.Errorf("FireFaultRule = %v, want nil or ErrNotFound", err)
		}
	}
	if fired != 3 {
		t.Errorf("%d of %d concurrent uses of a rule with 3 succeeded", fired, n)
	}
}

func testFaultMarks(t *testing.T, s pay.Store) {
	ctx := t.Context()
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertFaultMark(ctx, "a") })
	checkErr(t, "InsertFaultMark(again)", write(t, s, func(tx pay.Tx) error { return tx.InsertFaultMark(ctx, "a") }), pay.ErrDuplicate)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.DeleteFaultRules(ctx) })
	checkErr(t, "InsertFaultMark(after DeleteFaultRules)", write(t, s, func(tx pay.Tx) error { return tx.InsertFaultMark(ctx, "a") }), pay.ErrDuplicate)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertFaultMark(ctx, "b") })
}
