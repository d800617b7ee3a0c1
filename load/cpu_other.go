//go:build !linux

package load

import (
	"errors"
	"time"
)

var errNoCPU = errors.New("load: CPU accounting needs Linux")

func selfCPU() (time.Duration, error) { return 0, errNoCPU }

func processCPU(pid int) (time.Duration, error) { return 0, errNoCPU }
