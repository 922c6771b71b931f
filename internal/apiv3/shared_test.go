package apiv3

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// sharedNode configures a handler the way serve does: nonces and fault rules in the store.
func sharedNode(s *testServer, c *Config) {
	c.Nonces, c.Faults = StoreNonces(s.store), fault.NewShared(s.store)
}

// Ensure two nodes on one store act as one server: a request accepted by one is refused
// as a replay by the other, and a fault rule with times 3 added through one fires exactly
// 3 times over requests that alternate between them.
func TestTwoNodes(t *testing.T) {
	one := startServer(t, false, sharedNode)
	two := one.node(t, sharedNode)
	nodes := []*testServer{one, two}

	ts := strconv.FormatInt(one.clock.Now().Unix(), 10)
	h := one.authorization(t, "GET", "/v3/certificates", ts, wxcrypto.Nonce(32), nil)
	if r := one.do(t, "GET", "/v3/certificates", nil, h); r.status != http.StatusOK {
		t.Fatalf("request on node 1 = %d %s, want 200", r.status, r.body)
	}
	r := two.do(t, "GET", "/v3/certificates", nil, h)
	if e := r.error(t); r.status != http.StatusUnauthorized || e.Detail.Field != "nonce_str" {
		t.Errorf("replay on node 2 = %d %s, want 401 SIGN_ERROR on field nonce_str", r.status, r.body)
	}

	_, err := fault.NewShared(one.store).Add(fault.Rule{API: endpoint.Certificates, Action: fault.Action{Error: pay.CodeSystemError}, Times: 3})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i := range 8 {
		r := nodes[i%2].signed(t, pay.KindDirect, "GET", "/v3/certificates", nil)
		switch r.status {
		case http.StatusInternalServerError:
			failed++
		case http.StatusOK:
		default:
			t.Fatalf("request %d = %d %s", i, r.status, r.body)
		}
	}
	if failed != 3 {
		t.Errorf("rule with times 3 failed %d of 8 requests alternating between two nodes", failed)
	}
}
