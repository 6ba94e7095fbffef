#!/usr/bin/env bash
# The Python package: built into the virtual environment of setup.sh, then its pytest suite on
# one process and under mpirun -n 2 and -n 4, the no-mpi4py program, the examples, and the
# wheel installed into a fresh environment.
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

# The wheel, proven on its own: built as `maturin build --release` builds it (an abi3 wheel of
# the package; here with the test profile, so the compiled dependencies are reused), installed
# into a fresh virtual environment, and the tests run from it with no Rust on the PATH and not
# from the source tree.
echo "== the wheel, in a fresh environment without Rust"
repo="$PWD"
wheels="$(mktemp -d)"
(cd python && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}" \
    "$venv/bin/maturin" build --profile dev --out "$wheels" --quiet)
fresh="$(mktemp -d)"
"$python" -m venv "$fresh/venv"
"$fresh/venv/bin/python" -m pip install -q --disable-pip-version-check \
    "$wheels"/spmd_learn-*-cp39-abi3-*.whl pytest mpi4py pandas
no_rust_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e '\.rustup' | paste -sd:)"
(
    cd "$fresh"
    export PATH="$no_rust_path"
    if command -v cargo >/dev/null || command -v rustc >/dev/null; then
        echo "Rust is still on the PATH" >&2
        exit 1
    fi
    installed="$("$fresh/venv/bin/python" -c 'import spmd_learn; print(spmd_learn.__file__)')"
    case "$installed" in
        "$fresh/venv/"*) echo "spmd_learn from the wheel: $installed" ;;
        *) echo "spmd_learn was imported from $installed, not the wheel" >&2; exit 1 ;;
    esac
    wheel_pytest=("$fresh/venv/bin/python" -m pytest "$repo/python/tests" -q --color=no -p no:cacheprovider)
    "${wheel_pytest[@]}"
    timeout 600 "$mpirun" -n 2 "${wheel_pytest[@]}"
)
rm -rf "$wheels" "$fresh"
