#!/usr/bin/env bash
# The multi-rank programs once more, built against MPICH and launched by MPICH's mpirun, in a
# target directory of their own (the MPI bindings are not rebuilt when the MPI changes).
set -euo pipefail
cd "$(dirname "$0")/.."
export SPMD_MPI=mpich
# The Python package is tested against the default MPI only.
export SPMD_PYTHON=0
bash scripts/setup.sh
source scripts/env.sh
export CARGO_TARGET_DIR="${SPMD_MPICH_TARGET_DIR:-target/mpich}"
export SPMD_MPIRUN="${SPMD_MPIRUN:-mpirun.mpich}"
# Only what mpi-tests.sh launches: the mpi_* test programs and the examples.
cargo build --features mpi --test 'mpi_*' --examples
bash scripts/mpi-tests.sh
