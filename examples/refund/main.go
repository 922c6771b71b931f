// Command refund is a WeChat Pay merchant's refund flow, written with the official
// wechatpay-go SDK and pointed at tuikuan: it makes a paid order through tuikuan's sandbox
// API, refunds it (申请退款, https://pay.weixin.qq.com/docs/merchant/apis/refund/refunds/create.html)
// and queries the refund by out_refund_no. Everything it needs comes from the
// credentials.json a running `tuikuan serve` wrote into its data dir:
//
//	go run ./cmd/tuikuan serve
//	go run ./examples/refund -credentials tuikuan-data/credentials.json
//	go run ./examples/refund -kind partner -mode certificate
//
// Against the real service, httpClient would be a plain http.Client and the order would
// come from a payment rather than from pay.
package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/downloader"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// credentials is the part of tuikuan's credentials.json this program reads. Its paths are
// relative to the data dir, the directory credentials.json is in.
type credentials struct {
	APIBase      string `json:"api_base"`
	SandboxToken string `json:"sandbox_token"`
	Platform     struct {
		PublicKeyID   string `json:"public_key_id"`
		PublicKeyFile string `json:"public_key_file"`
		CAFile        string `json:"ca_file"`
	} `json:"platform"`
	Merchants []merchant `json:"merchants"`
}

type merchant struct {
	Mchid          string `json:"mchid"`
	Kind           string `json:"kind"`
	SpMchid        string `json:"sp_mchid"`
	CertSerial     string `json:"cert_serial"`
	PrivateKeyFile string `json:"private_key_file"`
	APIv3Key       string `json:"apiv3_key"`
}

type config struct {
	credentials string
	kind        string // direct or partner
	mode        string // public-key or certificate
	total       int64
	outRefundNo string
}

func main() {
	var c config
	flag.StringVar(&c.credentials, "credentials", defaultCredentials(), "tuikuan's credentials.json")
	flag.StringVar(&c.kind, "kind", "direct", "merchant kind: direct, or partner (refunding for its sub-merchant)")
	flag.StringVar(&c.mode, "mode", "public-key", "how answers are verified: public-key or certificate")
	flag.Int64Var(&c.total, "total", 100, "order total in fen, all of it refunded")
	flag.StringVar(&c.outRefundNo, "out-refund-no", fmt.Sprintf("EXAMPLE%d", time.Now().UnixNano()), "the merchant's refund number")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "refund:", err)
		os.Exit(1)
	}
}

// defaultCredentials follows `tuikuan serve`: its data dir is $TUIKUAN_DATA, else
// ./tuikuan-data.
func defaultCredentials() string {
	dir := os.Getenv("TUIKUAN_DATA")
	if dir == "" {
		dir = "tuikuan-data"
	}
	return filepath.Join(dir, "credentials.json")
}

func run(ctx context.Context, c config, out io.Writer) error {
	creds, err := readCredentials(c.credentials)
	if err != nil {
		return err
	}
	dataDir := filepath.Dir(c.credentials)
	m, sub, err := pick(creds, c.kind)
	if err != nil {
		return err
	}
	hc, err := httpClient(creds.APIBase, filepath.Join(dataDir, creds.Platform.CAFile))
	if err != nil {
		return err
	}
	client, stop, err := newClient(ctx, c.mode, hc, creds, dataDir, m)
	if err != nil {
		return err
	}
	defer stop()

	order, err := pay(ctx, hc, creds, sub, c.total)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "paid order: transaction_id=%s out_trade_no=%s total=%d\n", order.TransactionID, order.OutTradeNo, c.total)
	var subMchid *string
	if sub != m.Mchid {
		subMchid = core.String(sub)
	}
	return refundAndQuery(ctx, out, refunddomestic.RefundsApiService{Client: client}, subMchid, order, c)
}

// refundAndQuery refunds all of order and reads the refund back, as a merchant's code
// does with the real service.
func refundAndQuery(ctx context.Context, out io.Writer, svc refunddomestic.RefundsApiService, subMchid *string, order paidOrder, c config) error {
	r, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
		SubMchid:    subMchid,
		OutTradeNo:  core.String(order.OutTradeNo),
		OutRefundNo: core.String(c.outRefundNo),
		Reason:      core.String("example refund"),
		Amount: &refunddomestic.AmountReq{
			Refund: core.Int64(c.total), Total: core.Int64(c.total), Currency: core.String("CNY"),
		},
	})
	if err != nil {
		return fmt.Errorf("create refund: %w", err)
	}
	printRefund(out, "refund created", r)

	q, _, err := svc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{
		OutRefundNo: core.String(c.outRefundNo), SubMchid: subMchid,
	})
	if err != nil {
		return fmt.Errorf("query refund: %w", err)
	}
	printRefund(out, "refund queried", q)
	return nil
}

func printRefund(out io.Writer, what string, r *refunddomestic.Refund) {
	var amount refunddomestic.Amount
	if r.Amount != nil {
		amount = *r.Amount
	}
	fmt.Fprintf(out, "%s: out_refund_no=%s refund_id=%s status=%s refund=%d\n",
		what, deref(r.OutRefundNo), deref(r.RefundId), deref(r.Status), deref(amount.Refund))
}

// deref reads the SDK's optional fields, every one of them a pointer.
func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func readCredentials(path string) (*credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (start `tuikuan serve` first, or pass -credentials)", err)
	}
	var c credentials
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// pick returns the merchant that calls the refund API and the merchant whose order is
// refunded: the same for a direct merchant; for a partner (服务商), one of its
// sub-merchants, named as sub_mchid in every call.
func pick(c *credentials, kind string) (m merchant, payee string, err error) {
	for _, m := range c.Merchants {
		if m.Kind != kind {
			continue
		}
		if kind == "direct" {
			return m, m.Mchid, nil
		}
		for _, s := range c.Merchants {
			if s.Kind == "sub" && s.SpMchid == m.Mchid {
				return m, s.Mchid, nil
			}
		}
	}
	return merchant{}, "", fmt.Errorf("no %s merchant (with a sub-merchant, for a partner) in credentials.json", kind)
}

// toTuikuan sends the SDK's requests, addressed to https://api.mch.weixin.qq.com, to
// tuikuan instead. wechatpay-go has no base-URL option, but it signs a request before
// the transport sees it, and the signed message names the path and query, never the
// host, so the signature stays valid.
type toTuikuan struct {
	base *url.URL // api_base from credentials.json
	next http.RoundTripper
}

func (t toTuikuan) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, t.base.Host
	return t.next.RoundTrip(r)
}

// httpClient reaches tuikuan at apiBase. Over https (tuikuan serves TLS on the same port)
// its server certificate is issued by tuikuan's own CA, which no system trusts.
func httpClient(apiBase, caFile string) (*http.Client, error) {
	base, err := url.Parse(apiBase)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("api_base %q is not a URL", apiBase)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if base.Scheme == "https" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: toTuikuan{base: base, next: tr}, Timeout: 30 * time.Second}, nil
}

// newClient is the SDK client of merchant m. stop ends the certificate downloader's
// background refresh.
func newClient(ctx context.Context, mode string, hc *http.Client, c *credentials, dataDir string, m merchant) (client *core.Client, stop func(), err error) {
	key, err := utils.LoadPrivateKeyWithPath(filepath.Join(dataDir, m.PrivateKeyFile))
	if err != nil {
		return nil, nil, err
	}
	switch mode {
	case "public-key":
		pub, err := utils.LoadPublicKeyWithPath(filepath.Join(dataDir, c.Platform.PublicKeyFile))
		if err != nil {
			return nil, nil, err
		}
		client, err = core.NewClient(ctx,
			option.WithWechatPayPublicKeyAuthCipher(m.Mchid, m.CertSerial, key, c.Platform.PublicKeyID, pub),
			option.WithHTTPClient(hc))
		return client, func() {}, err
	case "certificate":
		return newCertificateClient(ctx, hc, m, key)
	}
	return nil, nil, fmt.Errorf("unknown -mode %q: public-key or certificate", mode)
}

// newCertificateClient verifies answers with the platform certificates downloaded from
// /v3/certificates (https://pay.weixin.qq.com/docs/merchant/products/platform-certificate/apilist.html).
//
// The SDK's own option.WithWechatPayAutoAuthCipher builds its downloader's client itself,
// without our http.Client, so it would call the real api.mch.weixin.qq.com; the downloader
// is registered here with a client that reaches tuikuan.
func newCertificateClient(ctx context.Context, hc *http.Client, m merchant, key *rsa.PrivateKey) (*core.Client, func(), error) {
	// The downloader's client has no platform certificate to verify the first answer with:
	// that answer is where the certificates come from. WithoutValidator lets it through;
	// the certificates in it are sealed with AEAD_AES_256_GCM under the merchant's APIv3
	// key, which only WeChat Pay shares, and once decrypted the downloader verifies every
	// later download with them.
	plain, err := core.NewClient(ctx, option.WithMerchantCredential(m.Mchid, m.CertSerial, key),
		option.WithoutValidator(), option.WithHTTPClient(hc))
	if err != nil {
		return nil, nil, err
	}
	mgr := downloader.NewCertificateDownloaderMgr(ctx)
	if err := mgr.RegisterDownloaderWithClient(ctx, plain, m.Mchid, m.APIv3Key); err != nil {
		mgr.Stop()
		return nil, nil, fmt.Errorf("download platform certificates: %w", err)
	}
	client, err := core.NewClient(ctx,
		option.WithWechatPayAutoAuthCipherUsingDownloaderMgr(m.Mchid, m.CertSerial, key, mgr),
		option.WithHTTPClient(hc))
	if err != nil {
		mgr.Stop()
		return nil, nil, err
	}
	return client, mgr.Stop, nil
}

// paidOrder is the part of the sandbox's transaction this program uses.
type paidOrder struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
}

// pay plays the payer: the sandbox API makes mchid's order of total fen, already paid. On
// the real service this order would come from a payment.
func pay(ctx context.Context, hc *http.Client, c *credentials, mchid string, total int64) (paidOrder, error) {
	body, _ := json.Marshal(map[string]any{"mchid": mchid, "total": total})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.APIBase+"/sandbox/v1/transactions", bytes.NewReader(body))
	if err != nil {
		return paidOrder{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.SandboxToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return paidOrder{}, fmt.Errorf("sandbox transaction: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return paidOrder{}, fmt.Errorf("sandbox transaction: %s: %s", resp.Status, data)
	}
	var o paidOrder
	if err := json.Unmarshal(data, &o); err != nil || o.OutTradeNo == "" {
		return paidOrder{}, errors.Join(errors.New("sandbox transaction: unexpected answer "+string(data)), err)
	}
	return o, nil
}
