package cdp

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test leaves no goroutine behind: the connection's reader and the
// browser's output reader end with Close, as do the servers of the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
