#!/usr/bin/env bash
# The multi-rank programs once more, built against MPICH and launched by MPICH's mpirun, in a
# target directory of their own (the MPI bindings are not rebuilt when the MPI changes).
# SPMD_MPICH_TARGET_DIR names another: CI points it at the Open MPI build's, so the other
# dependencies are reused (that directory is then linked to MPICH until its bindings are cleaned).
set -euo pipefail
cd "$(dirname "$0")/.."
export SPMD_MPI=mpich
# Whatever the caller's environment says: this script is the MPICH build.
export MPI_PKG_CONFIG=mpich
# The Python package is tested against the default MPI only.
export SPMD_PYTHON=0
bash scripts/setup.sh
source scripts/env.sh
export CARGO_TARGET_DIR="${SPMD_MPICH_TARGET_DIR:-target/mpich}"
export SPMD_MPIRUN="${SPMD_MPIRUN:-mpirun.mpich}"
# The bindings are rebuilt against MPICH whatever the directory holds: cargo does not notice which
# MPI they were built for. Only they and what depends on them are rebuilt.
cargo clean -p mpi-sys -p mpi
# Only what mpi-tests.sh launches: the mpi_* test programs and the examples. `--workspace`
# resolves the dependencies' features as `cargo test --workspace` does, so a shared target
# directory reuses its builds.
cargo build --workspace --features mpi --test 'mpi_*' --examples
bash scripts/mpi-tests.sh
