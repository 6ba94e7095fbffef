#!/usr/bin/env bash
# Installs what spmd-learn needs on Debian/Ubuntu (idempotent):
#   Vulkan loader + Mesa drivers (lavapipe, the software GPU, where no GPU exists),
#   Open MPI, and libclang + pkg-config (to build the MPI bindings);
#   python3-venv and python3-dev, and a virtual environment .venv (SPMD_VENV) with maturin,
#   numpy, scikit-learn, pandas, pytest and mpi4py for the Python package (SPMD_PYTHON=0 skips these).
# MPICH works too: set SPMD_MPI=mpich to install it instead of Open MPI.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 1
fi

# iproute2: the network namespaces of scripts/multihost-tests.sh.
packages=(mesa-vulkan-drivers libvulkan1 libclang-dev pkg-config iproute2)
if [ "${SPMD_PYTHON:-1}" != 0 ]; then
    packages+=(python3-venv python3-dev)
fi
case "${SPMD_MPI:-openmpi}" in
    mpich) packages+=(mpich libmpich-dev) ;;
    *) packages+=(openmpi-bin libopenmpi-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python package's environment. mpi4py must use the MPI spmd_learn is linked to (the
# system's); its wheels load the system's libmpi, and spmd_learn checks that it is the same.
if [ "${SPMD_PYTHON:-1}" != 0 ]; then
    venv="${SPMD_VENV:-.venv}"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    # pandas: scikit-learn's estimator checks test data frames (feature names) only with it.
    if ! "$venv/bin/python" -c "import numpy, sklearn, pytest, mpi4py, pandas" 2>/dev/null ||
        [ ! -x "$venv/bin/maturin" ]; then
        echo "installing the Python test environment in $venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            "maturin>=1.9,<2" numpy scikit-learn pytest mpi4py pandas
    fi
fi
