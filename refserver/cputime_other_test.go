//go:build !unix

package refserver_test

// processCPU is not measured off Unix; the CPU metrics then read 0.
func processCPU() int64 { return 0 }
