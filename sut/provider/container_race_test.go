//go:build race

package provider_test

// raceEnabled is true under the race detector, which slows SRP arithmetic tenfold.
const raceEnabled = true
