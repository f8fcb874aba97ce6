#!/usr/bin/env bash
# gpu-check.sh: validates the CUDA backend on a GPU machine and records the
# figures, in one run of at most 8 minutes.
#
# The GPU machine has no Go toolchain: build the binaries here first,
#
#   bash scripts/gpu-check.sh --build
#
# (CGO_ENABLED=0 go test -c -tags cuda -o .gpu/cuda.test ./kernels/cuda and
# go build -tags cuda -o .gpu/segstack ./cmd/segstack, plus .gpu/COMMIT),
# carry the repository with .gpu/ to the GPU machine and run there
#
#   bash scripts/gpu-check.sh OUTDIR
#
# It writes into OUTDIR: the machine (nvidia-smi, nvcc, driver), ptxas
# -arch=sm_90 on every committed PTX file, the cuda tests against the real
# driver, compute-sanitizer memcheck and racecheck on small cases, the GPU
# benchmarks with their fractions of the H100's memory bandwidth (3.35
# TB/s) or of the copy bandwidth measured in the same run, and an
# end-to-end `segstack segment --device cuda` vs `--device cpu` comparison
# on a 64x2048x2048 stack (identical labels, wall times, peak memory).
# OUTDIR/summary.md is the draft of bench/results/<date>-h100.md.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --build ]; then
	set -e
	mkdir -p .gpu
	CGO_ENABLED=0 go test -c -tags cuda -o .gpu/cuda.test ./kernels/cuda
	CGO_ENABLED=0 go build -tags cuda -o .gpu/segstack ./cmd/segstack
	git rev-parse HEAD >.gpu/COMMIT
	if ! git diff --quiet HEAD -- . ':!.gpu'; then echo "(with uncommitted changes)" >>.gpu/COMMIT; fi
	echo "built .gpu/cuda.test and .gpu/segstack at $(head -1 .gpu/COMMIT)"
	exit 0
fi

out=${1:?usage: gpu-check.sh OUTDIR (on the GPU machine) or gpu-check.sh --build (here)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for f in .gpu/cuda.test .gpu/segstack; do
	[ -x "$f" ] || { echo "gpu-check: $f missing: run scripts/gpu-check.sh --build where Go is" >&2; exit 2; }
done
start=$(date +%s)
deadline=$((start + 470)) # 8 minutes, less a margin for the summary
left() { echo $((deadline - $(date +%s))); }
# step NAME SECONDS CMD...: runs CMD with its output in OUTDIR/NAME.txt,
# within SECONDS or what is left of the 8 minutes.
status=()
step() {
	local name=$1 secs=$2
	shift 2
	local l
	l=$(left)
	[ "$secs" -gt "$l" ] && secs=$l
	if [ "$secs" -le 5 ]; then
		echo "skipped: out of time" >"$out/$name.txt"
		status+=("$name: skipped (out of time)")
		return 1
	fi
	local t0=$(date +%s)
	if [ "$1" = ctest ]; then
		shift
		(cd kernels/cuda && timeout -k 10 "$secs" "$ct" "$@") >"$out/$name.txt" 2>&1
	else
		timeout -k 10 "$secs" "$@" >"$out/$name.txt" 2>&1
	fi
	local rc=$?
	status+=("$name: exit $rc in $(($(date +%s) - t0)) s")
	echo "gpu-check: $name: exit $rc"
	return $rc
}

export SEGSTACK_CUDA_TEST_DRIVER=real # the tests use the installed libcuda.so.1
unset SEGSTACK_LIBCUDA
# A dry run where there is no GPU: GPU_CHECK_LIBCUDA names an emulated
# driver (kernels/cuda/emutest), with small benchmarks, and GPU_CHECK_SHAPE
# a smaller stack.
if [ -n "${GPU_CHECK_LIBCUDA:-}" ]; then
	export SEGSTACK_LIBCUDA=$GPU_CHECK_LIBCUDA SEGSTACK_CUDA_BENCH_SMALL=1
fi

# 1. The machine.
{
	date -u
	echo "commit: $(cat .gpu/COMMIT 2>/dev/null || echo unknown)"
	nvidia-smi
	nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv
	nvcc --version
	nproc
	free -g
} >"$out/machine.txt" 2>&1

# 2. ptxas on every PTX file.
{
	for f in kernels/cuda/ptx/*.ptx; do
		echo "== $f"
		ptxas -arch=sm_90 -v -o /dev/null "$f" 2>&1
		echo "exit $?"
	done
} >"$out/ptxas.txt" 2>&1
ptxas_bad=$(grep -c '^exit [1-9]' "$out/ptxas.txt")
status+=("ptxas: $(grep -c '^== ' "$out/ptxas.txt") files, $ptxas_bad failed")

# The test binary runs in its package's folder, as go test runs it (its
# fixtures are found from there).
ct=$PWD/.gpu/cuda.test

# 3. The tests against the real driver.
step tests 90 ctest -test.v -test.count=1

# 4. Benchmarks.
step bench 90 ctest -test.run '^$' -test.bench . -test.benchtime 5x -test.count=1

# 5. End to end on a 64x2048x2048 stack.
e2e=$(mktemp -d)
trap 'rm -rf "$e2e"' EXIT
cat >"$e2e/run.sh" <<'E2E'
set -x
d=$1 shape=$2
.gpu/segstack gen "$d/in.tif" --shape "$shape" --seed 1 || exit 1
for dev in cuda cpu; do
	/usr/bin/time -v .gpu/segstack segment "$d/in.tif" -o "$d/$dev.tif" --stats "$d/$dev.csv" \
		--device "$dev" --report "$d/$dev.json" -q 2>"$d/$dev.time" || { cat "$d/$dev.time"; exit 1; }
	grep -E 'Elapsed \(wall|Maximum resident' "$d/$dev.time" | sed "s/^/$dev: /"
	cat "$d/$dev.json"
done
cmp "$d/cuda.tif" "$d/cpu.tif" && cmp "$d/cuda.csv" "$d/cpu.csv" && echo "IDENTICAL labels and statistics"
E2E
step e2e 200 bash "$e2e/run.sh" "$e2e" "${GPU_CHECK_SHAPE:-64,2048,2048}"

# 6. compute-sanitizer on small cases.
small='^(TestGaussianMatchesCPU|TestMaxAndThreshold|TestLabelMatchesCPU|TestRegionStatsMatchCPU)$'
cd kernels/cuda
step memcheck 60 compute-sanitizer --tool memcheck --error-exitcode 1 "$ct" -test.run "$small" -test.short -test.count=1
step racecheck 60 compute-sanitizer --tool racecheck --error-exitcode 1 "$ct" -test.run "$small" -test.short -test.count=1
cd ../..

# The summary.
{
	echo "# CUDA backend on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
	echo
	echo "Measured $(date -u +%Y-%m-%d) with scripts/gpu-check.sh on commit $(head -1 .gpu/COMMIT 2>/dev/null)."
	echo "Driver $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)."
	echo
	echo "## Steps"
	for s in "${status[@]}"; do echo "- $s"; done
	echo
	echo "## Tests"
	echo '```'
	grep -E '^(--- FAIL|ok|FAIL|PASS)' "$out/tests.txt" | head -40
	echo '```'
	echo
	echo "## Sanitizers"
	echo '```'
	grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY|Error' "$out/memcheck.txt" "$out/racecheck.txt" | head -20
	echo '```'
	echo
	echo "## Benchmarks (hbm_frac: of 3.35 TB/s; copy_frac: copies' time over the pipeline's)"
	echo '```'
	grep -E '^Benchmark' "$out/bench.txt"
	echo '```'
	echo
	echo "## End to end, ${GPU_CHECK_SHAPE:-64,2048,2048} (Z,Y,X), segment --device cuda vs cpu"
	echo '```'
	grep -E '^(cuda|cpu): |IDENTICAL|differ' "$out/e2e.txt"
	echo '```'
} >"$out/summary.md" 2>&1
echo "gpu-check: done in $(($(date +%s) - start)) s; see $out/summary.md"
