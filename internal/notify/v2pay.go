package notify

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// encodeV2Payment is a v2 payment notification (支付结果通知,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7) of an order placed through
// 统一下单: the paid order's fields in plain XML, as 查询订单 answers them, signed MD5
// with the recipient's APIv2 key — the partner's for its sub-merchant's order, whose
// sub_mch_id and sub_appid then name the sub-merchant. Unlike the refund notification
// nothing is encrypted. The merchant answers as it does to a refund's (v2Received).
func encodeV2Payment(m *pay.Merchant, n *pay.Notification) (wire, error) {
	if m.APIv2Key == "" {
		return wire{}, fmt.Errorf("merchant %s has no APIv2 key to sign with", m.Mchid)
	}
	o := n.Order
	fs := []pay.V2Field{
		{Name: "return_code", Value: "SUCCESS"},
		{Name: "return_msg", Value: "OK"},
		{Name: "appid", Value: o.Appid},
		{Name: "mch_id", Value: n.Mchid},
		{Name: "nonce_str", Value: wxcrypto.Nonce(32)},
		{Name: "result_code", Value: "SUCCESS"},
	}
	if o.SpMchid != "" {
		fs = append(fs, pay.V2Field{Name: "sub_appid", Value: o.SubAppid}, pay.V2Field{Name: "sub_mch_id", Value: o.Mchid})
	}
	fs = append(fs, pay.V2PaymentFields(o)...)
	values := make(map[string]string, len(fs))
	for _, f := range fs {
		values[f.Name] = f.Value
	}
	fs = append(fs, pay.V2Field{Name: "sign", Value: wxcrypto.V2Sign(values, m.APIv2Key, false)})
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, f := range fs {
		if f.Value != "" {
			writeCDATA(&b, f.Name, f.Value)
		}
	}
	b.WriteString("</xml>")
	h := http.Header{}
	h.Set("Content-Type", "text/xml")
	return wire{body: b.Bytes(), header: h, check: v2Received}, nil
}
