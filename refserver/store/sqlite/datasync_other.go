//go:build !linux

package sqlite

import "os"

// datasync is fsync(2) (or the platform's equivalent) where fdatasync is not used.
func datasync(f *os.File) error {
	return f.Sync()
}
