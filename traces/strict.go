package traces

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// checkKeys walks the JSON object text against the struct type t: every
// key must be one of t's JSON field names exactly (encoding/json alone
// would accept "Call" for "call" and keep the last of two "call" keys),
// appear once, and hold a value other than null; objects held by struct
// fields are checked the same way. It returns the keys of the top object.
func checkKeys(text []byte, t reflect.Type) (map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &keyError{msg: fmt.Sprintf("want a JSON object, got %s", jsonValueKind(tok))}
	}
	return objectKeys(dec, t, "")
}

// keyError is a fault checkKeys found, at a field path such as
// "params.cpus".
type keyError struct {
	field, msg string
}

func (e *keyError) Error() string { return e.msg }

// objectKeys reads an object's members after its '{'.
func objectKeys(dec *json.Decoder, t reflect.Type, path string) (map[string]bool, error) {
	fields := jsonFields(t)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		field := path + key
		ft, ok := fields[key]
		switch {
		case !ok:
			return nil, &keyError{field: field, msg: "unknown field"}
		case seen[key]:
			return nil, &keyError{field: field, msg: "appears twice in the object"}
		}
		seen[key] = true
		tok, err = dec.Token()
		if err != nil {
			return nil, err
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch d, _ := tok.(json.Delim); {
		case tok == nil:
			return nil, &keyError{field: field, msg: "null is not a value here (leave the field out instead)"}
		case d == '{' && ft.Kind() == reflect.Struct:
			if _, err := objectKeys(dec, ft, field+"."); err != nil {
				return nil, err
			}
		case d == '{' || d == '[':
			if err := skipValue(dec); err != nil {
				return nil, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	return seen, nil
}

// skipValue reads the rest of an object or array after its opening token.
func skipValue(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// jsonFields maps the JSON names of struct type t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// jsonValueKind names a JSON token in words.
func jsonValueKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return "null"
}

// goTypeInWords says what JSON value a Go type takes, for error messages
// that speak JSON rather than Go.
func goTypeInWords(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "another value"
}
