# Environment for running spmd-learn's MPI programs here; sourced by the other scripts.

# Open MPI refuses to run as root and to put more ranks than cores without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Mesa warns on every adapter opening unless this names a private directory.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
    export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/spmd-learn-xdg-$(id -u)"
    mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
fi
# Several ranks sharing two cores: one lavapipe thread each.
export LP_NUM_THREADS="${LP_NUM_THREADS:-1}"
# Which MPI rsmpi builds against (see README). The build does not notice a change: use another
# CARGO_TARGET_DIR per MPI.
case "${SPMD_MPI:-openmpi}" in
    mpich) export MPI_PKG_CONFIG="${MPI_PKG_CONFIG:-mpich}" ;;
    *) export MPI_PKG_CONFIG="${MPI_PKG_CONFIG:-ompi}" ;;
esac
