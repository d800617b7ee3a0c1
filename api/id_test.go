package api

import "testing"

func TestID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		id, err := NewID()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidID(id) || seen[id] {
			t.Fatalf("NewID gave %q: invalid or repeated", id)
		}
		seen[id] = true
	}
	cases := []struct {
		id string
		ok bool
	}{
		{"UGIRW7QN727EIV2XLXG4YH42N4", true}, // the guide's example
		{"AAAAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"ugirw7qn727eiv2xlxg4yh42n4", false}, // lower case
		{"UGIRW7QN727EIV2XLXG4YH42N", false},  // 25 characters
		{"UGIRW7QN727EIV2XLXG4YH42N41", false},
		{"UGIRW7QN727EIV2XLXG4YH42N1", false}, // 1 is not base32
		{"UGIRW7QN727EIV2XLXG4YH42N7", false}, // unused bits set: not canonical
		{"UGIRW7QN727EIV2XLXG4YH42N5", false},
		{"UGIRW7QN727EIV2XLXG4YH42N=", false},
		{"", false},
	}
	for _, c := range cases {
		if got := ValidID(c.id); got != c.ok {
			t.Errorf("ValidID(%q) = %v, want %v", c.id, got, c.ok)
		}
	}
}
