package apiv3

import (
	"crypto/rsa"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// abnormalBody is POST /v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund
// (https://pay.weixin.qq.com/docs/partner/apis/refund/refunds/create-abnormal-refund.html)
// and POST /v3/ecommerce/refunds/{refund_id}/apply-abnormal-refund, whose body is the same
// (https://pay.weixin.qq.com/doc/v3/partner/4015181616). bank_account and real_name
// arrive RSA-OAEP encrypted.
type abnormalBody struct {
	SubMchid    *string `json:"sub_mchid"`
	OutRefundNo *string `json:"out_refund_no"`
	Type        *string `json:"type"`
	BankType    *string `json:"bank_type"`
	BankAccount *string `json:"bank_account"`
	RealName    *string `json:"real_name"`
}

// applyAbnormalRefund serves apply-abnormal-refund for api, answering the refund in that
// family's shape.
func (a *api) applyAbnormalRefund(api pay.API, render func(*pay.Refund) any) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		var b abnormalBody
		if err := a.decode(c, &b); err != nil {
			return nil, err
		}
		q := pay.AbnormalRequest{
			API: api, Caller: c.merchant.Mchid, SubMchid: str(b.SubMchid), RefundID: c.PathValue("refund_id"),
			OutRefundNo: str(b.OutRefundNo), Type: str(b.Type), BankType: str(b.BankType),
		}
		if q.Type == pay.AbnormalUserBankCard {
			var err error
			if q.BankAccount, err = a.decryptField(c, "bank_account", str(b.BankAccount)); err != nil {
				return nil, err
			}
			if q.RealName, err = a.decryptField(c, "real_name", str(b.RealName)); err != nil {
				return nil, err
			}
		}
		r, err := a.svc.Refunds.ApplyAbnormal(c.Context(), q)
		if err != nil {
			return nil, err
		}
		return render(r), nil
	}
}

// decryptField opens a sensitive field encrypted under the platform key that the
// request's Wechatpay-Serial names, the 微信支付公钥 by its ID or the platform
// certificate by its serial; the header declares which key encrypted
// (https://pay.weixin.qq.com/docs/merchant/development/verify-signature-faq/error-http-header-not-wechatpay-serial.html).
// Only the named key is tried: the two are different keys, as in production, so a field
// encrypted under the other fails here as it would there. Neither the ciphertext nor the
// plaintext goes into the error.
func (a *api) decryptField(c *call, field, ciphertext string) (string, error) {
	if ciphertext == "" {
		return "", nil // Validate names the missing field
	}
	serial := strings.TrimSpace(c.Header.Get("Wechatpay-Serial"))
	if serial == "" {
		return "", pay.ParamError(field, "加密敏感字段时请求头Wechatpay-Serial必填：微信支付公钥ID或平台证书序列号", nil)
	}
	key := a.platform.KeyFor(serial)
	if key == nil {
		return "", pay.ParamError(field, "请求头Wechatpay-Serial既不是微信支付公钥ID也不是平台证书序列号："+serial, nil)
	}
	plain, err := wxcrypto.DecryptOAEP(key, ciphertext)
	if err != nil {
		return "", pay.ParamError(field, "解密失败：请使用请求头Wechatpay-Serial所指的"+a.keyName(key)+"以RSA-OAEP(SHA-1)加密", nil)
	}
	return plain, nil
}

// keyName names a platform key as the merchant platform does.
func (a *api) keyName(key *rsa.PrivateKey) string {
	if key == a.platform.CertKey {
		return "平台证书"
	}
	return "微信支付公钥"
}
