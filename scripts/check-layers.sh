#!/usr/bin/env bash
# Checks that the folders are the layers (see the README's library table):
# every package imports only segstack packages on a lower layer, and
# kernels/simd is imported by kernels alone. Test files are not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=github.com/segstack/segstack
layer() {
	case "$1" in
	internal/heap | internal/outfile | internal/filetree | internal/cdp | kernels/simd) echo 0 ;;
	stack | internal/cdp/cdptest) echo 1 ;;
	stack/tiff | stack/zarr | stack/synth | kernels/internal/fixtures) echo 2 ;;
	kernels | kernels/offload/internal/view | sched) echo 3 ;;
	kernels/offload | kernels/cuda | kernels/cuda/emutest | sched/dashboard | delayed) echo 4 ;;
	kernels/offload/fakedev | kernels/offload/devicetest) echo 5 ;;
	array | segment) echo 6 ;;
	engine | capi) echo 7 ;;
	cmd/segstack) echo 8 ;;
	*) echo "check-layers: package $1 has no layer; add it to scripts/check-layers.sh" >&2; exit 1 ;;
	esac
}
bad=0
while read -r pkg imports; do
	p=${pkg#"$mod"/}
	lp=$(layer "$p")
	for imp in $imports; do
		case "$imp" in "$mod"/*) ;; *) continue ;; esac
		q=${imp#"$mod"/}
		lq=$(layer "$q")
		if [ "$lq" -ge "$lp" ]; then
			echo "check-layers: $p (layer $lp) imports $q (layer $lq)" >&2
			bad=1
		fi
		if [ "$q" = kernels/simd ] && [ "$p" != kernels ]; then
			echo "check-layers: $p imports kernels/simd; only kernels may" >&2
			bad=1
		fi
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
[ "$bad" -eq 0 ] && echo "check-layers: every package imports only layers below it; only kernels imports kernels/simd"
exit "$bad"
