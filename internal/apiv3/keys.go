package apiv3

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/tuikuan/tuikuan/internal/refund"
)

// checkKeys walks a decoded JSON value against the Go type it is meant for and refuses the
// first key that type does not declare, naming its full path ("amount.fee"). Keys compare
// exactly: JSON keys are case-sensitive and so is the real service, while encoding/json
// would quietly match "OUT_REFUND_NO" to out_refund_no.
func checkKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return refund.ParamError(joinPath(path, k), "未知字段（接口未定义该参数，字段名区分大小写）", nil)
			}
			if err := checkKeys(v[k], ft, joinPath(path, k)); err != nil {
				return err
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return nil
		}
		for i, e := range v {
			if err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps a struct's JSON names to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
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
