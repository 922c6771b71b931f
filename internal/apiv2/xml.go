package apiv2

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxBody bounds a request body. The largest v2 refund request is under 2 KiB; the rest
// is room for pretty-printing.
const maxBody = 64 << 10

// decodeXML reads a v2 request body: one root holding simple elements in any order, each
// text or CDATA. The root's name is not checked: WeChat Pay documents <xml>
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577), yet Go v2 clients that write
// <request> have been served by it in production for years. Answers still use <xml>.
// The body comes from outside and is hostile until this returns: it refuses DTDs and
// entity declarations (XXE, billion laughs), processing instructions other than a leading
// XML declaration, attributes, namespaces, nested elements, more than one root, duplicate
// elements and invalid UTF-8. Every refusal is an XML_FORMAT_ERROR.
func decodeXML(body []byte) (map[string]string, error) {
	body = bytes.TrimPrefix(body, []byte("\ufeff")) // a BOM some Windows clients send
	if !utf8.Valid(body) {
		return nil, xmlError("invalid UTF-8")
	}
	if params, ok := scanFlat(body); ok {
		return params, nil
	}
	return decodeTokens(body)
}

// decodeTokens is decodeXML by encoding/xml's tokenizer, for any body scanFlat leaves.
func decodeTokens(body []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	// Strict with no Entity map resolves only the five predefined entities and character
	// references; any other &name; is a syntax error. With no CharsetReader, a declared
	// encoding other than UTF-8 (GBK, say) is refused rather than misread.
	d.Strict = true
	p := &flatParser{params: make(map[string]string), declOK: true}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !p.rootSeen || p.depth != 0 {
				return nil, xmlError("no root element")
			}
			return p.params, nil
		}
		if err != nil {
			return nil, xmlError(err.Error())
		}
		if err := p.token(tok); err != nil {
			return nil, err
		}
	}
}

// scanFlat reads the bodies clients send — <root>, then fields of plain text or one
// CDATA section, with spaces, tabs and newlines between them, and nothing else — at a
// fraction of encoding/xml's cost. Anything else, well-formed or not, is left to
// decodeTokens: ok false. What scanFlat accepts, decodeTokens reads the same
// (FuzzDecodeXML checks).
func scanFlat(b []byte) (params map[string]string, ok bool) {
	i := skipSpace(b, 0)
	root, i, ok := openTag(b, i)
	if !ok {
		return nil, false
	}
	params = make(map[string]string, 16)
	for {
		i = skipSpace(b, i)
		if i+1 < len(b) && b[i] == '<' && b[i+1] == '/' {
			break
		}
		var name string
		if name, i, ok = openTag(b, i); !ok {
			return nil, false
		}
		if _, dup := params[name]; dup {
			return nil, false
		}
		var value string
		if value, i, ok = content(b, i); !ok {
			return nil, false
		}
		if i, ok = closeTag(b, i, name); !ok {
			return nil, false
		}
		params[name] = value
	}
	if i, ok = closeTag(b, i, root); !ok || skipSpace(b, i) != len(b) {
		return nil, false
	}
	return params, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n') {
		i++
	}
	return i
}

// openTag reads <name> at i: an ASCII name, no attributes, no space.
func openTag(b []byte, i int) (name string, next int, ok bool) {
	if i >= len(b) || b[i] != '<' {
		return "", 0, false
	}
	j := i + 1
	for j < len(b) && isNameByte(b[j], j == i+1) {
		j++
	}
	if j == i+1 || j >= len(b) || b[j] != '>' {
		return "", 0, false
	}
	return string(b[i+1 : j]), j + 1, true
}

// closeTag reads </name> at i.
func closeTag(b []byte, i int, name string) (next int, ok bool) {
	end := i + len("</>") + len(name)
	if end > len(b) || b[i] != '<' || b[i+1] != '/' || string(b[i+2:end-1]) != name || b[end-1] != '>' {
		return 0, false
	}
	return end, true
}

func isNameByte(c byte, first bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' ||
		!first && (c >= '0' && c <= '9' || c == '-' || c == '.')
}

// content reads a field's value at i: one CDATA section, or text without markup,
// entities, ']' or '>', carriage returns or characters XML cannot carry.
func content(b []byte, i int) (value string, next int, ok bool) {
	const open, end = "<![CDATA[", "]]>"
	if bytes.HasPrefix(b[i:], []byte(open)) {
		j := bytes.Index(b[i+len(open):], []byte(end))
		if j < 0 {
			return "", 0, false
		}
		v := b[i+len(open) : i+len(open)+j]
		if !plainText(v, true) {
			return "", 0, false
		}
		return string(v), i + len(open) + j + len(end), true
	}
	j := bytes.IndexByte(b[i:], '<')
	if j < 0 || !plainText(b[i:i+j], false) {
		return "", 0, false
	}
	return string(b[i : i+j]), i + j, true
}

// plainText says whether v reads as itself: XML characters but '\r' (which XML turns
// into '\n'), and outside CDATA no '&', ']' or '>'.
func plainText(v []byte, cdata bool) bool {
	for k := 0; k < len(v); {
		c := v[k]
		switch {
		case c >= 0x80:
			r, n := utf8.DecodeRune(v[k:])
			if !isXMLChar(r) {
				return false
			}
			k += n
			continue
		case c < 0x20 && c != '\t' && c != '\n':
			return false
		case !cdata && (c == '&' || c == ']' || c == '>'):
			return false
		}
		k++
	}
	return true
}

// flatParser checks a token stream against the flat one-root shape and collects its fields.
type flatParser struct {
	params   map[string]string
	depth    int // 0 outside the root, 1 in it, 2 in a field
	rootSeen bool
	declOK   bool // nothing but whitespace read yet: an XML declaration may come
	field    string
	value    strings.Builder
}

func (p *flatParser) token(tok xml.Token) error {
	declOK := p.declOK
	p.declOK = false
	switch t := tok.(type) {
	case xml.ProcInst:
		if t.Target != "xml" || !declOK {
			return xmlError("processing instruction <?" + t.Target + "?> not allowed")
		}
	case xml.Directive:
		return xmlError("<!" + firstWord(t) + "> not allowed: no DTD, no entities")
	case xml.Comment:
		if p.depth == 2 {
			return xmlError("comment inside <" + p.field + ">")
		}
	case xml.CharData:
		if p.depth == 2 {
			p.value.Write(t)
		} else if len(bytes.TrimSpace(t)) > 0 {
			return xmlError("text outside the fields")
		} else {
			p.declOK = declOK && p.depth == 0 && !p.rootSeen
		}
	case xml.StartElement:
		return p.start(t)
	case xml.EndElement:
		if p.depth == 2 {
			p.params[p.field] = p.value.String()
		}
		p.depth--
	}
	return nil
}

func (p *flatParser) start(t xml.StartElement) error {
	if t.Name.Space != "" || len(t.Attr) > 0 {
		return xmlError("<" + t.Name.Local + "> has a namespace or attributes")
	}
	switch p.depth {
	case 0:
		if p.rootSeen {
			return xmlError("more than one root element")
		}
		p.rootSeen = true
	case 1:
		if _, dup := p.params[t.Name.Local]; dup {
			return xmlError("duplicate <" + t.Name.Local + ">")
		}
		p.field = t.Name.Local
		p.value.Reset()
	default:
		return xmlError("nested element <" + t.Name.Local + "> in <" + p.field + ">")
	}
	p.depth++
	return nil
}

func firstWord(b []byte) string {
	w, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	if len(w) > 20 {
		w = w[:20]
	}
	return w
}

func xmlError(detail string) error {
	return &protocolError{msg: msgXMLFormat, detail: "XML: " + detail}
}

// reply is an answer's fields, written in the order they were added.
type reply struct {
	fields []field
}

type field struct {
	name, value string
	number      bool
}

// add appends a text field, written as CDATA. Empty values are left out: a signature never
// covers them (签名算法, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3), and
// gopay's VerifySign over the parsed body would otherwise have to agree with us on whether
// "" counts.
func (r *reply) add(name, value string) {
	if value != "" {
		r.fields = append(r.fields, field{name: name, value: value})
	}
}

// addInt appends a number, written as plain text like the refund query page's sample
// <refund_count>1</refund_count>.
func (r *reply) addInt(name string, v int64) {
	r.fields = append(r.fields, field{name: name, value: strconv.FormatInt(v, 10), number: true})
}

// all yields the fields' names and values, for signing.
func (r *reply) all() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range r.fields {
			if !yield(f.name, f.value) {
				return
			}
		}
	}
}

// encode writes <xml><name><![CDATA[value]]></name>…</xml>, the shape WeChat Pay answers in
// (the refund query page's sample, https://pay.weixin.qq.com/doc/v2/merchant/4011939577).
// Field names are this package's own constants, never input.
func (r *reply) encode() []byte {
	n := len("<xml></xml>")
	for _, f := range r.fields {
		n += 2*len(f.name) + len(f.value) + len("<></><![CDATA[]]>")
	}
	b := make([]byte, 0, n)
	b = append(b, "<xml>"...)
	for _, f := range r.fields {
		b = append(b, '<')
		b = append(b, f.name...)
		b = append(b, '>')
		if f.number {
			b = append(b, f.value...)
		} else {
			b = appendCDATA(b, f.value)
		}
		b = append(b, "</"...)
		b = append(b, f.name...)
		b = append(b, '>')
	}
	return append(b, "</xml>"...)
}

// appendCDATA appends v as CDATA, splitting any "]]>" across two sections and replacing
// characters XML cannot carry, so that an echoed value can never break the document.
func appendCDATA(b []byte, v string) []byte {
	if !plainCDATA(v) {
		v = strings.Map(func(r rune) rune {
			if isXMLChar(r) {
				return r
			}
			return utf8.RuneError
		}, v)
		v = strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>")
	}
	b = append(b, "<![CDATA["...)
	b = append(b, v...)
	return append(b, "]]>"...)
}

// plainCDATA says whether v goes into CDATA as it is: printable ASCII, tabs and line
// ends, and no ']' that could start a "]]>". Most values are.
func plainCDATA(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= 0x7F || c == ']' {
			return false
		}
	}
	return true
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
