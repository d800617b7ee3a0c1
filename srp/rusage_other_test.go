//go:build !linux

package srp

import "syscall"

// rusageThread falls back to the whole process where RUSAGE_THREAD does not exist.
const rusageThread = syscall.RUSAGE_SELF
