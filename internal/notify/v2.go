package notify

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// encodeV2 is a v2 refund notification
// (https://pay.weixin.qq.com/doc/v2/partner/4011989265): XML whose req_info is the
// refund, encrypted under the recipient's APIv2 key. It has no sign and no Wechatpay-*
// headers: WeChat Pay's official answer is that this notification carries no sign, and
// only the merchant's key opens req_info (community thread 000e6ebdbd4be85fc10dc49bb5b000).
func encodeV2(m *pay.Merchant, n *pay.Notification) (wire, error) {
	if n.Order != nil {
		return encodeV2Payment(m, n)
	}
	res, err := v2ResourceOf(n)
	if err != nil {
		return wire{}, err
	}
	if m.APIv2Key == "" {
		return wire{}, fmt.Errorf("merchant %s has no APIv2 key to encrypt req_info with", m.Mchid)
	}
	reqInfo := wxcrypto.EncryptECB(wxcrypto.V2NotifyKey(m.APIv2Key), reqInfoXML(res.ReqInfo))
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, f := range [][2]string{
		{"return_code", "SUCCESS"},
		{"return_msg", "OK"},
		{"appid", res.Appid},
		{"mch_id", res.MchID},
		{"sub_appid", res.SubAppid}, // partner only
		{"sub_mch_id", res.SubMchID},
		{"nonce_str", wxcrypto.Nonce(32)},
		{"req_info", base64.StdEncoding.EncodeToString(reqInfo)},
	} {
		if f[1] != "" {
			writeCDATA(&b, f[0], f[1])
		}
	}
	b.WriteString("</xml>")
	h := http.Header{}
	h.Set("Content-Type", "text/xml")
	return wire{body: b.Bytes(), header: h, check: v2Received}, nil
}

// reqInfoXML is the plaintext of req_info: a <root> document of CDATA fields in name
// order, one per line, the way a req_info WeChat Pay sent reads when decrypted (go-pay
// keeps one in wechat/notify_test.go).
func reqInfoXML(fields map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString("<root>\n")
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		writeCDATA(&b, k, fields[k])
		b.WriteByte('\n')
	}
	b.WriteString("</root>")
	return b.Bytes()
}

// writeCDATA writes <k><![CDATA[v]]></k>, as WeChat Pay writes every v2 value. A "]]>"
// in v would end the section early, so it is split across two sections.
func writeCDATA(b *bytes.Buffer, k, v string) {
	b.WriteString("<" + k + "><![CDATA[")
	b.WriteString(strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]></" + k + ">")
}

// v2Received checks a merchant's answer to a v2 notification. In v2 a 2xx is not enough:
// the answer must be the documented
// <xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>
// (https://pay.weixin.qq.com/doc/v2/partner/4011989265), which is what go-pay's
// NotifyResponse writes. CDATA or plain text, any root element: the docs say nothing of
// either being refused.
func v2Received(reply []byte) error {
	var r struct {
		ReturnCode string `xml:"return_code"`
	}
	if err := xml.Unmarshal(reply, &r); err != nil {
		return fmt.Errorf("answer is not the v2 XML reply: %v", err)
	}
	// return_msg is left out: the attempt keeps the answer's start, which shows it.
	if code := strings.TrimSpace(r.ReturnCode); code != "SUCCESS" {
		return fmt.Errorf("answer return_code %q, want SUCCESS", code)
	}
	return nil
}
