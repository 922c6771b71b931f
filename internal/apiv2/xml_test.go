package apiv2

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-pay/gopay"
	"github.com/google/go-cmp/cmp"
)

func TestDecodeXML(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"CDATA", `<xml><appid><![CDATA[wx1]]></appid><mch_id><![CDATA[100]]></mch_id></xml>`,
			map[string]string{"appid": "wx1", "mch_id": "100"}},
		{"Plain", `<xml><appid>wx1</appid><offset>10</offset></xml>`,
			map[string]string{"appid": "wx1", "offset": "10"}},
		{"AnyOrder", `<xml><sign>S</sign><appid>wx1</appid></xml>`,
			map[string]string{"sign": "S", "appid": "wx1"}},
		{"Mixed", `<xml><a>x<![CDATA[<y>]]>z</a></xml>`, map[string]string{"a": "x<y>z"}},
		{"PrettyPrinted", "<xml>\n  <appid>wx1</appid>\n  <refund_id></refund_id>\n</xml>\n",
			map[string]string{"appid": "wx1", "refund_id": ""}},
		{"SelfClosing", `<xml><refund_id/></xml>`, map[string]string{"refund_id": ""}},
		{"Declaration", `<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>`, map[string]string{"a": "1"}},
		{"DeclarationLowerCase", `<?xml version="1.0" encoding="utf-8"?>` + "\n<xml><a>1</a></xml>", map[string]string{"a": "1"}},
		{"BOM", "\ufeff<xml><a>1</a></xml>", map[string]string{"a": "1"}},
		{"PredefinedEntities", `<xml><a>&lt;&gt;&amp;&quot;&apos;</a></xml>`, map[string]string{"a": `<>&"'`}},
		{"CharacterReference", `<xml><a>&#x5546;&#21697;</a></xml>`, map[string]string{"a": "商品"}},
		{"Chinese", `<xml><refund_desc><![CDATA[商品已售完]]></refund_desc></xml>`, map[string]string{"refund_desc": "商品已售完"}},
		{"CommentBetweenFields", `<xml><!-- c --><a>1</a></xml>`, map[string]string{"a": "1"}},
		{"Empty", `<xml></xml>`, map[string]string{}},
		{"RequestRoot", `<request><appid>wx1</appid><sign>S</sign></request>`, map[string]string{"appid": "wx1", "sign": "S"}},
		{"OtherRoot", `<root><appid>wx1</appid></root>`, map[string]string{"appid": "wx1"}},
		{"RequestRootDeclaration", "<?xml version=\"1.0\"?>\n<request>\n <a>1</a>\n</request>\n", map[string]string{"a": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeXML([]byte(tt.body))
			if err != nil {
				t.Fatalf("decodeXML(%q) error: %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeXML(%q) mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestDecodeXML_Refused(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"Empty", ``},
		{"Whitespace", "  \n"},
		{"NotXML", `appid=wx1&mch_id=100`},
		{"JSON", `{"appid":"wx1"}`},
		{"Unclosed", `<xml><appid>wx1</appid>`},
		{"Mismatched", `<xml><appid>wx1</mch_id></xml>`},
		{"TwoRoots", `<xml><a>1</a></xml><xml><b>2</b></xml>`},
		{"TwoRequestRoots", `<request><a>1</a></request><request><b>2</b></request>`},
		{"TwoMixedRoots", `<request><a>1</a></request><xml><b>2</b></xml>`},
		{"RequestNested", `<request><a><b>1</b></a></request>`},
		{"RequestDuplicate", `<request><refund_fee>1</refund_fee><refund_fee>100</refund_fee></request>`},
		{"RequestRootAttribute", `<request x="1"><a>1</a></request>`},
		{"RequestNamespace", `<p:request xmlns:p="urn:x"><a>1</a></p:request>`},
		{"RequestXXE", `<!DOCTYPE request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><request><a>&xxe;</a></request>`},
		{"RequestUnclosed", `<request><a>1</a>`},
		{"RequestMismatched", `<request><a>1</a></xml>`},
		{"RequestText", `<request>hello</request>`},
		{"TextInRoot", `<xml>hello<a>1</a></xml>`},
		{"TextAfterRoot", `<xml><a>1</a></xml>trailing`},
		{"Nested", `<xml><a><b>1</b></a></xml>`},
		{"Duplicate", `<xml><refund_fee>1</refund_fee><refund_fee>100</refund_fee></xml>`},
		{"DuplicateEmpty", `<xml><a/><a>1</a></xml>`},
		{"Attribute", `<xml><a x="1">1</a></xml>`},
		{"RootAttribute", `<xml x="1"><a>1</a></xml>`},
		{"Namespace", `<xml><p:a xmlns:p="urn:x">1</p:a></xml>`},
		{"XXE", `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>`},
		{"BillionLaughs", `<!DOCTYPE xml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><a>&lol2;</a></xml>`},
		{"Doctype", `<!DOCTYPE xml><xml><a>1</a></xml>`},
		{"UndeclaredEntity", `<xml><a>&nbsp;</a></xml>`},
		{"ProcessingInstruction", `<xml><?php echo 1; ?><a>1</a></xml>`},
		{"StylesheetPI", `<?xml-stylesheet href="x"?><xml><a>1</a></xml>`},
		{"LateDeclaration", `<xml><a>1</a></xml><?xml version="1.0"?>`},
		{"CommentInField", `<xml><a>1<!-- c -->2</a></xml>`},
		{"InvalidUTF8", "<xml><a>\xff\xfe</a></xml>"},
		{"InvalidUTF8InCDATA", "<xml><a><![CDATA[\xc3\x28]]></a></xml>"},
		{"ControlCharacter", "<xml><a>\x01</a></xml>"},
		{"OtherEncoding", `<?xml version="1.0" encoding="GBK"?><xml><a>1</a></xml>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeXML([]byte(tt.body))
			var pe *protocolError
			if !errors.As(err, &pe) || pe.msg != msgXMLFormat {
				t.Errorf("decodeXML(%q) = %v, %v; want %s", tt.body, got, err, msgXMLFormat)
			}
		})
	}
}

func TestReplyEncode(t *testing.T) {
	rp := &reply{}
	rp.add("return_code", "SUCCESS")
	rp.add("empty", "")
	rp.addInt("refund_count", 1)
	rp.add("tricky", "a]]>b<c>&\x01")
	got := string(rp.encode())
	want := "<xml><return_code><![CDATA[SUCCESS]]></return_code><refund_count>1</refund_count>" +
		"<tricky><![CDATA[a]]]]><![CDATA[>b<c>&\uFFFD]]></tricky></xml>"
	if got != want {
		t.Errorf("encode = %s\nwant     %s", got, want)
	}
	params, err := decodeXML([]byte(got))
	if err != nil {
		t.Fatalf("decodeXML(encode) error: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"return_code": "SUCCESS", "refund_count": "1", "tricky": "a]]>b<c>&\uFFFD"}, params); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

// FuzzDecodeXML feeds the decoder anything: it must never panic, and whatever it accepts
// must survive our encoder and gopay's BodyMap parser unchanged.
func FuzzDecodeXML(f *testing.F) {
	for _, s := range []string{
		`<xml><appid><![CDATA[wx1]]></appid><mch_id>100</mch_id><sign>S</sign></xml>`,
		"<?xml version=\"1.0\"?>\n<xml>\n <a>1</a>\n <b/>\n</xml>",
		`<!DOCTYPE xml [<!ENTITY a "b">]><xml><a>&a;</a></xml>`,
		`<xml><a><b>1</b></a></xml>`,
		`<xml><a>1</a><a>2</a></xml>`,
		"<xml><a>\xff</a></xml>",
		`<xml><a>&#x5546;&lt;]]&gt;</a></xml>`,
		`<xml><a><![CDATA[]]]]><![CDATA[>]]></a></xml>`,
		`<request><appid>wx1</appid><mch_id>100</mch_id><sign>S</sign></request>`,
		`<request><a>1</a></request><xml><b>2</b></xml>`,
		`<request><a><b>1</b></a></request>`,
		`<!DOCTYPE request [<!ENTITY a "b">]><request><a>&a;</a></request>`,
		"<xml>\n\t<a>1</a>\n\t<b></b>\n</xml>\n",
		"<xml><a>x]y>z</a><b>\u5546\uFFFE</b></xml>",
		"<xml>\r\n<a>1\r\n2</a></xml>",
		"<xml><a><![CDATA[\x01]]></a><b.c-d_9>1</b.c-d_9></xml>",
		"<xml><a>1</a></xml><!-- c -->",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if fast, ok := scanFlat(body); ok && utf8.Valid(body) {
			slow, err := decodeTokens(body)
			if err != nil {
				t.Fatalf("scanFlat accepts %q, encoding/xml refuses it: %v", body, err)
			}
			if diff := cmp.Diff(slow, fast); diff != "" {
				t.Fatalf("scanFlat(%q) mismatch (-encoding/xml +scanFlat):\n%s", body, diff)
			}
		}
		params, err := decodeXML(body)
		if err != nil {
			var pe *protocolError
			if !errors.As(err, &pe) || pe.msg != msgXMLFormat {
				t.Fatalf("decodeXML error %v is not an XML_FORMAT_ERROR", err)
			}
			return
		}
		rp := &reply{}
		for k, v := range params {
			rp.fields = append(rp.fields, field{name: k, value: v})
		}
		again, err := decodeXML(rp.encode())
		if err != nil {
			t.Fatalf("decodeXML(encode(%q)) error: %v", params, err)
		}
		want := make(map[string]string, len(params))
		for k, v := range params {
			want[k] = strings.ToValidUTF8(v, "\uFFFD")
		}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
		bm := make(gopay.BodyMap)
		if err := xml.Unmarshal(rp.encode(), &bm); err != nil {
			t.Fatalf("gopay BodyMap cannot parse our answer: %v", err)
		}
		for k, v := range want {
			if got := bm.GetString(k); got != v {
				t.Fatalf("gopay reads %s = %q, want %q", k, got, v)
			}
		}
	})
}
