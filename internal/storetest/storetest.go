// Package storetest is the conformance suite for pay.Store: a backend is correct when
// Run passes against it. Every backend runs the same suite so that the domain can rely on
// one behaviour, whatever the database.
package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Run runs the whole suite, one subtest per part of pay.Tx; a new backend can run the
// parts one by one (TestMerchants, TestRefunds, …) while it is being written. open must
// return a new, empty, migrated store for each call and close it through t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) pay.Store) {
	for _, part := range []struct {
		name string
		test func(*testing.T, func(*testing.T) pay.Store)
	}{
		{"Merchants", TestMerchants},
		{"Orders", TestOrders},
		{"Refunds", TestRefunds},
		{"Notifications", TestNotifications},
		{"Settings", TestSettings},
		{"Complaints", TestComplaints},
		{"Coupons", TestCoupons},
		{"AdvanceReturns", TestAdvanceReturns},
		{"Nonces", TestNonces},
		{"Faults", TestFaults},
		{"Transactions", TestTransactions},
		{"Lists", TestLists},
		{"Journal", TestJournal},
	} {
		t.Run(part.name, func(t *testing.T) { part.test(t, open) })
	}
}

// cmpOpts forgive what storage may legitimately change: sub-millisecond precision,
// location and monotonic reading of times, nil versus empty lists, and the spelling of
// JSON kept as json.RawMessage (whitespace, key order: PostgreSQL's jsonb keeps neither).
var cmpOpts = cmp.Options{
	cmpopts.EquateApproxTime(time.Millisecond),
	cmpopts.EquateEmpty(),
	// Both empty is EquateEmpty's case; two comparers on one pair would be ambiguous.
	cmp.FilterValues(func(a, b json.RawMessage) bool { return len(a) > 0 || len(b) > 0 }, cmp.Comparer(equalJSON)),
}

// equalJSON reports whether a and b encode the same value; texts that are not JSON
// must match byte for byte.
func equalJSON(a, b json.RawMessage) bool {
	va, errA := decodeJSON(a)
	vb, errB := decodeJSON(b)
	if errA != nil || errB != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// decodeJSON decodes text keeping numbers as written, so that large integers compare
// exactly.
func decodeJSON(text []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// write runs fn in one Update and returns its error.
func write(t *testing.T, s pay.Store, fn func(tx pay.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), fn)
}

// mustWrite runs fn in one Update and stops the test if it fails.
func mustWrite(t *testing.T, s pay.Store, fn func(tx pay.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// read runs get in one View and returns what it read.
func read[T any](t *testing.T, s pay.Store, get func(tx pay.Tx) (T, error)) (T, error) {
	t.Helper()
	var v T
	err := s.View(t.Context(), func(tx pay.Tx) error {
		var err error
		v, err = get(tx)
		return err
	})
	return v, err
}

// mustRead runs get in one View and stops the test if it fails.
func mustRead[T any](t *testing.T, s pay.Store, get func(tx pay.Tx) (T, error)) T {
	t.Helper()
	v, err := read(t, s, get)
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

// checkErr reports an error unless err matches want.
func checkErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s error = %v, want %v", call, err, want)
	}
}

// checkEqual reports a diff between want and got.
func checkEqual(t *testing.T, call string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", call, diff)
	}
}
