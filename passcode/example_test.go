package passcode_test

import (
	"fmt"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func ExampleRequirements_Validate() {
	policy := passcode.Requirements{
		MinimumLength: 8, MaximumLength: 64,
		DigitCount: 1, UpperCaseCount: 1, CharacterVariety: 3,
		DisallowedRegExes: []passcode.Regex{{Pattern: `(?i)secret`, Error: "must not contain the word secret"}},
	}
	for _, v := range policy.Validate("secret") {
		fmt.Println(v)
	}
	fmt.Println(policy.Validate("Sécurité-٣") == nil) // Arabic-Indic three is a digit
	// Output:
	// minimumLength: must be at least 8 characters long
	// digitCount: must contain at least 1 digit
	// upperCaseCount: must contain at least 1 upper-case letter
	// characterVariety: must mix at least 3 of these kinds of character: digits, symbols, lower-case and upper-case letters
	// disallowedRegExes[0]: must not contain the word secret
	// true
}

func ExampleGenerate() {
	pin, err := passcode.Generate(passcode.Requirements{
		AllowedRegExes: []passcode.Regex{{Pattern: `^[0-9]{6}$`, Error: "must be six digits"}},
	}, nil, passcode.GenerateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(pin))
	// Output: 6
}
