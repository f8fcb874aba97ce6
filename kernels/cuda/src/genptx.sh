#!/usr/bin/env bash
# genptx.sh: compile every kernels/cuda/src/*.cu to kernels/cuda/ptx/*.ptx
# with clang 19 (PTX ISA 7.0 for sm_80, which the driver JIT-compiles for
# newer GPUs). Run by `go generate ./kernels/cuda`, or by hand from
# anywhere; the output is deterministic and committed.
#
#   CLANG   the compiler (default clang-19)
#   OUT     where to write the .ptx files (default kernels/cuda/ptx)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
clang="${CLANG:-clang-19}"
out="${OUT:-$here/../ptx}"
mkdir -p "$out"
cd "$here"
for f in *.cu; do
	"$clang" -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib \
		-O3 -ffp-contract=off -S "$f" -o "$out/${f%.cu}.ptx"
done
