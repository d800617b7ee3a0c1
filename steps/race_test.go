//go:build race

package steps_test

const raceEnabled = true
