package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// runCLI runs one tuikuan command and returns its standard output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(string) string { return "" }
	if i := slices.Index(args, "--data"); i >= 0 && i+1 < len(args) {
		getenv = envFor(t, args[i+1])
	}
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	return stdout.String(), err
}

// Ensure credentials.json keeps exactly the keys of its contract, and the files it names
// are what the SDKs' loaders accept.
func TestServe_Credentials(t *testing.T) {
	s := startServerIn(t, t.TempDir()) // a first start, not a copy of the template
	raw, err := os.ReadFile(s.path(identity.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(doc), []string{"api_base", "merchants", "platform", "sandbox_token"}; !slices.Equal(got, want) {
		t.Errorf("credentials.json keys = %v, want %v", got, want)
	}
	var ms []map[string]any
	json.Unmarshal(doc["merchants"], &ms)
	wantMerchant := []string{"apiv2_key", "apiv3_key", "appid", "cert_file", "cert_serial", "client_cert_file", "kind", "mchid", "p12_file", "private_key_file", "sp_mchid"}
	kinds := map[string]bool{}
	for _, m := range ms {
		if got := sortedKeys(m); !slices.Equal(got, wantMerchant) {
			t.Errorf("merchant keys = %v, want %v", got, wantMerchant)
		}
		kinds[m["kind"].(string)] = true
	}
	var platform map[string]any
	json.Unmarshal(doc["platform"], &platform)
	if got, want := sortedKeys(platform), []string{"ca_file", "cert_file", "cert_serial", "public_key_file", "public_key_id"}; !slices.Equal(got, want) {
		t.Errorf("platform keys = %v, want %v", got, want)
	}
	if !kinds["direct"] || !kinds["partner"] || !kinds["sub"] {
		t.Errorf("merchant kinds = %v, want direct, partner and sub", kinds)
	}
	if sub := s.merchant(t, "sub"); sub.SpMchid != s.merchant(t, "partner").Mchid {
		t.Errorf("sub merchant's sp_mchid = %q, want the partner", sub.SpMchid)
	}
	if !strings.HasPrefix(s.creds.Platform.PublicKeyID, "PUB_KEY_ID_") {
		t.Errorf("public_key_id = %q", s.creds.Platform.PublicKeyID)
	}
	for _, m := range s.creds.Merchants {
		info, err := os.Stat(s.path(m.PrivateKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", m.PrivateKeyFile, info.Mode().Perm())
		}
		cert, err := os.ReadFile(s.path(m.CertFile))
		if err != nil {
			t.Fatal(err)
		}
		c, err := wxcrypto.ParseCertificate(cert)
		if err != nil || wxcrypto.SerialHex(c) != m.CertSerial {
			t.Errorf("%s: serial of the certificate file != cert_serial %s (%v)", m.CertFile, m.CertSerial, err)
		}
		if len(m.APIv3Key) != 32 || len(m.APIv2Key) != 32 || !strings.HasPrefix(m.Appid, "wx") {
			t.Errorf("merchant %s: apiv3_key %d chars, apiv2_key %d chars, appid %q", m.Mchid, len(m.APIv3Key), len(m.APIv2Key), m.Appid)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Ensure a merchant added from its certificate only can call the API signing with a key
// tuikuan never saw.
func TestMerchantAdd_CertificateOnly(t *testing.T) {
	dir := t.TempDir()
	key, err := wxcrypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	_, certPEM, err := wxcrypto.SelfSign(key, "1900009999", "my shop", time.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := wxcrypto.EncodePrivateKey(key)
	mine := t.TempDir()
	os.WriteFile(filepath.Join(mine, "cert.pem"), certPEM, 0o644)
	os.WriteFile(filepath.Join(mine, "key.pem"), keyPEM, 0o600)

	out, err := runCLI(t, "merchant", "add", "--data", dir, "--kind", "direct", "--mchid", "1900009999", "--cert", filepath.Join(mine, "cert.pem"))
	if err != nil {
		t.Fatalf("merchant add: %v", err)
	}
	if !strings.Contains(out, "1900009999") {
		t.Errorf("merchant add printed %q", out)
	}
	if _, err := runCLI(t, "merchant", "add", "--data", dir, "--kind", "direct", "--mchid", "1900009999"); err == nil {
		t.Error("adding the same mchid twice succeeded")
	}
	if _, err := runCLI(t, "merchant", "add", "--data", dir, "--kind", "sub", "--sp-mchid", "1900009999"); err == nil {
		t.Error("adding a sub merchant of a direct merchant succeeded")
	}

	s := startServerIn(t, dir)
	var m identity.MerchantCredential
	for _, c := range s.creds.Merchants {
		if c.Mchid == "1900009999" {
			m = c
		}
	}
	if m.Mchid == "" || m.PrivateKeyFile != "" {
		t.Fatalf("credentials.json entry = %+v, want the merchant with no private_key_file", m)
	}
	m.PrivateKeyFile, _ = filepath.Rel(dir, filepath.Join(mine, "key.pem"))
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 88})
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	if _, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String("M-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(88), Total: core.Int64(88), Currency: core.String("CNY")},
	}); err != nil {
		t.Fatalf("refund signed with the merchant's own key: %v", err)
	}
}

// Ensure the sandbox commands drive a running server found through credentials.json.
func TestCLI_Sandbox(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	out, err := runCLI(t, "transaction", "create", "--data", s.dir, "--mchid", m.Mchid, "--total", "1000",
		"--promotion", "109519:GLOBAL:COUPON:200", "--out-trade-no", "CLI-ORDER-1")
	if err != nil {
		t.Fatalf("transaction create: %v", err)
	}
	var o paidOrder
	if err := json.Unmarshal([]byte(out), &o); err != nil || o.PayerTotal != 800 || o.OutTradeNo != "CLI-ORDER-1" {
		t.Fatalf("transaction create printed %s (%v)", out, err)
	}
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		OutTradeNo: core.String("CLI-ORDER-1"), OutRefundNo: core.String("CLI-R-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1000), Total: core.Int64(1000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out, err = runCLI(t, "refund", "settle", "--data", s.dir, "--status", "CLOSED", *r.RefundId); err != nil || !strings.Contains(out, `"CLOSED"`) {
		t.Fatalf("refund settle = %s, %v", out, err)
	}
	if _, err = runCLI(t, "refund", "settle", "--data", s.dir, "--status", "SUCCESS", *r.RefundId); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("settling a CLOSED refund to SUCCESS: err = %v, want a 409", err)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("refunded after CLOSED = %d, want 0", got)
	}
	if out, err = runCLI(t, "clock", "--data", s.dir, "--advance", "36h"); err != nil || !strings.Contains(out, `"offset_seconds": 129600`) {
		t.Errorf("clock --advance 36h = %s, %v", out, err)
	}
}

// Ensure the unknown-field rule is strict by default and relaxed with --lenient.
func TestServe_Lenient(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 400},
		{[]string{"--lenient"}, 200},
	} {
		s := startServer(t, tt.args...)
		m := s.merchant(t, "direct")
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 10})
		body := `{"transaction_id":"` + o.TransactionID + `","out_refund_no":"L-1","amount":{"refund":1,"total":10,"currency":"CNY"},"coupon":"x"}`
		resp, err := s.wechatpayClient(t, m).Post(context.Background(), "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds", json.RawMessage(body))
		status := 0
		if err == nil {
			status = resp.Response.StatusCode
			io.Copy(io.Discard, resp.Response.Body)
		} else {
			status = apiError(t, err).StatusCode
		}
		if status != tt.want {
			t.Errorf("serve %v: unknown body field answered %d, want %d", tt.args, status, tt.want)
		}
	}
}

// Ensure the sandbox API answers bad requests with the JSON envelope and the table's
// statuses.
func TestSandbox_Errors(t *testing.T) {
	s := startServer(t)
	sub, partner := s.merchant(t, "sub"), s.merchant(t, "partner")
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 100})
	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
	}{
		{"UnknownMchid", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": "1", "total": 1}, 400, "MCH_NOT_EXISTS"},
		{"PartnerOrder", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": partner.Mchid, "total": 1}, 400, "PARAM_ERROR"},
		{"NoTotal", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": sub.Mchid}, 400, "PARAM_ERROR"},
		{"UnknownField", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": sub.Mchid, "total": 1, "totl": 2}, 400, "PARAM_ERROR"},
		{"BadPayerTotal", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": sub.Mchid, "total": 10, "payer_total": 11}, 400, "PARAM_ERROR"},
		{"BadBankType", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": sub.Mchid, "total": 10, "bank_type": "XYZ_DEBIT"}, 400, "PARAM_ERROR"},
		{"DuplicateOutTradeNo", "POST", "/sandbox/v1/transactions", map[string]any{"mchid": sub.Mchid, "total": 10, "out_trade_no": o.OutTradeNo}, 400, "PARAM_ERROR"},
		{"UnknownOrder", "GET", "/sandbox/v1/transactions/42000", nil, 404, "RESOURCE_NOT_EXISTS"},
		{"UnknownRefund", "POST", "/sandbox/v1/refunds/5030/settle", map[string]any{"status": "SUCCESS"}, 404, "RESOURCE_NOT_EXISTS"},
		{"BadStatus", "POST", "/sandbox/v1/refunds/5030/settle", map[string]any{"status": "DONE"}, 400, "PARAM_ERROR"},
		{"ClockBackwards", "POST", "/sandbox/v1/clock", map[string]any{"advance_seconds": -1}, 400, "PARAM_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e struct{ Code, Message string }
			if st := s.sandbox(t, tt.method, tt.path, tt.body, &e); st != tt.status || e.Code != tt.code || e.Message == "" {
				t.Errorf("%s %s = %d %s %q, want %d %s", tt.method, tt.path, st, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
	t.Run("NoToken", func(t *testing.T) {
		resp, err := (&http.Client{Transport: s.transport}).Get(s.base + "/sandbox/v1/clock")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Code string }
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 401 || e.Code != "UNAUTHORIZED" {
			t.Errorf("GET /sandbox/v1/clock without a token = %d %s, want 401 UNAUTHORIZED", resp.StatusCode, e.Code)
		}
	})
}

// Ensure one port serves plain HTTP and TLS, with a server certificate the data dir's CA
// vouches for, and that a merchant's client certificate pairs with its API key.
func TestServe_TLS(t *testing.T) {
	s := startServer(t)
	caPEM, err := os.ReadFile(s.path(s.creds.Platform.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	m := s.merchant(t, "direct")
	cert, err := tls.LoadX509KeyPair(s.path(m.ClientCertFile), s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatalf("client certificate does not pair with apiclient_key.pem: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(strings.Replace(s.base, "http://", "https://", 1) + "/healthz")
	if err != nil {
		t.Fatalf("GET https /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("GET https /healthz = %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if !s.healthy(s.base) {
		t.Error("plain HTTP stopped answering on the same port")
	}
}

// Ensure adding an mchid that exists fails before it touches the merchant's files: its key
// pair still signs.
func TestMerchantAdd_ExistingKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir)
	m := s.merchant(t, "direct")
	key, _ := os.ReadFile(s.path(m.PrivateKeyFile))
	cert, _ := os.ReadFile(s.path(m.CertFile))
	_, err := runCLI(t, "merchant", "add", "--data", dir, "--kind", "direct", "--mchid", m.Mchid)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("merchant add --mchid %s = %v, want already exists", m.Mchid, err)
	}
	if got, _ := os.ReadFile(s.path(m.PrivateKeyFile)); !bytes.Equal(got, key) {
		t.Errorf("%s changed", m.PrivateKeyFile)
	}
	if got, _ := os.ReadFile(s.path(m.CertFile)); !bytes.Equal(got, cert) {
		t.Errorf("%s changed", m.CertFile)
	}
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	_, _, err = svc.QueryByOutRefundNo(context.Background(), refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("NONE")})
	if ae := apiError(t, err); ae.StatusCode != 404 {
		t.Errorf("query signed with the kept key = %d %s, want 404", ae.StatusCode, ae.Code)
	}
}

// Ensure merchant add checks everything before it writes anything.
func TestMerchantAdd_Invalid(t *testing.T) {
	dir := t.TempDir()
	if _, err := runCLI(t, "merchant", "list", "--data", dir); err != nil {
		t.Fatal(err)
	}
	// Files outside the database: SQLite may touch its own on open.
	files := func() map[string]fileStamp {
		m := fileStamps(t, filepath.Dir(dir))
		for path := range m {
			if strings.HasPrefix(filepath.Base(path), "tuikuan.db") {
				delete(m, path)
			}
		}
		return m
	}
	before := files()
	tests := []struct {
		name string
		args []string
	}{
		{"PathMchid", []string{"--mchid", "../../../x"}},
		{"DotsMchid", []string{"--mchid", ".."}},
		{"ChineseMchid", []string{"--mchid", "商户"}},
		{"SpaceMchid", []string{"--mchid", "has space"}},
		{"ShortMchid", []string{"--mchid", "1234567"}},
		{"LongMchid", []string{"--mchid", "12345678901"}},
		{"LettersMchid", []string{"--mchid", "19000abc09"}},
		{"SubOfNobody", []string{"--kind", "sub", "--sp-mchid", "1900000000", "--mchid", "1900000001"}},
		{"SubBadSp", []string{"--kind", "sub", "--sp-mchid", "../x", "--mchid", "1900000001"}},
		{"ShortKey", []string{"--mchid", "1900000002", "--apiv3-key", "short"}},
		{"KeyNotAlnum", []string{"--mchid", "1900000003", "--apiv2-key", "0123456789abcdef0123456789abcd:e"}},
		{"BadKind", []string{"--kind", "shop", "--mchid", "1900000004"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := runCLI(t, append([]string{"merchant", "add", "--data", dir}, tt.args...)...); err == nil {
				t.Errorf("merchant add %v succeeded", tt.args)
			}
		})
	}
	if diff := cmp.Diff(before, files(), cmp.AllowUnexported(fileStamp{})); diff != "" {
		t.Errorf("failed adds changed files (-before +after):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "merchants", "../../../x")); err == nil {
		t.Errorf("merchant add --mchid ../../../x wrote outside the data dir")
		os.RemoveAll(filepath.Join(dir, "merchants", "../../../x"))
	}
}
