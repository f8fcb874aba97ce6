//go:build cuda

package cuda

import (
	"os"
	"testing"

	"github.com/segstack/segstack/kernels/cuda/emutest"
)

// emulatedDevices is how many devices the emulated driver offers the tests.
const emulatedDevices = 2

func TestMain(m *testing.M) { os.Exit(emutest.Main(m, emulatedDevices)) }
