package refserver

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
)

// decodeTargets are the request types the handlers decode with decodeJSON.
var decodeTargets = []func() any{
	func() any { return new(api.CompleteRequest) },
	func() any { return new(api.CreateUserRequest) },
	func() any { return new(api.PolicyRequest) },
	func() any { return new(struct{}) },
}

// FuzzDecodeJSON: decodeJSON answers an INVALID_REQUEST error or a value, and a value
// it accepts is what plain encoding/json reads from the same body (the strict decoder
// only refuses more), and re-encoding that value decodes to it again. Seeded with
// every body of the bad-input corpus (fixtures/badinput.yaml), under each request
// type and content type it uses.
func FuzzDecodeJSON(f *testing.F) {
	cases, err := fixtures.BadInput()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		if c.Body == nil {
			continue
		}
		ct := "application/json"
		if c.ContentType != nil {
			ct = *c.ContentType
		}
		for kind := range decodeTargets {
			f.Add(ct, []byte(*c.Body), uint8(kind))
		}
	}
	f.Add("application/json; charset=utf-8", []byte(`{"srpVerificationData":{"A":"AQ==","M1":"AQ=="}}`), uint8(0))
	f.Fuzz(func(t *testing.T, contentType string, body []byte, kind uint8) {
		newDst := decodeTargets[int(kind)%len(decodeTargets)]
		dst := newDst()
		err := decodeJSON(contentType, body, dst)
		if err != nil {
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Code != api.CodeInvalidRequest {
				t.Fatalf("error %v is not INVALID_REQUEST", err)
			}
			return
		}
		plain := newDst()
		if err := json.Unmarshal(body, plain); err != nil || !reflect.DeepEqual(plain, dst) {
			t.Fatalf("decodeJSON accepted %q as %+v; encoding/json reads %+v, %v", body, dst, plain, err)
		}
		again, err := json.Marshal(dst)
		if err != nil {
			t.Fatal(err)
		}
		dst2 := newDst()
		if err := decodeJSON("application/json", again, dst2); err != nil || !reflect.DeepEqual(dst2, dst) {
			t.Fatalf("re-encoded %s decodes to %+v, %v; want %+v", again, dst2, err, dst)
		}
	})
}
