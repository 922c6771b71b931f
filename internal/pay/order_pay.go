package pay

import (
	"context"
	"crypto/rsa"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// validate checks q on its own: exactly one way to name the order, a known outcome and
// bank type.
func (q *PayRequest) validate() error {
	named := 0
	for _, v := range []string{q.PrepayID, q.CodeURL, q.H5URL, q.Mchid + q.OutTradeNo} {
		if v != "" {
			named++
		}
	}
	if named != 1 || (q.Mchid == "") != (q.OutTradeNo == "") {
		return Errorf(CodeParamError, "须且只能以prepay_id、code_url、h5_url、mchid与out_trade_no之一指定订单")
	}
	if err := oneOf("outcome", string(q.Outcome), string(TradeSuccess), string(TradePayError), string(TradeUserPaying)); err != nil {
		return err
	}
	if q.BankType != "" && q.BankType != "OTHERS" && BankCardName(q.BankType) == "" {
		return ParamError("bank_type", "不支持的银行类型，例如 OTHERS、CMB_CREDIT、ICBC_DEBIT", q.BankType)
	}
	return maxBytes("openid", q.Openid, 128)
}

// checkPayer checks that q's payer may pay o: a JSAPI order only by the payer it names,
// and a paySign, when sent, signed by the merchant for this very order. A payer left
// unnamed gets an openid of its own.
func (s *Orders) checkPayer(ctx context.Context, tx Tx, o *Order, q PayRequest) error {
	named := firstNonEmpty(o.PayerOpenid, o.SubOpenid, o.SpOpenid)
	switch {
	case named != "" && q.Openid != "" && q.Openid != named:
		return ParamError("openid", "该订单只能由下单时指定的用户（payer）支付", q.Openid)
	case named == "" && o.SpMchid == "":
		o.PayerOpenid = firstNonEmpty(q.Openid, newOpenid())
	case named == "":
		o.SpOpenid = firstNonEmpty(q.Openid, newOpenid())
	}
	if q.PaySign == nil {
		return nil
	}
	signer := firstNonEmpty(o.SpMchid, o.Mchid)
	m, err := tx.Merchant(ctx, signer)
	if err != nil {
		return fmt.Errorf("find merchant %s: %w", signer, err)
	}
	return checkPaySign(o, m, q.PaySign)
}

// checkPaySign verifies what a merchant's client hands the WeChat app to pay o: RSA-SHA256
// by the merchant's API certificate key over appId, timeStamp, nonceStr and package, each
// followed by "\n" (JSAPI调起支付, https://pay.weixin.qq.com/docs/merchant/apis/combine-payment-identity/orders/jsapi-transfer-payment.html;
// for a partner, appId "若下单时候传了sub_appid，须为sub_appid的值",
// https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter4_5_4.shtml), or, for APP
// (APP调起支付), over appid, timestamp, noncestr and prepayid. A field naming another order
// or app is PARAM_ERROR; a signature that does not verify is SIGN_ERROR.
func checkPaySign(o *Order, m *Merchant, p *PaySign) error {
	var message string
	switch o.TradeType {
	case TradeJSAPI:
		if p.Package != "prepay_id="+o.PrepayID {
			return ParamError("package", "必须是 prepay_id=<本订单的prepay_id>", p.Package)
		}
		if p.SignType != "" && p.SignType != "RSA" {
			return ParamError("signType", "APIv3调起支付的signType固定为RSA", p.SignType)
		}
		message = p.AppID + "\n" + p.TimeStamp + "\n" + p.NonceStr + "\n" + p.Package + "\n"
	case TradeApp:
		if p.Package != "" && p.Package != "Sign=WXPay" {
			return ParamError("package", "APP调起支付的package固定为Sign=WXPay", p.Package)
		}
		if p.AppID == "" { // wechatpay-go's APP answer has no appid: the app adds its own
			p.AppID = o.Appid
		}
		message = p.AppID + "\n" + p.TimeStamp + "\n" + p.NonceStr + "\n" + o.PrepayID + "\n"
	default:
		return ParamError("pay_sign", fmt.Sprintf("%s订单不通过paySign调起支付", o.TradeType), nil)
	}
	if p.AppID != o.Appid && (o.SubAppid == "" || p.AppID != o.SubAppid) {
		return ParamError("appId", "必须是下单时的appid（服务商订单：sp_appid或sub_appid）", p.AppID)
	}
	if p.TimeStamp == "" || p.NonceStr == "" {
		return ParamError("timeStamp", "timeStamp和nonceStr必填", nil)
	}
	cert, err := wxcrypto.ParseCertificate([]byte(m.CertPEM))
	if err != nil {
		return fmt.Errorf("certificate of merchant %s: %w", m.Mchid, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("certificate of merchant %s: not an RSA key", m.Mchid)
	}
	if err := wxcrypto.Verify(pub, message, p.PaySign); err != nil {
		return Errorf(CodeSignError, "paySign验证失败：请用商户%s的API证书私钥对%q签名", m.Mchid, message)
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// newOpenid makes a 28-character openid like the real "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".
func newOpenid() string { return "o" + wxcrypto.Nonce(27) }
