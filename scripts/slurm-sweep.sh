#!/bin/sh
# SPDX-License-Identifier: MIT
# A sipreuse sweep on a Slurm cluster.  Two ways (README, "Sweeps on a
# cluster"):
#
# 1. One MPI job (needs `make MPI=1`): rank 0 hands the runs out and writes
#    the results folder, every other rank runs simulations.  One rank per
#    core with --jobs 1 is the simplest sizing; rank 0 needs little CPU.
#
#      sbatch --nodes=4 --ntasks-per-node=32 scripts/slurm-sweep.sh \
#             topologies/trunk-load.exp
#
# 2. An array job of shards (no MPI needed): task I runs shard I/N into its
#    own folder; once all are done, merge them.
#
#      sbatch --array=1-16 scripts/slurm-sweep.sh topologies/trunk-load.exp
#      sipreuse sweep topologies/trunk-load.exp \
#               --merge results/trunk-load-shard-*-of-16
#
# Extra arguments after the experiment go to `sipreuse sweep` (--set,
# --unset, --reps, --seed, --no-timing, --out ...); give the merge the same
# --set, --unset, --reps, --seed and --no-timing.  In an array job each
# shard needs a folder of its own: an --out DIR becomes DIR-shard-I-of-N
# for task I (merge them with --merge DIR-shard-*-of-N --out DIR).
# Resubmitting the same command after a failure or a time limit completes
# the campaign: every run finished before is kept (--resume).
#
#SBATCH --job-name=sipreuse-sweep
#SBATCH --time=04:00:00
#SBATCH --output=sipreuse-sweep-%j.out
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sbatch [--array=1-N] $0 EXPERIMENT [SWEEP OPTION...]" >&2
    exit 2
fi
exp=$1
shift
bin=${SIPREUSE:-./sipreuse}

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
    # Array job: one shard per task, over the task's CPUs.
    n=${SLURM_ARRAY_TASK_COUNT:?an array job sets SLURM_ARRAY_TASK_COUNT}
    i=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))
    # One folder per shard: --out DIR (or --out=DIR) becomes
    # DIR-shard-I-of-N (sweep refuses a folder holding another shard).
    next_out=
    for arg do
        shift
        if [ -n "$next_out" ]; then
            arg=$arg-shard-$i-of-$n
            next_out=
        else
            case $arg in
            --out) next_out=1 ;;
            --out=*) arg=$arg-shard-$i-of-$n ;;
            esac
        fi
        set -- "$@" "$arg"
    done
    exec "$bin" sweep "$exp" --shard "$i/$n" --resume \
        --jobs "${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}" "$@"
fi

# One MPI job over every task of the allocation; threads per rank from
# --cpus-per-task (1 by default).
exec srun --mpi="${SIPREUSE_SRUN_MPI:-pmix}" "$bin" sweep "$exp" --resume \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" "$@"
