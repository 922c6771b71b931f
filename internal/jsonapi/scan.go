package jsonapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// scanBody walks body, one syntactically valid JSON value bound for a Go value of type t,
// in document order and reports the first of: a key sent twice in one object, a key t
// does not define (strict mode only), a value of the wrong JSON type. Paths name array
// elements by index ("amount.from[0].account"), as the real service does.
//
// encoding/json keeps the last of two equal keys, so without this a body could carry one
// amount for a reader that keeps the first and another for tuikuan.
func scanBody(body []byte, t reflect.Type, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	s := &scanner{dec: dec, strict: strict}
	return s.value(t, "")
}

type scanner struct {
	dec    *json.Decoder
	strict bool
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value reads one value whose destination has type t; a nil t accepts any value.
func (s *scanner) value(t reflect.Type, path string) error {
	tok, err := s.dec.Token()
	if err != nil {
		return pay.Errorf(pay.CodeParamError, "请求体无法解析：%v", err)
	}
	t = deref(t)
	if tok == nil {
		return nil
	}
	if want := kindOf(t); want != "" && !fits(t, tok) {
		if path == "" {
			return pay.Errorf(pay.CodeParamError, "请求体应为JSON对象，实际为%s", tokenKind(tok))
		}
		return pay.ParamError(path, fmt.Sprintf("类型错误：应为%s，实际为%s", want, tokenKind(tok)), nil)
	}
	switch tok {
	case json.Delim('{'):
		return s.object(t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil {
			elem = t.Elem()
		}
		for i := 0; s.dec.More(); i++ {
			if err := s.value(elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = s.dec.Token()
	}
	return err
}

func (s *scanner) object(t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := make(map[string]bool)
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return pay.Errorf(pay.CodeParamError, "请求体无法解析：%v", err)
		}
		key := tok.(string)
		p := joinPath(path, key)
		name, ft, known := s.field(t, fields, key)
		if seen[name] {
			return pay.ParamError(p, "字段重复：同一对象中该字段出现了多次", nil)
		}
		seen[name] = true
		if !known && s.strict && fields != nil {
			return pay.ParamError(p, "未知字段（接口未定义该参数，字段名区分大小写）", nil)
		}
		if err := s.value(ft, p); err != nil {
			return err
		}
	}
	_, err := s.dec.Token()
	return err
}

// field finds the destination of key in an object of type t. Lenient mode matches struct
// fields as encoding/json does, ignoring case, so that two spellings of one field count
// as a duplicate.
func (s *scanner) field(t reflect.Type, fields map[string]reflect.Type, key string) (name string, ft reflect.Type, known bool) {
	switch {
	case fields != nil:
		if ft, ok := fields[key]; ok {
			return key, ft, true
		}
		if !s.strict {
			for name, ft := range fields {
				if strings.EqualFold(name, key) {
					return name, ft, true
				}
			}
		}
		return key, nil, false
	case t != nil && t.Kind() == reflect.Map:
		return key, t.Elem(), true
	}
	return key, nil, false
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) {
			return nil
		}
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		return nil
	}
	return t
}

// kindOf is the JSON type a Go type decodes from, "" for any.
func kindOf(t reflect.Type) string {
	if t == nil {
		return ""
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // []byte is base64 text
		}
		return "array"
	case reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return ""
}

// fits reports whether tok, not null, can be decoded into t.
func fits(t reflect.Type, tok json.Token) bool {
	want := kindOf(t)
	switch tok := tok.(type) {
	case json.Number:
		switch want {
		case "number":
			_, err := strconv.ParseFloat(string(tok), t.Bits())
			return err == nil
		case "integer":
			var err error
			if k := t.Kind(); k >= reflect.Uint && k <= reflect.Uint64 {
				_, err = strconv.ParseUint(string(tok), 10, t.Bits())
			} else {
				_, err = strconv.ParseInt(string(tok), 10, t.Bits())
			}
			return err == nil
		}
		return false
	case string:
		return want == "string"
	case bool:
		return want == "boolean"
	case json.Delim:
		return (tok == '{' && want == "object") || (tok == '[' && want == "array")
	}
	return false
}

func tokenKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Delim:
		if tok == '[' {
			return "array"
		}
	}
	return "object"
}

// jsonFields maps a struct's JSON names to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		// An untagged embedded struct's fields are the outer object's, as
		// encoding/json reads them.
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(fields, jsonFields(f.Type))
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
