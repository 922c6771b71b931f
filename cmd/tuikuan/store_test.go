package main

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// Ensure processes completing a first installation together on one new database, from
// data dirs that share the server key but nothing else (no setup.lock between them),
// make one installation: the store's install lock lets one create it, the rest use it.
func TestOpenData_FirstStartTogether(t *testing.T) {
	requirePostgres(t)
	base := t.TempDir()
	if _, err := identity.LoadOrCreateServerKey(base); err != nil {
		t.Fatal(err)
	}
	db := dbFor(t, base)
	const n = 4
	type result struct {
		keyID, token string
		err          error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			store, p, token, err := openData(context.Background(), dir, db, 0)
			if err != nil {
				results[i].err = err
				return
			}
			store.Close()
			results[i] = result{keyID: p.PublicKeyID, token: token}
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			t.Errorf("process %d: %v", i, r.err)
		} else if r.keyID != results[0].keyID || r.token != results[0].token {
			t.Errorf("process %d: platform key %s, want %s (one installation)", i, r.keyID, results[0].keyID)
		}
	}
}
