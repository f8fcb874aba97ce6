//go:build cuda

package cuda

import (
	"embed"
	"io/fs"
	"path"
	"strings"
)

//go:generate bash src/genptx.sh

// ptxFiles are the kernels compiled from src/*.cu by src/genptx.sh
// (clang-19, sm_80, contraction off). TestPTXUpToDate rebuilds and
// compares them.
//
//go:embed ptx/*.ptx
var ptxFiles embed.FS

func init() {
	names, err := fs.Glob(ptxFiles, "ptx/*.ptx")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	for _, n := range names {
		b, err := ptxFiles.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are readable
		}
		addPTX(strings.TrimSuffix(path.Base(n), ".ptx"), b)
	}
}
