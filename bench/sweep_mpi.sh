#!/bin/sh
# SPDX-License-Identifier: MIT
# bench sweep_mpi: runs per wall-clock second of a sweep under mpirun, for
# 1, 2 and 3 ranks of one thread each (--jobs 1), on a grid of 24 short
# runs (cli/tests/data/small.exp at 120 s of simulated time, 4
# replications).  One rank runs the batch itself (the local path); with
# more, rank 0 only hands out runs and writes what the others send back, so
# 2 ranks measure that overhead against 1 and 3 ranks the gain of a second
# worker.  Prints `bench sweep_mpi ranks=N workers=W runs=R runs_per_s=X`,
# or a skip line when the program is not an MPI build (make bench MPI=1).
set -eu
bin=${SIPREUSE_BIN:-./sipreuse}
tmp=${SIPREUSE_TMPDIR:-/tmp}/bench-sweep-mpi
if ! command -v mpirun >/dev/null 2>&1 ||
   ! "$bin" --version 2>/dev/null | grep -q '^MPI:'; then
    echo "bench sweep_mpi skipped=1 reason=not-an-MPI-build (make bench MPI=1)"
    exit 0
fi
root=
[ "$(id -u)" -eq 0 ] && root=--allow-run-as-root
export OMPI_MCA_btl_vader_single_copy_mechanism=none
for ranks in 1 2 3; do
    rm -rf "$tmp"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    mpirun --oversubscribe -np "$ranks" $root "$bin" sweep \
        cli/tests/data/small.exp --jobs 1 --reps 4 \
        --set simulation.duration=120s --no-timing --no-plots \
        --out "$tmp" >/dev/null 2>"$tmp.err" || {
        echo "bench sweep_mpi: mpirun -np $ranks failed:" >&2
        cat "$tmp.err" >&2
        exit 1
    }
    end=$(date +%s.%N)
    workers=$((ranks > 1 ? ranks - 1 : 1))
    awk -v r="$ranks" -v w="$workers" -v s="$start" -v e="$end" 'BEGIN {
        printf "bench sweep_mpi ranks=%d workers=%d runs=24 runs_per_s=%.2f\n",
               r, w, 24 / (e - s) }'
done
rm -rf "$tmp" "$tmp.err"
