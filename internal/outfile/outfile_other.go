//go:build !linux

package outfile

import (
	"errors"
	"os"
)

var errNoUnnamed = errors.New("unnamed files need Linux's O_TMPFILE")

func createUnnamed(string) (*os.File, error) { return nil, errNoUnnamed }

func linkUnnamed(*os.File, string) error { return errNoUnnamed }

// alive reports whether process pid exists; where that cannot be told, it
// says yes, so that a temporary is kept rather than removed under a
// running process.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return signalZero(p)
}

func umask() os.FileMode { return 0o022 }

// exchange is not available: ReplaceDir moves the old tree aside instead.
func exchange(string, string) error { return errors.ErrUnsupported }
