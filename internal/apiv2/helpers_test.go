package apiv2

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/wechat"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// Merchants of the test store. The direct merchant's appid, mch_id and key are the v2
// docs' own example values.
var (
	direct  = &pay.Merchant{Mchid: "10000100", Kind: pay.KindDirect, Appid: "wxd930ea5d5a258f4f", APIv2Key: "192006250b4c09247ec02edce69f6a2d"}
	partner = &pay.Merchant{Mchid: "1900000100", Kind: pay.KindPartner, Appid: "wx8888888888888888", APIv2Key: "0123456789abcdef0123456789abcdef"}
	sub     = &pay.Merchant{Mchid: "1900000109", Kind: pay.KindSub, SpMchid: "1900000100", Appid: "wx1111111111111111", APIv2Key: "fedcba9876543210fedcba9876543210"}
)

// fixture is a v2 handler over a real SQLite store holding the three merchants.
type fixture struct {
	svc *pay.Service
	api *api
	h   http.Handler
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	store := storetest.NewSQLite(t)
	storetest.Merchants(t, store, direct, partner, sub)
	svc := pay.NewService(store, pay.Simulated{}, pay.NewClock(nil))
	a := newAPI(Config{Service: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &fixture{svc: svc, api: a, h: a.routes()}
}

// pay creates a paid order of m (a direct or sub-merchant).
func (f *fixture) pay(t testing.TB, m *pay.Merchant, total int64, ps ...pay.Promotion) *pay.Order {
	t.Helper()
	tr, err := f.svc.Orders.Create(context.Background(), pay.OrderRequest{Mchid: m.Mchid, Total: total, Promotions: ps})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	return tr
}

// request builds a v2 request the way gopay does: its BodyMap, its XML and its sign.
func request(m *pay.Merchant, params map[string]string) *http.Request {
	bm := make(gopay.BodyMap)
	bm.Set("appid", m.Appid).Set("mch_id", m.Mchid).Set("nonce_str", "ibuaiVcKdpRxkhJA")
	for k, v := range params {
		bm.Set(k, v)
	}
	if bm.GetString("sign") == "" {
		bm.Set("sign", wechat.GetReleaseSign(m.APIv2Key, bm.GetString("sign_type"), bm))
	}
	for k, v := range params {
		if v == "-" { // a parameter the test wants left out
			bm.Remove(k)
		}
	}
	return rawRequest("POST", "/pay/refundquery", wechat.GenerateXml(bm))
}

func rawRequest(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	return r
}

// withCert makes r arrive over TLS with a verified client certificate naming cn.
func withCert(r *http.Request, cn string) *http.Request {
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: cn}}
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}, VerifiedChains: [][]*x509.Certificate{{cert}}}
	return r
}

func onPath(r *http.Request, path string) *http.Request {
	r.URL.Path, r.RequestURI = path, path
	return r
}

// serve runs r through the handler and parses the answer as gopay does, into a BodyMap.
func (f *fixture) serve(t testing.TB, r *http.Request) gopay.BodyMap {
	t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("%s %s: status %d, want 200; body %s", r.Method, r.URL.Path, w.Code, body)
	}
	if strings.Contains(body, "<html") || strings.Contains(body, "<HTML") {
		t.Fatalf("body has <html, which gopay refuses: %s", body)
	}
	bm := make(gopay.BodyMap)
	if err := xml.Unmarshal([]byte(body), &bm); err != nil {
		t.Fatalf("parse answer %s: %v", body, err)
	}
	return bm
}

// mustVerify checks bm's sign with gopay's own VerifySign.
func mustVerify(t testing.TB, m *pay.Merchant, signType string, bm gopay.BodyMap) {
	t.Helper()
	c := make(gopay.BodyMap, len(bm))
	for k, v := range bm {
		c[k] = v
	}
	if ok, err := wechat.VerifySign(m.APIv2Key, signType, c); !ok || err != nil {
		t.Errorf("wechat.VerifySign(%s) = %t, %v; answer %v", signType, ok, err, bm)
	}
}

// wantFail checks a protocol failure: return_code FAIL, the message, and nothing else.
func wantFail(t testing.TB, bm gopay.BodyMap, msg string) {
	t.Helper()
	if bm.GetString("return_code") != "FAIL" || bm.GetString("return_msg") != msg || len(bm) != 2 {
		t.Errorf("answer = %v, want only return_code FAIL and return_msg %q", bm, msg)
	}
}

// wantErrCode checks a business failure, signed with signType.
func wantErrCode(t testing.TB, m *pay.Merchant, signType string, bm gopay.BodyMap, code string) {
	t.Helper()
	if bm.GetString("return_code") != "SUCCESS" || bm.GetString("result_code") != "FAIL" || bm.GetString("err_code") != code {
		t.Errorf("answer = %v, want result_code FAIL err_code %s", bm, code)
	}
	if bm.GetString("err_code_des") == "" || bm.GetString("nonce_str") == "" || bm.GetString("mch_id") != m.Mchid || bm.GetString("appid") != m.Appid {
		t.Errorf("answer = %v, want err_code_des, nonce_str, mch_id %s, appid %s", bm, m.Mchid, m.Appid)
	}
	mustVerify(t, m, signType, bm)
}
