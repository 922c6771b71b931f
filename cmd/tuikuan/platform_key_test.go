package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// dropSerial sends requests without Wechatpay-Serial, as clients do that were written
// before the 微信支付公钥 existed.
type dropSerial struct{ next http.RoundTripper }

func (d dropSerial) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Del("Wechatpay-Serial")
	return d.next.RoundTrip(req)
}

func (s *testServer) httpClientNoSerial() *http.Client {
	c := s.httpClient()
	c.Transport = dropSerial{c.Transport}
	return c
}

// createRefund refunds 1 fen of a fresh order of m through c and returns the answer's
// Wechatpay-Serial; the SDK has verified the answer's signature when it returns.
func (s *testServer) createRefund(t *testing.T, c *core.Client, m identity.MerchantCredential) string {
	t.Helper()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 10})
	svc := refunddomestic.RefundsApiService{Client: c}
	_, res, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("K")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1), Total: core.Int64(10), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return res.Response.Header.Get("Wechatpay-Serial")
}

// Ensure a request that names no platform key is answered with the key the merchant is
// set to, so that the official SDK in certificate mode verifies it; a request that names
// one is answered with that one whatever the setting.
func TestPlatformKey_AnswerFollowsMode(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	if got := s.patchMerchant(t, m.Mchid, map[string]string{"platform_key_mode": "certificate"}); got.PlatformKeyMode != "certificate" || got.NotifyMode != "certificate" {
		t.Fatalf("PATCH platform_key_mode = %+v, want certificate under both names", got)
	}
	certNoSerial := s.wechatpayCertClientVia(t, m, s.httpClientNoSerial())
	if got := s.createRefund(t, certNoSerial, m); got != s.creds.Platform.CertSerial {
		t.Errorf("certificate mode, no Wechatpay-Serial: answer serial = %q, want %q", got, s.creds.Platform.CertSerial)
	}
	if got := s.createRefund(t, s.wechatpayClient(t, m), m); got != s.creds.Platform.PublicKeyID {
		t.Errorf("certificate mode, request names the public key: answer serial = %q, want %q", got, s.creds.Platform.PublicKeyID)
	}

	s.patchMerchant(t, m.Mchid, map[string]string{"platform_key_mode": "public_key"})
	pubNoSerial := s.wechatpayClientVia(t, m, s.httpClientNoSerial())
	if got := s.createRefund(t, pubNoSerial, m); got != s.creds.Platform.PublicKeyID {
		t.Errorf("public-key mode, no Wechatpay-Serial: answer serial = %q, want %q", got, s.creds.Platform.PublicKeyID)
	}
	if got := s.createRefund(t, s.wechatpayCertClient(t, m), m); got != s.creds.Platform.CertSerial {
		t.Errorf("public-key mode, request names the certificate: answer serial = %q, want %q", got, s.creds.Platform.CertSerial)
	}
}

// Ensure notifications are signed with the key of the merchant's platform_key_mode.
func TestPlatformKey_NotificationFollowsMode(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	tests := []struct {
		mode    string
		handler func(*testing.T, identity.MerchantCredential) *notify.Handler
		serial  string
	}{
		{"certificate", s.certificateHandler, s.creds.Platform.CertSerial},
		{"public_key", s.publicKeyHandler, s.creds.Platform.PublicKeyID},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			s.patchMerchant(t, m.Mchid, map[string]string{"platform_key_mode": tt.mode})
			ep := newNotifyEndpoint(t, tt.handler(t, m))
			id, _ := s.refundFor(t, m, m.Mchid, ep.URL)
			s.settleTo(t, id, "SUCCESS")
			got := ep.next(t, 3*time.Second)
			if got.err != nil || got.serial != tt.serial {
				t.Errorf("notification serial %q, SDK said %v; want %q verified", got.serial, got.err, tt.serial)
			}
		})
	}
}

// Ensure bank_account is opened with the key the request's Wechatpay-Serial names, each
// mode's SDK encrypting with its own key, and that ciphertext made for the other key is
// refused with PARAM_ERROR naming bank_account.
func TestPlatformKey_AbnormalBankAccount(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	pub, err := utils.LoadPublicKeyWithPath(s.path(s.creds.Platform.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := utils.LoadCertificateWithPath(s.path(s.creds.Platform.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	byPublicKey := func(plain string) (string, error) { return utils.EncryptOAEPWithPublicKey(plain, pub) }
	byCertificate := func(plain string) (string, error) { return utils.EncryptOAEPWithCertificate(plain, cert) }
	pubClient, certClient := s.wechatpayClient(t, m), s.wechatpayCertClient(t, m)
	tests := []struct {
		name     string
		client   *core.Client
		account  func(string) (string, error)
		realName func(string) (string, error)
		wantErr  bool
	}{
		{"PublicKey", pubClient, byPublicKey, byPublicKey, false},
		{"Certificate", certClient, byCertificate, byCertificate, false},
		{"PublicKeyClientCertificateCiphertext", pubClient, byCertificate, byPublicKey, true},
		{"CertificateClientPublicKeyCiphertext", certClient, byPublicKey, byCertificate, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.abnormalRefund(t, m, m.Mchid)
			account, err := tt.account(testAccount)
			if err != nil {
				t.Fatal(err)
			}
			realName, err := tt.realName(testName)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.postAbnormal(t, tt.client, *r.RefundId, map[string]any{
				"out_refund_no": *r.OutRefundNo, "type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT",
				"bank_account": account, "real_name": realName,
			})
			if !tt.wantErr {
				if err != nil || *got.Status != refunddomestic.STATUS_PROCESSING {
					t.Fatalf("apply-abnormal-refund = %v, %v; want PROCESSING", got, err)
				}
				return
			}
			ae := apiError(t, err)
			if d, _ := ae.Detail.(map[string]any); ae.StatusCode != 400 || ae.Code != "PARAM_ERROR" || d["field"] != "bank_account" {
				t.Errorf("apply-abnormal-refund = %d %s %v, want 400 PARAM_ERROR on bank_account", ae.StatusCode, ae.Code, ae.Detail)
			}
		})
	}
}

// Ensure a data dir made when one key was both the public key and the certificate's
// gets a second key for the certificate on start: the public key and its file stay as
// they were, the certificate file and /v3/certificates carry the new key, and both
// modes' SDKs verify answers.
func TestPlatformKey_UpgradeFromOneKey(t *testing.T) {
	dir := copyTemplate(t)
	oldCert := makeSingleKey(t, dir)
	pubFile := filepath.Join(dir, identity.PublicKeyFile)
	pubBefore, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	pubInfo, _ := os.Stat(pubFile)
	before, err := identity.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}

	s := startServerIn(t, dir)
	if s.creds.Platform.PublicKeyID != before.Platform.PublicKeyID {
		t.Errorf("public key ID = %q, was %q", s.creds.Platform.PublicKeyID, before.Platform.PublicKeyID)
	}
	if pubAfter, _ := os.ReadFile(pubFile); !bytes.Equal(pubAfter, pubBefore) {
		t.Error("the public key file changed")
	}
	if info, _ := os.Stat(pubFile); !info.ModTime().Equal(pubInfo.ModTime()) {
		t.Error("the unchanged public key file was rewritten")
	}
	cert, err := utils.LoadCertificateWithPath(s.path(s.creds.Platform.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := utils.LoadPublicKeyWithPath(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	if pub.Equal(cert.PublicKey) || cert.Equal(oldCert) {
		t.Error("the platform certificate still certifies the public key")
	}
	if got := wxcrypto.SerialHex(cert); got != s.creds.Platform.CertSerial {
		t.Errorf("credentials.json cert_serial = %q, the certificate file's is %q", s.creds.Platform.CertSerial, got)
	}
	m := s.merchant(t, "direct")
	if got := s.createRefund(t, s.wechatpayCertClient(t, m), m); got != s.creds.Platform.CertSerial {
		t.Errorf("certificate mode: answer serial = %q", got)
	}
	if got := s.createRefund(t, s.wechatpayClient(t, m), m); got != s.creds.Platform.PublicKeyID {
		t.Errorf("public-key mode: answer serial = %q", got)
	}

	s.stop()
	again := startServerIn(t, dir)
	if again.creds.Platform.CertSerial != s.creds.Platform.CertSerial {
		t.Errorf("a second start changed the certificate again: %q, then %q", s.creds.Platform.CertSerial, again.creds.Platform.CertSerial)
	}
}

// makeSingleKey turns dir's store into one written before the certificate had a key of
// its own: the certificate, in the store and in its file, is over the public key, and
// there is no certificate key. It returns that certificate.
func makeSingleKey(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, dir, dbFor(t, dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	var cert *x509.Certificate
	err = store.Update(ctx, func(tx pay.Tx) error {
		keyPEM, err := tx.Setting(ctx, "platform_key_pem")
		if err != nil {
			return err
		}
		key, err := wxcrypto.ParsePrivateKey([]byte(keyPEM))
		if err != nil {
			return err
		}
		var certPEM []byte
		if cert, certPEM, err = wxcrypto.SelfSign(key, "Tenpay.com Root CA (tuikuan sandbox)", "Tenpay.com", time.Now(), 5); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, identity.CertFile), certPEM, 0o644); err != nil {
			return err
		}
		return tx.PutSetting(ctx, "platform_cert_pem", string(certPEM))
	})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	driver, dsn := "sqlite", filepath.Join(dir, "tuikuan.db")
	if u, _ := url.Parse(dbFor(t, dir)); u.Scheme != "" {
		q := u.Query()
		q.Del("pool_max_conns") // the pool's, not the connection's
		u.RawQuery = q.Encode()
		driver, dsn = "pgx", u.String()
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM settings WHERE key = 'platform_cert_key_pem'`); err != nil {
		t.Fatal(err)
	}
	return cert
}
