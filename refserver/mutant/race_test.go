//go:build race

package mutant

// raceEnabled is true under the race detector, which slows SRP arithmetic tenfold.
const raceEnabled = true
