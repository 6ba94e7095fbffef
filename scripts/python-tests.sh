#!/usr/bin/env bash
# The Python package: built into the virtual environment of setup.sh, then its pytest suite on
# one process and under mpirun -n 2 and -n 4, the no-mpi4py program, and the examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
venv="$(cd "${SPMD_VENV:-.venv}" && pwd)"
python="$venv/bin/python"
# pip runs the build backend's `maturin` command: the environment's own.
export PATH="$venv/bin:$PATH"
mpirun="${SPMD_MPIRUN:-mpirun}"

# Built in the workspace's target directory with the test profile: the dependencies the Rust
# tests compiled are reused (`pip install ./python` alone makes an optimised release build).
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" MATURIN_PEP517_ARGS="--profile dev" \
    "$python" -m pip install -q --disable-pip-version-check --no-build-isolation ./python

pytest=("$python" -m pytest python/tests -q --color=no -p no:cacheprovider)
echo "== pytest, one process"
"${pytest[@]}"
for n in 2 4; do
    echo "== pytest, mpirun -n $n"
    timeout 600 "$mpirun" -n "$n" "${pytest[@]}"
done
echo "== without mpi4py"
"$python" python/tests/no_mpi4py.py
for n in 2 4; do
    timeout 300 "$mpirun" -n "$n" "$python" python/tests/no_mpi4py.py
done
echo "== examples/python, mpirun -n 2"
for example in examples/python/*_spmd.py; do
    echo "-- $example"
    timeout 300 "$mpirun" -n 2 "$python" "$example" >/dev/null
done
