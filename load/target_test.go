package load

import (
	"errors"
	"slices"
	"testing"

	"github.com/seedb14f67b8/renewkit/sut"
)

func TestCheckTarget(t *testing.T) {
	t.Parallel()
	good := func() *sut.Target {
		tg, err := sut.FromURL("http://127.0.0.1:9/")
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	tests := []struct {
		name    string
		edit    func(*sut.Target) *sut.Target
		invalid bool // the error matches sut.ErrInvalid too
	}{
		{name: "no target", edit: func(*sut.Target) *sut.Target { return nil }},
		{name: "an invalid target", edit: func(tg *sut.Target) *sut.Target { tg.Tenant = ""; return tg }, invalid: true},
		{name: "no admin API", edit: func(tg *sut.Target) *sut.Target {
			tg.Capabilities = slices.DeleteFunc(tg.Capabilities, func(c sut.Capability) bool { return c == sut.Admin })
			return tg
		}},
		{name: "an image not started", edit: func(tg *sut.Target) *sut.Target {
			tg.BaseURL, tg.Image = "", &sut.Image{Name: "renewkit:dev"}
			return tg
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := checkTarget(tc.edit(good()))
			if !errors.Is(err, ErrTarget) || errors.Is(err, sut.ErrInvalid) != tc.invalid {
				t.Errorf("err = %v, want ErrTarget (and sut.ErrInvalid: %v)", err, tc.invalid)
			}
		})
	}
	base, err := checkTarget(good())
	if err != nil || base != "http://127.0.0.1:9" {
		t.Errorf("checkTarget = %q, %v, want the base URL without its slash", base, err)
	}
}
