package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

func testMerchant(t *testing.T, s pay.Store) {
	ctx := t.Context()
	full := newMerchant("1900000109")
	// A merchant added from its certificate only: empty strings and a zero time.
	bare := &pay.Merchant{Mchid: "1900000110", Kind: pay.KindDirect}
	mustWrite(t, s, func(tx pay.Tx) error {
		if err := tx.InsertMerchant(ctx, full); err != nil {
			return err
		}
		return tx.InsertMerchant(ctx, bare)
	})

	for _, want := range []*pay.Merchant{full, bare} {
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, want.Mchid) })
		checkEqual(t, "Merchant("+want.Mchid+")", want, got)
	}
	if got := mustRead(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, bare.Mchid) }); !got.CreateTime.IsZero() {
		t.Errorf("Merchant(%q).CreateTime = %v, want zero", bare.Mchid, got.CreateTime)
	}

	_, err := read(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, "1900000999") })
	checkErr(t, "Merchant(unknown)", err, pay.ErrNotFound)

	dup := newMerchant(full.Mchid)
	dup.Kind = pay.KindPartner
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertMerchant(ctx, dup) })
	checkErr(t, "InsertMerchant(same mchid)", err, pay.ErrDuplicate)
}

func testMerchants(t *testing.T, s pay.Store) {
	ctx := t.Context()
	empty, err := read(t, s, func(tx pay.Tx) ([]*pay.Merchant, error) { return tx.Merchants(ctx) })
	if err != nil || len(empty) != 0 {
		t.Errorf("Merchants() on an empty store = %v, %v; want none, nil", empty, err)
	}

	// Inserted out of order; the list goes by create time, then mchid.
	m3, m1, m2, m0 := newMerchant("1900000003"), newMerchant("1900000001"), newMerchant("1900000002"), newMerchant("1900000000")
	m3.CreateTime = at(time.Second)
	m1.CreateTime = at(2 * time.Second)
	m2.CreateTime = at(time.Second)
	m0.CreateTime = time.Time{}
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, m := range []*pay.Merchant{m3, m1, m2, m0} {
			if err := tx.InsertMerchant(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})

	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.Merchant, error) { return tx.Merchants(ctx) })
	checkEqual(t, "Merchants()", []*pay.Merchant{m0, m2, m3, m1}, got)
}
