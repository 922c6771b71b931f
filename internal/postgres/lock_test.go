package postgres

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Ensure Lock excludes another store on the same database until released, that a wait
// ends with its context, and that Ping answers.
func TestLock(t *testing.T) {
	db := testDB(t)
	a, b := mustOpen(t, db), mustOpen(t, db)
	ctx := t.Context()
	if err := a.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	unlock, err := a.Lock(ctx, "install")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short, "install"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock held elsewhere = %v, want the context's deadline", err)
	}
	if u, err := b.Lock(ctx, "other"); err != nil {
		t.Fatalf("Lock of another name: %v", err)
	} else {
		u()
	}
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(ctx, "install")
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
}
