#!/usr/bin/env bash
# The whole test suite: unit, integration, doc and GPU tests (one build, with MPI), then the
# multi-rank programs under mpirun -n 2 and -n 4, then across two hosts (network namespaces;
# root only, skipped otherwise), then the command line under a private one-node Slurm (srun,
# salloc, sbatch; root only, skipped otherwise), then the Python package (pytest on one process
# and under mpirun -n 2 and -n 4).
# SPMD_REQUIRE_GPU=1 makes GPU tests fail instead of skipping when no adapter exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo test --workspace --features mpi
bash scripts/mpi-tests.sh
bash scripts/multihost-tests.sh
bash scripts/slurm-tests.sh
bash scripts/python-tests.sh
