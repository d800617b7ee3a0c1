package passcode

// Requirements is a passcode policy's rules, exactly as the server returns them in
// `passcodeRequirements` (SPEC.md section 8). The zero value of a count means "no minimum".
type Requirements struct {
	MinimumLength     int     `json:"minimumLength" yaml:"minimumLength"`
	MaximumLength     int     `json:"maximumLength" yaml:"maximumLength"`
	DigitCount        int     `json:"digitCount" yaml:"digitCount"`
	SymbolCount       int     `json:"symbolCount" yaml:"symbolCount"`
	LowerCaseCount    int     `json:"lowerCaseCount" yaml:"lowerCaseCount"`
	UpperCaseCount    int     `json:"upperCaseCount" yaml:"upperCaseCount"`
	CharacterVariety  int     `json:"characterVariety" yaml:"characterVariety"`
	PasscodeHistory   int     `json:"passcodeHistory" yaml:"passcodeHistory"`
	RequiredRegExes   []Regex `json:"requiredRegExes" yaml:"requiredRegExes"`
	AllowedRegExes    []Regex `json:"allowedRegExes" yaml:"allowedRegExes"`
	DisallowedRegExes []Regex `json:"disallowedRegExes" yaml:"disallowedRegExes"`
}

// Regex is one RE2 pattern of a policy with the message to show when it fails.
type Regex struct {
	Pattern string `json:"pattern" yaml:"pattern"`
	Error   string `json:"error" yaml:"error"`
}
