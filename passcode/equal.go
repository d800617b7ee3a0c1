package passcode

// Equal reports whether a and b are the same policy field by field. A nil pattern list
// equals an empty one, since JSON and YAML round trips turn one into the other
// ("requiredRegExes": [] versus an absent field); the order of patterns matters, since
// rule names carry indexes.
func Equal(a, b Requirements) bool {
	return a.MinimumLength == b.MinimumLength &&
		a.MaximumLength == b.MaximumLength &&
		a.DigitCount == b.DigitCount &&
		a.SymbolCount == b.SymbolCount &&
		a.LowerCaseCount == b.LowerCaseCount &&
		a.UpperCaseCount == b.UpperCaseCount &&
		a.CharacterVariety == b.CharacterVariety &&
		a.PasscodeHistory == b.PasscodeHistory &&
		equalRegexes(a.RequiredRegExes, b.RequiredRegExes) &&
		equalRegexes(a.AllowedRegExes, b.AllowedRegExes) &&
		equalRegexes(a.DisallowedRegExes, b.DisallowedRegExes)
}

func equalRegexes(a, b []Regex) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
