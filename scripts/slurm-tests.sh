#!/usr/bin/env bash
# spmd-learn under Slurm: starts a private one-node Slurm (scripts/slurm-local.sh; root only),
# then checks that `srun -n 4` (PMIx), `salloc -n 4 mpirun` and an `sbatch` script fit the same
# model as `mpirun -n 4`, and runs the fault matrix's Slurm cases under srun (NaN on one rank, a
# panic, a rank killed mid-fit, mismatched row counts, zero columns). Expects
# `cargo test --workspace --features mpi` to have built the binary and the fault matrix.
# Skipped, saying so, where it cannot start daemons (not root) unless SPMD_REQUIRE_SLURM=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/slurm-local.sh

if [ "$(id -u)" -ne 0 ]; then
    echo "Slurm tests skipped: starting slurmctld and slurmd needs root"
    [ "${SPMD_REQUIRE_SLURM:-0}" = 1 ] && exit 1
    exit 0
fi
binary="${CARGO_TARGET_DIR:-target}/debug/spmd-learn"
if [ ! -x "$binary" ]; then
    echo "$binary is not built: run cargo test --workspace --features mpi first" >&2
    exit 1
fi
slurm_local_start
trap slurm_local_stop EXIT
work="$SLURM_LOCAL_DIR/work"
mkdir -p "$work"
status=0
check() {
    if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; status=1; fi
}

# 4,003 rows of 3 features and a target, as CSV: the ranks split each file by rows.
awk 'BEGIN { for (i = 0; i < 4003; i++) printf "%.17g,%.17g,%.17g\n", sin(0.37*i), cos(0.11*i)*2, (i%17)/17.0 }' >"$work/x.csv"
awk -F, '{ printf "%.17g\n", 1.5*$1 - 0.5*$2 + 2*$3 + 0.01*sin(NR) }' "$work/x.csv" >"$work/y.csv"
fit_args=(fit linear-regression --x "$work/x.csv" --y "$work/y.csv")
kmeans_args=(fit kmeans --x "$work/x.csv" --param n_clusters=4 --param random_state=7)

echo "== the reference: mpirun -n 4"
mpirun -n 4 "$binary" "${fit_args[@]}" --out "$work/mpirun.json"
mpirun -n 4 "$binary" "${kmeans_args[@]}" --out "$work/mpirun_kmeans.json"

echo "== srun -n 4 --mpi=pmix"
srun -n 4 --mpi=pmix "$binary" "${fit_args[@]}" --out "$work/srun.json"
srun -n 4 --mpi=pmix "$binary" "${kmeans_args[@]}" --out "$work/srun_kmeans.json"
check cmp "$work/mpirun.json" "$work/srun.json"
check cmp "$work/mpirun_kmeans.json" "$work/srun_kmeans.json"

echo "== salloc -n 4 mpirun"
salloc -n 4 mpirun "$binary" "${fit_args[@]}" --out "$work/salloc.json"
check cmp "$work/mpirun.json" "$work/salloc.json"

echo "== sbatch"
cat >"$work/job.sh" <<EOF
#!/bin/bash
#SBATCH -n 4
#SBATCH -o $work/job.out
srun --mpi=pmix "$binary" ${fit_args[*]} --out "$work/sbatch.json"
EOF
job=$(sbatch --parsable "$work/job.sh")
# squeue rather than sbatch --wait, which polls slowly.
for _ in $(seq 1 300); do
    squeue -h -j "$job" 2>/dev/null | grep -q . || break
    sleep 0.2
done
exit_code=$(scontrol show job "$job" | grep -o 'ExitCode=[0-9:]*' | head -1)
check test "$exit_code" = "ExitCode=0:0"
check cmp "$work/mpirun.json" "$work/sbatch.json"

echo "== srun --mpi=none: ranks that cannot see each other fail, they do not fit alone"
# Debian's Open MPI refuses a direct launch without PMIx in MPI_Init; either way, no model.
if srun -n 4 --mpi=none "$binary" "${fit_args[@]}" --out "$work/none.json" 2>"$work/none.err"; then
    echo "FAILED: srun --mpi=none gave a model"
    status=1
else
    check test ! -e "$work/none.json"
fi

echo "== the fault matrix's Slurm cases under srun"
SPMD_MPIRUN="srun --mpi=pmix" SPMD_FAULT_SUBSET=slurm \
    cargo test --workspace --features mpi --test faults -- --nocapture || status=1
exit $status
