package journal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limit is how much of a request's or an answer's body the journal keeps, after masking.
const Limit = 16 << 10

// maxMarker bounds the length of the marker Body appends when it cuts, so that a caller
// (and the fuzz test) knows the longest string Body returns: limit + maxMarker.
const maxMarker = 48

// Body is body as the journal may keep it: JSON and XML rewritten token by token with
// the values of signatures and keys replaced by their length and ciphertexts shortened,
// anything else shown as text with long base64 runs shortened; at most limit bytes, then
// a marker saying how much was cut. The result is valid UTF-8 whatever body holds.
func Body(body []byte, limit int) string {
	return maskBody(body, 0, limit)
}

// maskBody is Body for a body of which only the first len(body) bytes were captured and
// missing more. A cut JSON or XML document is still masked up to where it was cut: only a
// document that is wrong before that point falls back to text.
func maskBody(body []byte, missing int64, limit int) string {
	complete := missing == 0
	var out []byte
	switch t := bytes.TrimLeft(body, " \t\r\n"); {
	case len(t) == 0:
		out = nil
	case t[0] == '{' || t[0] == '[':
		ok := false
		if complete {
			out, ok = maskPlainJSON(body)
		}
		if !ok {
			out = maskJSON(body, complete)
		}
	case t[0] == '<':
		if complete {
			out, _ = maskFlatXML(body)
		}
		if out == nil {
			out = maskXML(body, complete)
		}
	}
	if out == nil {
		out = maskText(body)
	}
	return capText(out, missing, limit)
}

// capText cuts s to limit bytes, on a rune boundary, and says how many bytes the journal
// does not show: those cut here and the missing ones never captured.
func capText(s []byte, missing int64, limit int) string {
	if !utf8.Valid(s) {
		s = bytes.ToValidUTF8(s, []byte("\uFFFD"))
	}
	if limit < 0 {
		limit = 0
	}
	if len(s) <= limit && missing == 0 {
		return string(s)
	}
	n := min(len(s), limit)
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return string(s[:n]) + fmt.Sprintf("…(cut: %d more bytes)", int64(len(s)-n)+missing)
}

// Values of these keys (compared without case, '_' and '-') are never shown: they are
// keys or signatures.
var secretKeys = map[string]bool{
	"sign": true, "paysign": true, "signature": true, "key": true, "apikey": true,
	"apiv3key": true, "privatekey": true, "password": true, "secret": true, "token": true,
	"sandboxtoken": true, "mchkey": true,
}

// Values of these keys are ciphertexts or personal data a ciphertext would hold.
var cipherKeys = map[string]bool{
	"ciphertext": true, "bankaccount": true, "realname": true, "username": true,
	"payerphone": true, "reqinfo": true, "accountname": true, "idcardnumber": true,
}

// normKey appends k to b lower-cased, without '_' and '-'.
func normKey[T string | []byte](b []byte, k T) []byte {
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == '_' || c == '-':
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return b
}

// isSecretKey and the helpers below take the bytes of a body as well, so that the JSON
// scanner asks about a key or a value without copying it into a string.
func isSecretKey[T string | []byte](k T) bool {
	var buf [64]byte
	n := normKey(buf[:0], k)
	return secretKeys[string(n)] || hasSuffix(n, "privatekey") || hasSuffix(n, "secret") ||
		hasSuffix(n, "apikey") || hasSuffix(n, "v3key") || hasSuffix(n, "signature")
}

func isCipherKey[T string | []byte](k T) bool {
	var buf [64]byte
	n := normKey(buf[:0], k)
	return cipherKeys[string(n)] || len(n) >= len("encrypted") && string(n[:len("encrypted")]) == "encrypted"
}

func hasSuffix(b []byte, suffix string) bool {
	return len(b) >= len(suffix) && string(b[len(b)-len(suffix):]) == suffix
}

// hidden is what stands for a secret value.
func hidden(n int) string {
	var buf [32]byte
	return string(appendHidden(buf[:0], n))
}

func appendHidden(b []byte, n int) []byte {
	return append(strconv.AppendInt(append(b, "***("...), int64(n), 10), " bytes)"...)
}

// shorten keeps the start of a ciphertext, enough to tell two apart, and its length.
// Short values (a name in clear) keep nothing.
func shorten(s string) string {
	var buf [48]byte
	return string(appendShortened(buf[:0], s))
}

func appendShortened[T string | []byte](b []byte, s T) []byte {
	if len(s) > 16 {
		if head := s[:8]; utf8.Valid([]byte(head)) {
			b = append(b, head...)
		} else {
			b = append(b, strings.ToValidUTF8(string(head), "")...)
		}
	}
	return append(strconv.AppendInt(append(b, "…("...), int64(len(s)), 10), " bytes)"...)
}

// longBase64 is the shortest run of base64 characters taken for a ciphertext wherever
// it appears: longer than any id, serial or nonce of the APIs.
const longBase64 = 64

func isBase64Byte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

func looksBase64[T string | []byte](s T) bool {
	if len(s) <= longBase64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBase64Byte(s[i]) {
			return false
		}
	}
	return true
}

// maskString is the shown form of the string value of key.
func maskString(key, v string) string {
	switch {
	case isSecretKey(key):
		return hidden(len(v))
	case isCipherKey(key) || looksBase64(v):
		return shorten(v)
	}
	return v
}

// maskJSON rewrites a JSON document compactly, in its own key order; nil when body is
// not JSON. A cut document (complete false) is rewritten up to where it was cut.
func maskJSON(body []byte, complete bool) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	// Per open container: whether it is an object, and how many tokens it has had.
	type frame struct {
		object bool
		n      int
		key    string
	}
	var stack []frame
	secretDepth := 0 // > 0 while inside a container a secret key holds
	for {
		tok, err := dec.Token()
		if err == io.EOF && len(stack) == 0 && out.Len() > 0 {
			return out.Bytes()
		}
		if err != nil {
			if !complete && out.Len() > 0 && (errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF || isSyntaxAtEnd(err, len(body))) {
				return out.Bytes()
			}
			return nil
		}
		if len(stack) == 0 && out.Len() > 0 {
			return nil // a second document: not one JSON value
		}
		// Separator and, in an object, whether this token is a key.
		isKey := false
		key := ""
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			if d, ok := tok.(json.Delim); !ok || (d != '}' && d != ']') {
				if f.object {
					isKey = f.n%2 == 0
					if isKey && f.n > 0 && secretDepth == 0 {
						out.WriteByte(',')
					} else if !isKey && secretDepth == 0 {
						out.WriteByte(':')
					}
				} else if f.n > 0 && secretDepth == 0 {
					out.WriteByte(',')
				}
				f.n++
			}
			if f.object && !isKey {
				key = f.key
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if secretDepth > 0 {
					secretDepth++
				} else if isSecretKey(key) {
					secretDepth = 1
					out.WriteString(`"***"`)
				} else {
					out.WriteByte(byte(v))
				}
				stack = append(stack, frame{object: v == '{'})
			default:
				stack = stack[:len(stack)-1]
				if secretDepth > 0 {
					secretDepth--
				} else {
					out.WriteByte(byte(v))
				}
			}
		case string:
			if isKey {
				stack[len(stack)-1].key = v
			}
			if secretDepth > 0 {
				continue
			}
			if !isKey {
				v = maskString(key, v)
			}
			writeJSONString(&out, v)
		default:
			if secretDepth > 0 {
				continue
			}
			if isSecretKey(key) {
				writeJSONString(&out, hidden(len(fmt.Sprint(v))))
				continue
			}
			switch v := v.(type) {
			case json.Number:
				out.WriteString(v.String())
			case bool:
				out.WriteString(strconv.FormatBool(v))
			case nil:
				out.WriteString("null")
			}
		}
	}
}

// isSyntaxAtEnd says whether a JSON syntax error is at the end of a cut body, where a
// token was cut in two.
func isSyntaxAtEnd(err error, n int) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) && se.Offset >= int64(n)
}

func writeJSONString(out *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			out.Write(b)
			return
		}
	}
	// Printable ASCII that json.Marshal would write as it is.
	out.WriteByte('"')
	out.WriteString(s)
	out.WriteByte('"')
}

// maskPlainJSON is maskJSON, byte for byte, for a complete document of the usual shape:
// an object or array, at most maxPlainDepth deep, whose strings need no escape either way
// (no backslash, no control character, none of '<', '>', '&', U+2028 and U+2029 that
// json.Marshal escapes, valid UTF-8), so that a string's bytes are what maskJSON decodes
// and writes again. ok false for anything else, which maskJSON then reads. It skips
// encoding/json's tokenizer and its allocations, most of the journal's cost for a v3
// request.
func maskPlainJSON(b []byte) (out []byte, ok bool) {
	const maxPlainDepth = 32
	var object [maxPlainDepth]bool // per open container
	depth := 0
	hideFrom := 0 // the depth of the container a secret key holds, whose contents are hidden
	i := skipJSONSpace(b, 0)
	if i == len(b) || b[i] != '{' && b[i] != '[' {
		return nil, false
	}
	// Masking mostly shortens; a short secret grows by its marker.
	out = make([]byte, 0, len(b)+64)
	var key []byte // of the value at i; nil in an array
	for {
		shown := hideFrom == 0
		secret := shown && len(key) > 0 && isSecretKey(key)
		opened := false // a container with something in it
		switch c := b[i]; c {
		case '{', '[':
			if depth == maxPlainDepth {
				return nil, false
			}
			object[depth] = c == '{'
			depth++
			switch {
			case secret:
				out = append(out, `"***"`...)
				hideFrom = depth
			case shown:
				out = append(out, c)
			}
			i = skipJSONSpace(b, i+1)
			opened = i < len(b) && b[i] != closer(object[depth-1])
		case '"':
			end := plainStringEnd(b, i+1)
			if end < 0 {
				return nil, false
			}
			switch v := b[i+1 : end]; {
			case secret:
				out = append(appendHidden(append(out, '"'), len(v)), '"')
			case !shown:
			case len(key) > 0 && isCipherKey(key) || looksBase64(v):
				out = append(appendShortened(append(out, '"'), v), '"')
			default:
				out = append(append(append(out, '"'), v...), '"')
			}
			i = end + 1
		default:
			n := jsonScalarLen(b[i:])
			if n == 0 {
				return nil, false
			}
			switch v := b[i : i+n]; {
			case secret:
				// maskJSON measures fmt.Sprint of the token: "<nil>" for null.
				m := n
				if v[0] == 'n' {
					m = len("<nil>")
				}
				out = append(appendHidden(append(out, '"'), m), '"')
			case shown:
				out = append(out, v...)
			}
			i += n
		}
		// After a value: the ends of the containers it closes, then a comma.
		for !opened {
			i = skipJSONSpace(b, i)
			if i == len(b) {
				return nil, false
			}
			c := b[i]
			if c == ',' {
				if hideFrom == 0 {
					out = append(out, ',')
				}
				i = skipJSONSpace(b, i+1)
				break
			}
			if c != closer(object[depth-1]) {
				return nil, false
			}
			switch hideFrom {
			case 0:
				out = append(out, c)
			case depth:
				hideFrom = 0
			}
			depth--
			i++
			if depth == 0 {
				if skipJSONSpace(b, i) != len(b) {
					return nil, false
				}
				return out, true
			}
		}
		if i == len(b) {
			return nil, false
		}
		key = nil
		if !object[depth-1] {
			continue
		}
		// A member: its key, a colon, then the value at i.
		if b[i] != '"' {
			return nil, false
		}
		end := plainStringEnd(b, i+1)
		if end < 0 {
			return nil, false
		}
		key = b[i+1 : end]
		if hideFrom == 0 {
			out = append(append(append(append(out, '"'), key...), '"'), ':')
		}
		i = skipJSONSpace(b, end+1)
		if i == len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipJSONSpace(b, i+1)
		if i == len(b) {
			return nil, false
		}
	}
}

func closer(object bool) byte {
	if object {
		return '}'
	}
	return ']'
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainStringEnd is the index of the quote that ends the string whose contents start at
// b[i], or -1 when the string is cut or would not read and write as its own bytes.
func plainStringEnd(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				return i
			case c < 0x20 || c == '\\' || c == '<' || c == '>' || c == '&':
				return -1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			return -1
		}
		i += n
	}
	return -1
}

// jsonScalarLen is the length of the number, true, false or null b starts with, 0 when
// it starts with none. Numbers follow JSON's grammar, which the decoder checks; what
// follows the scalar is the caller's to check.
func jsonScalarLen(b []byte) int {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(b) >= len(lit) && string(b[:len(lit)]) == lit {
			return len(lit)
		}
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digitsEnd(b, i)
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		if j := digitsEnd(b, i+1); j > i+1 {
			i = j
		} else {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if k := digitsEnd(b, j); k > j {
			i = k
		} else {
			return 0
		}
	}
	return i
}

func digitsEnd(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// maskXML rewrites an XML document (v2's flat <xml><name>value</name>…</xml>) with the
// text of secret elements replaced and ciphertexts shortened; CDATA comes out as escaped
// text. nil when body is not well-formed XML.
func maskXML(body []byte, complete bool) []byte {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var out bytes.Buffer
	enc := xml.NewEncoder(&out)
	var names []string
	elems := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			if len(names) == 0 && elems > 0 {
				if enc.Flush() != nil {
					return nil
				}
				return out.Bytes()
			}
			if !complete && elems > 0 && enc.Flush() == nil {
				return out.Bytes()
			}
			return nil
		}
		if err != nil {
			if !complete && elems > 0 && enc.Flush() == nil {
				return out.Bytes()
			}
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elems++
			names = append(names, t.Name.Local)
			for i := range t.Attr {
				t.Attr[i].Value = maskString(t.Attr[i].Name.Local, t.Attr[i].Value)
			}
			tok = t
		case xml.EndElement:
			if len(names) == 0 {
				return nil
			}
			names = names[:len(names)-1]
		case xml.CharData:
			if len(names) > 0 && len(bytes.TrimSpace(t)) > 0 {
				tok = xml.CharData(maskElement(names, string(t)))
			}
		case xml.Directive, xml.ProcInst, xml.Comment:
			continue // DOCTYPEs and comments say nothing the journal needs
		}
		if err := enc.EncodeToken(tok); err != nil {
			return nil
		}
	}
}

// maskFlatXML is maskXML, byte for byte, for a v2 body of the usual shape: a root of
// fields, each plain text and CDATA sections, whitespace between; ok false for anything
// else, which maskXML then reads. It skips encoding/xml's tokenizer and encoder, most of
// the journal's cost for a v2 request.
func maskFlatXML(b []byte) (out []byte, ok bool) {
	out = make([]byte, 0, len(b)+len(b)/4)
	var names [2][]byte
	var secret [3]bool // secret[d]: one of names[:d] is a secret's
	depth, roots := 0, 0
	for i := 0; i < len(b); {
		if b[i] != '<' {
			j := i
			for j < len(b) && b[j] != '<' {
				j++
			}
			text := b[i:j]
			if !flatText(text, false) {
				return nil, false
			}
			if depth == 2 || len(bytes.TrimSpace(text)) == 0 {
				out = appendXMLPiece(out, names[:depth], secret[depth], text)
			} else {
				return nil, false
			}
			i = j
			continue
		}
		switch rest := b[i:]; {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest, []byte("]]>"))
			text := rest[len("<![CDATA["):max(end, len("<![CDATA["))]
			if depth != 2 || end < 0 || !flatText(text, true) {
				return nil, false
			}
			out = appendXMLPiece(out, names[:depth], secret[depth], text)
			i += end + len("]]>")
		case len(rest) > 1 && rest[1] == '/':
			n := flatName(rest[2:])
			if depth == 0 || !bytes.Equal(rest[2:2+n], names[depth-1]) || 2+n >= len(rest) || rest[2+n] != '>' {
				return nil, false
			}
			depth--
			out = append(append(append(out, "</"...), names[depth]...), '>')
			i += 3 + n
		default:
			n := flatName(rest[1:])
			if n == 0 || depth == 2 || depth == 0 && roots > 0 || 1+n >= len(rest) || rest[1+n] != '>' {
				return nil, false
			}
			names[depth] = rest[1 : 1+n]
			secret[depth+1] = secret[depth] || isSecretKey(names[depth])
			depth++
			if depth == 1 {
				roots++
			}
			out = append(append(append(out, '<'), names[depth-1]...), '>')
			i += 2 + n
		}
	}
	if depth != 0 || roots != 1 {
		return nil, false
	}
	return out, true
}

// flatName is the length of the ASCII element name b starts with: letters, digits, '_',
// '-' and '.', not starting with a digit, '-' or '.'.
func flatName(b []byte) int {
	n := 0
	for n < len(b) {
		c := b[n]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || n > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.')) {
			break
		}
		n++
	}
	return n
}

// flatText says whether text reads as itself in XML: valid UTF-8 of XML characters but
// '\r', no '&', and outside CDATA no '>' or ']'. Anything else is left to maskXML.
func flatText(text []byte, cdata bool) bool {
	for k := 0; k < len(text); {
		c := text[k]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(text[k:])
			if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
				return false
			}
			k += n
			continue
		}
		if c < 0x20 && c != '\t' && c != '\n' || c == '&' || !cdata && (c == '>' || c == ']') {
			return false
		}
		k++
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

// appendXMLPiece appends a piece of text in the elements names as maskXML's encoder
// writes it: masked when it is not whitespace, escaped as xml.Encoder escapes text. It
// works on the body's bytes: a v2 answer has some twenty fields, and a string for each
// name and text was most of what masking it cost.
// secret says whether any of names is a secret's.
func appendXMLPiece(out []byte, names [][]byte, secret bool, text []byte) []byte {
	if len(names) == 0 || len(bytes.TrimSpace(text)) == 0 {
		return appendXMLText(out, text)
	}
	if secret {
		return appendHidden(out, len(text))
	}
	if isCipherKey(names[len(names)-1]) || looksBase64(text) {
		var buf [48]byte
		return appendXMLText(out, appendShortened(buf[:0], text))
	}
	return appendXMLText(out, text)
}

// appendXMLText appends text escaped as xml.Encoder escapes it, a character that XML
// cannot hold (or a byte that is not UTF-8) as U+FFFD.
func appendXMLText(out []byte, text []byte) []byte {
	for i := 0; i < len(text); {
		c := text[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(text[i:])
			if !isXMLChar(r) {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		}
		i++
		switch c {
		case '"':
			out = append(out, "&#34;"...)
		case '\'':
			out = append(out, "&#39;"...)
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		case '>':
			out = append(out, "&gt;"...)
		case '\t':
			out = append(out, "&#x9;"...)
		case '\r':
			out = append(out, "&#xD;"...)
		default:
			if !isXMLChar(rune(c)) {
				out = utf8.AppendRune(out, utf8.RuneError)
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// maskElement is the shown form of text in the innermost of the elements names: hidden
// when any of them holds a secret.
func maskElement(names []string, v string) string {
	for _, n := range names {
		if isSecretKey(n) {
			return hidden(len(v))
		}
	}
	return maskString(names[len(names)-1], v)
}

// secretNames are the names secretKeys holds, spelled as bodies spell them.
const secretNames = `(?:sign|paysign|pay_sign|signature|key|api_?key|apiv3_?key|private_?key|password|secret|token)`

// secretPairs find the values of secret names in text the journal could not parse: as
// XML elements, JSON members and form fields. Group 2 is the value.
var secretPairs = []*regexp.Regexp{
	regexp.MustCompile(`(?is)(<` + secretNames + `>)(.*?)(?:</|$)`),
	regexp.MustCompile(`(?i)("` + secretNames + `"\s*:\s*")((?:[^"\\]|\\.)*)`),
	regexp.MustCompile(`(?i)(\b` + secretNames + `\s*=\s*)([^&\s]*)`),
}

// maskText is a body that is neither JSON nor XML (or is broken), as valid UTF-8 with
// long base64 runs shortened and the values of anything that looks like a secret pair
// hidden.
func maskText(body []byte) []byte {
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	for _, re := range secretPairs {
		s = re.ReplaceAllStringFunc(s, func(m string) string {
			sub := re.FindStringSubmatchIndex(m)
			return m[:sub[3]] + hidden(sub[5]-sub[4]) + m[sub[5]:]
		})
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isBase64Byte(s[j]) {
			j++
		}
		if j-i > longBase64 {
			out.WriteString(shorten(s[i:j]))
		} else {
			out.WriteString(s[i:j])
		}
		if j < len(s) {
			out.WriteByte(s[j])
			j++
		}
		i = j
	}
	return []byte(out.String())
}

// shownHeaders are the request headers the journal keeps, in the order it lists them;
// every other header (cookies first of all) is left out.
var shownHeaders = []string{"Authorization", "Content-Type", "Content-Length", "Accept", "Accept-Language",
	"User-Agent", "Wechatpay-Serial", "Request-Id", "X-Request-Id", "Idempotency-Key"}

// Headers is the request headers the journal keeps, one "Name: value" line each. Of a
// WECHATPAY2 Authorization it keeps mchid, serial_no, timestamp and nonce_str and
// replaces the signature with its length; of any other, only the scheme.
func Headers(h http.Header) string {
	var b strings.Builder
	for _, name := range shownHeaders {
		for _, v := range h.Values(name) {
			if name == "Authorization" {
				v = maskAuthorization(v)
			}
			b.WriteString(name + ": " + capLine(strings.ToValidUTF8(v, "\uFFFD")) + "\n")
		}
	}
	return b.String()
}

// capLine bounds a header value, which a client may make as long as the server reads.
func capLine(s string) string {
	if len(s) <= 512 {
		return s
	}
	return capText([]byte(s), 0, 512)
}

// maskAuthorization keeps a WECHATPAY2 header's parameters but the signature.
func maskAuthorization(v string) string {
	scheme, params, ok := strings.Cut(v, " ")
	if !ok {
		return hidden(len(v))
	}
	if !strings.HasPrefix(strings.ToUpper(scheme), "WECHATPAY2-") {
		return capLine(strings.ToValidUTF8(scheme, "\uFFFD")) + " " + hidden(len(params))
	}
	var kept []string
	for _, p := range strings.Split(params, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "mchid", "serial_no", "timestamp", "nonce_str":
			kept = append(kept, k+"="+val)
		default:
			kept = append(kept, k+"="+strconv.Quote(hidden(len(strings.Trim(val, `"`)))))
		}
	}
	return scheme + " " + strings.Join(kept, ",")
}
