#!/usr/bin/env bash
# Installs the system packages spmd-learn needs on Debian/Ubuntu (idempotent):
#   Vulkan loader + Mesa drivers (lavapipe, the software GPU, where no GPU exists),
#   Open MPI, and libclang + pkg-config (to build the MPI bindings).
# MPICH works too: set SPMD_MPI=mpich to install it instead of Open MPI.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 1
fi

packages=(mesa-vulkan-drivers libvulkan1 libclang-dev pkg-config)
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
