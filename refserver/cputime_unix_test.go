//go:build unix

package refserver_test

import "syscall"

// processCPU is the CPU time (user + system) the whole process has used, in ns: on a
// shared machine it is inflated far less than wall time by other processes.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
