//go:build race

package storetest

// raceEnabled: SessionHeap is skipped under the race detector, which slows the
// 100,000 puts about tenfold and changes what they allocate.
const raceEnabled = true
