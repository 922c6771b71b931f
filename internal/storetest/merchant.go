package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestMerchants checks MerchantTx, each case on a fresh store from open.
func TestMerchants(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Merchant", func(t *testing.T) { testMerchant(t, open(t)) })
	t.Run("Merchants", func(t *testing.T) { testMerchants(t, open(t)) })
	t.Run("UpdateMerchant", func(t *testing.T) { testUpdateMerchant(t, open(t)) })
}

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

func testUpdateMerchant(t *testing.T, s pay.Store) {
	ctx := t.Context()
	m, _ := seed(t, s, "1900000109", "4200000001", "trade-1")
	other := newMerchant("1900000110")
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertMerchant(ctx, other) })

	changed := *m
	changed.NotifyURL = "https://merchant.example/refund-notify"
	changed.PlatformKeyMode = pay.PlatformKeyCertificate
	changed.RateProfile = pay.RateWechat
	changed.APIv3Key = "abcdef0123456789abcdef0123456789"
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateMerchant(ctx, &changed) })
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, m.Mchid) })
	checkEqual(t, "Merchant after UpdateMerchant", &changed, got)

	// "" resets a setting.
	reset := changed
	reset.NotifyURL, reset.PlatformKeyMode, reset.RateProfile = "", pay.PlatformKeyPublicKey, ""
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateMerchant(ctx, &reset) })
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, m.Mchid) })
	checkEqual(t, "Merchant after resetting its settings", &reset, got)

	untouched := mustRead(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, other.Mchid) })
	checkEqual(t, "other Merchant after UpdateMerchant", other, untouched)

	unknown := newMerchant("1900000999")
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateMerchant(ctx, unknown) })
	checkErr(t, "UpdateMerchant(unknown)", err, pay.ErrNotFound)
}
