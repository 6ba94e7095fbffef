#!/usr/bin/env bash
# The flagship demo: 4 ranks fit one LinearRegression, each on its own GPU (lavapipe where the
# machine has none), and every rank ends with the same model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

cargo build --release --features mpi --example linreg_spmd
mpirun -n 4 "${CARGO_TARGET_DIR:-target}/release/examples/linreg_spmd" "$@"
