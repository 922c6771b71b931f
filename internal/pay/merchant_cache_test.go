package pay_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestMerchantCache_Copies keeps Merchant a value a struct copy fully copies: the cache
// hands out copies, and a slice, map or pointer field would be shared by every request.
func TestMerchantCache_Copies(t *testing.T) {
	typ := reflect.TypeFor[pay.Merchant]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		case reflect.Struct:
			if f.Type != reflect.TypeFor[time.Time]() {
				t.Errorf("Merchant.%s is a %s: make merchantCache copy it deeply", f.Name, f.Type)
			}
		default:
			t.Errorf("Merchant.%s is a %s: make merchantCache copy it deeply", f.Name, f.Type)
		}
	}

	svc := newService(t, pay.Simulated{})
	a, err := svc.Merchants.Query(t.Context(), directMchid)
	if err != nil {
		t.Fatal(err)
	}
	a.NotifyURL = "https://changed.example/by-a-caller"
	b, err := svc.Merchants.Query(t.Context(), directMchid)
	if err != nil {
		t.Fatal(err)
	}
	if b.NotifyURL == a.NotifyURL {
		t.Errorf("a caller's change to its merchant reached the next caller")
	}
}

// TestMerchantCache_Invalidation checks what a node sees of a merchant: its own change at
// once, a change behind its back (another node, the CLI) within MerchantTTL, a new
// merchant at once.
func TestMerchantCache_Invalidation(t *testing.T) {
	svc, s := newServiceStore(t, pay.Simulated{})
	ctx := t.Context()
	clock := now0
	pay.SetMerchantClock(svc, func() time.Time { return clock })
	query := func(mchid string) *pay.Merchant {
		t.Helper()
		m, err := svc.Merchants.Query(ctx, mchid)
		if err != nil {
			t.Fatalf("Query(%s): %v", mchid, err)
		}
		return m
	}
	query(directMchid) // cached

	// This node's change: seen by its next request.
	url := "https://merchant.example/a"
	if _, err := svc.Merchants.UpdateSettings(ctx, directMchid, pay.MerchantSettings{NotifyURL: &url}); err != nil {
		t.Fatal(err)
	}
	if got := query(directMchid).NotifyURL; got != url {
		t.Errorf("after UpdateSettings, NotifyURL = %q, want %q", got, url)
	}

	// Another node's change: the cached value until MerchantTTL has passed.
	err := s.Update(ctx, func(tx pay.Tx) error {
		m, err := tx.Merchant(ctx, directMchid)
		if err != nil {
			return err
		}
		m.NotifyURL = "https://merchant.example/b"
		return tx.UpdateMerchant(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(pay.MerchantTTL - time.Millisecond)
	if got := query(directMchid).NotifyURL; got != url {
		t.Errorf("within MerchantTTL, NotifyURL = %q, want the cached %q", got, url)
	}
	clock = clock.Add(time.Millisecond)
	if got := query(directMchid).NotifyURL; got != "https://merchant.example/b" {
		t.Errorf("after MerchantTTL, NotifyURL = %q, want the other node's change", got)
	}

	// A merchant that did not exist is looked for again, and found once added.
	if _, err := svc.Merchants.Query(ctx, "1900009999"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("Query(unknown) = %v, want ErrNotFound", err)
	}
	err = s.Update(ctx, func(tx pay.Tx) error {
		return tx.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900009999", Kind: pay.KindDirect, CertPEM: "dummy",
			CertSerial: "00", APIv3Key: "0123456789abcdef0123456789abcdef", CreateTime: now0})
	})
	if err != nil {
		t.Fatal(err)
	}
	query("1900009999")
}
