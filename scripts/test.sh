#!/usr/bin/env bash
# segstack's test suite and CI checks, in order; the first failure stops it.
#
#   gofmt -l; go mod tidy -diff; the layering (scripts/check-layers.sh);
#   go vet; staticcheck (pinned);
#   go test ./... (the root module, then bench's);
#   the kernels with -tags noasm; a GOARCH=386 build;
#   every generated file regenerated and compared;
#   the race detector on the concurrent packages;
#   the CUDA backend (-tags cuda) on the emulated driver;
#   the Python package (scripts/test-python.sh; skipped without Python);
#   and last, the SIMD paths the tests exercised on this machine.
#
# SEGSTACK_REQUIRE_SIMD=avx512 (or avx2, or avx512,avx2) makes the
# kernels/simd tests fail when this machine lacks that path, so a machine
# meant to test it cannot skip it silently.
set -euo pipefail
cd "$(dirname "$0")/.."

# The staticcheck release that supports the go directive in go.mod.
STATICCHECK_VERSION=v0.8.2

start=$(date +%s)
# Every go test run's output also goes to results, whose package lines give
# the closing count.
results=$(mktemp)
trap 'rm -f "$results"' EXIT
gotest() {
	go test "$@" 2>&1 | tee -a "$results"
}
step() {
	printf '== %s (%ds)\n' "$*" "$(($(date +%s) - start))"
}
fail() {
	echo "test.sh: $*" >&2
	exit 1
}

step "gofmt -l"
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || fail "not gofmt-formatted:"$'\n'"$unformatted"

step "go mod tidy -diff (root, bench)"
go mod tidy -diff || fail "go.mod/go.sum are not tidy: run go mod tidy"
(cd bench && go mod tidy -diff) || fail "bench/go.mod/go.sum are not tidy: run go mod tidy in bench"

step "layers"
bash scripts/check-layers.sh

step "go vet (root, bench, -tags noasm, GOARCH=386)"
go vet ./...
(cd bench && go vet ./...)
go vet -tags noasm ./...
GOARCH=386 go vet ./...

step "staticcheck $STATICCHECK_VERSION (root, bench)"
scdir="${XDG_CACHE_HOME:-$HOME/.cache}/segstack/staticcheck-$STATICCHECK_VERSION"
if [ ! -x "$scdir/staticcheck" ]; then
	mkdir -p "$scdir"
	GOBIN="$scdir" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
"$scdir/staticcheck" ./...
(cd bench && "$scdir/staticcheck" ./...)

step "go test ./kernels/simd"
# Run in the package's directory so that its TestMain's summary line
# ("simd paths tested: ...") is shown; go test hides the output of passing
# packages named on its command line.
if ! simd_out=$(cd kernels/simd && go test -count=1 2>&1); then
	echo "$simd_out"
	fail "kernels/simd tests failed"
fi
echo "$simd_out" >>"$results"
simd_line=$(grep '^simd paths tested:' <<<"$simd_out" || true)
[ -n "$simd_line" ] || fail "kernels/simd printed no 'simd paths tested' line"
grep '^ok' <<<"$simd_out" || true

step "go test ./... (root, without kernels/simd: done above)"
gotest -count=1 $(go list ./... | grep -v '/kernels/simd$')

step "go test ./... (bench)"
(cd bench && go test -count=1 ./...) 2>&1 | tee -a "$results"

step "go test -tags noasm ./kernels/..."
# Without assembly only the Go path exists: a required vector path does
# not apply to this build.
env -u SEGSTACK_REQUIRE_SIMD go test -count=1 -tags noasm ./kernels/... 2>&1 | tee -a "$results"

step "GOARCH=386 go build ./... (root, bench)"
GOARCH=386 go build ./...
(cd bench && GOARCH=386 go build ./...)

step "regenerate generated files and compare"
# Every file that says it is generated must be what its generator prints
# today. The files are moved aside, go generate writes them afresh into the
# tree, and a file it does not write, a difference or a new generated file
# fails (the old copy is put back where none was written).
list_generated() {
	grep -rl --include='*.go' --include='*.s' '^// Code generated .* DO NOT EDIT\.$' . | grep -v '^\./\.git/' | sort
}
before=$(list_generated)
snap=$(mktemp -d)
restore() {
	while IFS= read -r f; do
		[ -e "$f" ] || cp "$snap/$f" "$f"
	done <<<"$before"
}
trap 'restore; rm -rf "$snap" "$results"' EXIT
while IFS= read -r f; do
	mkdir -p "$snap/$(dirname "$f")"
	mv "$f" "$snap/$f"
done <<<"$before"
go generate ./... || fail "go generate failed"
missing=""
while IFS= read -r f; do
	[ -e "$f" ] || missing="$missing $f"
done <<<"$before"
[ -z "$missing" ] || fail "go generate did not write these generated files:$missing"
after=$(list_generated)
[ "$before" = "$after" ] || fail "go generate changed the set of generated files:"$'\n'"$(diff <(echo "$before") <(echo "$after") || true)"
changed=0
while IFS= read -r f; do
	if ! cmp -s "$snap/$f" "$f"; then
		diff -u "$snap/$f" "$f" | head -n 20 || true
		changed=1
	fi
done <<<"$after"
[ "$changed" = 0 ] || fail "generated files differ from their generators' output (now regenerated in the tree; commit them)"
echo "$(wc -l <<<"$after") generated files match their generators"

step "go test -race (sched, delayed, stack, array, kernels/offload)"
gotest -count=1 -race ./sched/... ./delayed/... ./stack/... ./array/... ./kernels/offload/...

step "-tags cuda: build without cgo, vet, kernels/cuda, segment's and the CLI's CUDA tests on the emulated driver"
# The tests build a fake libcuda.so.1 with g++ (kernels/cuda/emu) that runs
# the .cu kernels on a CPU grid emulator, and a second one with the thread
# sanitizer; TestCUDAEndToEnd runs segstack built with the tag (segment
# --device cuda against --device cpu, devices). Only the CUDA tests of
# segment and the CLI run here: with the tag, every other
# segment test would run on the emulated GPUs too (minutes), and they run
# on the CPU above.
CGO_ENABLED=0 go build -tags cuda -o /dev/null ./cmd/segstack
go vet -tags cuda ./kernels/cuda/... ./kernels/offload/... ./segment/... ./cmd/segstack/
gotest -count=1 -tags cuda ./kernels/cuda/...
gotest -count=1 -tags cuda -run CUDA ./segment/... ./cmd/segstack/

step "python package (scripts/test-python.sh)"
# Builds libsegstack.so and the wheel, and runs python/tests against scipy,
# scikit-image and dask-image; it prints a SKIP line and passes without a
# usable Python or C compiler.
bash scripts/test-python.sh

step "done"
echo "test.sh: all checks passed in $(($(date +%s) - start))s"
if [ -n "${SEGSTACK_REQUIRE_SIMD:-}" ]; then
	echo "test.sh: $simd_line (required: $SEGSTACK_REQUIRE_SIMD)"
else
	echo "test.sh: $simd_line"
fi
# The closing line: package runs of go test that passed and failed (a
# failure stops the script before this, so failed is 0 here).
echo "go-test-packages: $(grep -c '^ok' "$results") passed, $(grep -c '^FAIL' "$results") failed"
