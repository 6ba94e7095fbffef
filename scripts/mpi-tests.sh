#!/usr/bin/env bash
# Runs the multi-rank test programs (tests/mpi/*.rs) and the flagship example under mpirun with
# 2 and 4 ranks (the traffic checks also with 1 and 8). Expects `cargo test --workspace --features mpi` (or the MPICH script) to have
# built them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

mpirun_cmd=(mpirun)
[ -n "${SPMD_MPIRUN:-}" ] && read -r -a mpirun_cmd <<<"$SPMD_MPIRUN"

# The executables cargo built for the mpi_* test targets and the example.
listing=$(cargo test --features mpi --test 'mpi_*' --no-run --message-format=json 2>/dev/null)
programs=$(grep -o '"executable":"[^"]*/mpi_[a-z_]*-[0-9a-f]*"' <<<"$listing" | cut -d'"' -f4 | sort -u)
examples="${CARGO_TARGET_DIR:-target}/debug/examples"
example="$examples/linreg_spmd"
if [ -z "$programs" ]; then
    echo "no mpi_* test programs were built" >&2
    exit 1
fi

status=0
for ranks in 2 4; do
    for program in $programs; do
        echo "== mpirun -n $ranks $(basename "$program")"
        SPMD_EXPECT_RANKS=$ranks timeout 600 "${mpirun_cmd[@]}" -n "$ranks" "$program" || status=1
    done
done
# Each family's traffic against its formula at one and eight ranks too (2 and 4 above).
traffic=$(grep '/mpi_traffic-' <<<"$programs" || true)
for ranks in 1 8; do
    echo "== mpirun -n $ranks $(basename "$traffic")"
    SPMD_EXPECT_RANKS=$ranks timeout 600 "${mpirun_cmd[@]}" -n "$ranks" "$traffic" || status=1
done
echo "== mpirun -n 4 linreg_spmd (CPU and GPU)"
timeout 600 "${mpirun_cmd[@]}" -n 4 "$example" --rows-per-rank 20000 --cpu || status=1
timeout 600 "${mpirun_cmd[@]}" -n 4 "$example" --rows-per-rank 20000 || status=1
for family in statistics_spmd decomposition_spmd kmeans_spmd logistic_spmd naive_bayes_spmd neighbors_spmd dbscan_spmd hdbscan_spmd forest_spmd; do
    echo "== mpirun -n 4 $family"
    timeout 600 "${mpirun_cmd[@]}" -n 4 "$examples/$family" --rows-per-rank 5000 || status=1
done
exit $status
