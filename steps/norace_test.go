//go:build !race

package steps_test

const raceEnabled = false
