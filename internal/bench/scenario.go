package bench

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// refundsPerOrder is the most partial refunds one order takes: the pools refund 1 fen
// at a time from orders of that many fen.
const refundsPerOrder = 50

// setupConc is how many setup calls (orders, settles, the refunds a scenario needs
// before its rounds) run at once.
const setupConc = 8

// Scenario names, as --scenario takes them.
var Scenarios = []string{"apply", "apply-ecommerce", "query", "v2-refundquery", "abnormal", "notify"}

// env is what every scenario works with: the running server and its credentials.
type env struct {
	dir         string
	base        string
	creds       *identity.Credentials
	client      *http.Client
	runID       string
	seq         atomic.Int64
	platformPub *rsa.PublicKey
}

// refundNo is an out_refund_no no other request of any run has used.
func (e *env) refundNo() string {
	return fmt.Sprintf("BK%s%d", e.runID, e.seq.Add(1))
}

func (e *env) merchant(kind string) (identity.MerchantCredential, error) {
	for _, m := range e.creds.Merchants {
		if m.Kind == kind && m.PrivateKeyFile != "" {
			return m, nil
		}
	}
	return identity.MerchantCredential{}, fmt.Errorf("no %s merchant with a key in %s", kind, identity.CredentialsFile)
}

// orders pays n orders of refundsPerOrder fen for mchid and returns their transaction ids.
func (e *env) orders(ctx context.Context, mchid string, n int) ([]string, error) {
	ids := make([]string, n)
	err := each(ctx, n, setupConc, func(i int) error {
		var o struct {
			TransactionID string `json:"transaction_id"`
		}
		if err := e.sandbox(ctx, "POST", "/sandbox/v1/transactions", map[string]any{"mchid": mchid, "total": refundsPerOrder}, &o); err != nil {
			return fmt.Errorf("create order: %w", err)
		}
		ids[i] = o.TransactionID
		return nil
	})
	return ids, err
}

// fakeOrders are transaction ids of the shape of real ones, for the baseline's pools,
// which no server looks up.
func fakeOrders(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "4200000000" + fmt.Sprintf("%018d", i)
	}
	return ids
}

// scenario builds the requests of one kind of call.
type scenario interface {
	// v2 says answers are APIv2 XML rather than APIv3 JSON.
	v2() bool
	// prepare does the setup every round shares, once.
	prepare(ctx context.Context) error
	// pool builds n distinct signed requests; forServer says they go to tuikuan, which
	// needs the orders and refunds they name to exist, rather than to the baseline.
	pool(ctx context.Context, n int, forServer bool) ([]*request, error)
}

func newScenario(e *env, name string) (scenario, error) {
	switch name {
	case "apply":
		m, err := e.merchant("direct")
		if err != nil {
			return nil, err
		}
		s, err := newSigner(e.dir, m)
		return &apply{e: e, s: s, payer: m.Mchid}, err
	case "apply-ecommerce":
		p, err := e.merchant("partner")
		if err != nil {
			return nil, err
		}
		sub, err := e.merchant("sub")
		if err != nil {
			return nil, err
		}
		s, err := newSigner(e.dir, p)
		return &apply{e: e, s: s, payer: sub.Mchid, ecommerce: true, spAppid: p.Appid}, err
	case "query", "v2-refundquery":
		m, err := e.merchant("direct")
		if err != nil {
			return nil, err
		}
		s, err := newSigner(e.dir, m)
		return &query{apply: apply{e: e, s: s, payer: m.Mchid}, m: m, xml: name == "v2-refundquery"}, err
	case "abnormal":
		m, err := e.merchant("direct")
		if err != nil {
			return nil, err
		}
		s, err := newSigner(e.dir, m)
		return &abnormal{apply: apply{e: e, s: s, payer: m.Mchid}}, err
	}
	return nil, fmt.Errorf("unknown scenario %q (want one of %s)", name, strings.Join(Scenarios, ", "))
}

// apply is POST /v3/refund/domestic/refunds, or the e-commerce apply for a partner's
// sub-merchant: 1 fen refunds, refundsPerOrder to an order.
type apply struct {
	e         *env
	s         *signer
	payer     string // whose orders are refunded
	ecommerce bool
	spAppid   string
}

func (a *apply) v2() bool                      { return false }
func (a *apply) prepare(context.Context) error { return nil }

func (a *apply) pool(ctx context.Context, n int, forServer bool) ([]*request, error) {
	norders := (n + refundsPerOrder - 1) / refundsPerOrder
	ids := fakeOrders(norders)
	if forServer {
		var err error
		if ids, err = a.e.orders(ctx, a.payer, norders); err != nil {
			return nil, err
		}
	}
	return buildAll(ctx, n, func(i int) (*request, error) { return a.request(ids[i/refundsPerOrder], "") })
}

// request is the apply of 1 fen of transaction tx; notifyURL may be "".
func (a *apply) request(tx, notifyURL string) (*request, error) {
	body := map[string]any{
		"transaction_id": tx, "out_refund_no": a.e.refundNo(),
		"amount": map[string]any{"refund": 1, "total": refundsPerOrder, "currency": "CNY"},
	}
	if notifyURL != "" {
		body["notify_url"] = notifyURL
	}
	path := "/v3/refund/domestic/refunds"
	if a.ecommerce {
		path = "/v3/ecommerce/refunds/apply"
		body["sub_mchid"], body["sp_appid"] = a.payer, a.spAppid
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return a.s.v3("POST", path, b)
}

// refunds applies for n refunds on tuikuan (setup) and returns them as answered.
func (a *apply) refunds(ctx context.Context, n int, notifyURL func(i int) string) ([]appliedRefund, error) {
	norders := (n + refundsPerOrder - 1) / refundsPerOrder
	ids, err := a.e.orders(ctx, a.payer, norders)
	if err != nil {
		return nil, err
	}
	out := make([]appliedRefund, n)
	err = each(ctx, n, setupConc, func(i int) error {
		url := ""
		if notifyURL != nil {
			url = notifyURL(i)
		}
		r, err := a.request(ids[i/refundsPerOrder], url)
		if err != nil {
			return err
		}
		body, err := a.e.sendOK(ctx, r)
		if err != nil {
			return fmt.Errorf("setup refund: %w", err)
		}
		return json.Unmarshal(body, &out[i])
	})
	return out, err
}

type appliedRefund struct {
	RefundID    string `json:"refund_id"`
	OutRefundNo string `json:"out_refund_no"`
}

// queryRefunds is how many refunds the query scenarios spread their queries over.
const queryRefunds = 100

// query is GET /v3/refund/domestic/refunds/{out_refund_no}, or with xml POST
// /pay/refundquery by out_refund_no signed with MD5, of refunds made once in prepare.
type query struct {
	apply
	m   identity.MerchantCredential
	xml bool
	nos []string
}

func (q *query) v2() bool { return q.xml }

func (q *query) prepare(ctx context.Context) error {
	rs, err := q.refunds(ctx, queryRefunds, nil)
	for _, r := range rs {
		q.nos = append(q.nos, r.OutRefundNo)
	}
	return err
}

func (q *query) pool(ctx context.Context, n int, _ bool) ([]*request, error) {
	return buildAll(ctx, n, func(i int) (*request, error) {
		no := q.nos[i%len(q.nos)]
		if q.xml {
			return q.v2Request(no), nil
		}
		return q.s.v3("GET", "/v3/refund/domestic/refunds/"+no, nil)
	})
}

func (q *query) v2Request(no string) *request {
	params := map[string]string{
		"appid": q.m.Appid, "mch_id": q.m.Mchid, "nonce_str": wxcrypto.Nonce(32),
		"out_refund_no": no, "sign_type": "MD5",
	}
	params["sign"] = wxcrypto.V2Sign(params, q.m.APIv2Key, false)
	var b strings.Builder
	b.WriteString("<xml>")
	for _, k := range []string{"appid", "mch_id", "nonce_str", "out_refund_no", "sign_type", "sign"} {
		fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>", k, params[k], k)
	}
	b.WriteString("</xml>")
	h := http.Header{}
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("User-Agent", "tuikuan-bench")
	return &request{method: "POST", path: "/pay/refundquery", body: []byte(b.String()), header: h}
}

// abnormal is POST …/{refund_id}/apply-abnormal-refund of refunds settled ABNORMAL while
// the pool is built: each refund is rescued once.
type abnormal struct {
	apply
}

func (a *abnormal) pool(ctx context.Context, n int, forServer bool) ([]*request, error) {
	rs := make([]appliedRefund, n)
	if forServer {
		var err error
		if rs, err = a.refunds(ctx, n, nil); err != nil {
			return nil, err
		}
		err = each(ctx, n, setupConc, func(i int) error {
			return a.e.sandbox(ctx, "POST", "/sandbox/v1/refunds/"+rs[i].RefundID+"/settle", map[string]string{"status": "ABNORMAL"}, nil)
		})
		if err != nil {
			return nil, fmt.Errorf("settle ABNORMAL: %w", err)
		}
	} else {
		for i := range rs {
			rs[i] = appliedRefund{RefundID: fmt.Sprintf("503000000000000000%014d", i), OutRefundNo: a.e.refundNo()}
		}
	}
	return buildAll(ctx, n, func(i int) (*request, error) {
		account, err := wxcrypto.EncryptOAEP(a.e.platformPub, "6222020200112233445")
		if err != nil {
			return nil, err
		}
		name, err := wxcrypto.EncryptOAEP(a.e.platformPub, "张小三")
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(map[string]any{
			"out_refund_no": rs[i].OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT",
			"bank_account": account, "real_name": name,
		})
		if err != nil {
			return nil, err
		}
		r, err := a.s.v3("POST", "/v3/refund/domestic/refunds/"+rs[i].RefundID+"/apply-abnormal-refund", b)
		if err == nil {
			// The encrypted fields are under the platform public key this names.
			r.header.Set("Wechatpay-Serial", a.e.creds.Platform.PublicKeyID)
		}
		return r, err
	})
}

func platformKey(dir string, c *identity.Credentials) (*rsa.PublicKey, error) {
	return readPublicKey(filepath.Join(dir, c.Platform.PublicKeyFile))
}
