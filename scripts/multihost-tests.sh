#!/usr/bin/env bash
# Runs across two hosts: two network namespaces on this machine, joined by a virtual Ethernet
# pair, each with its own address (10.231.0.1, 10.231.0.2) and hostname, stand in for them.
# Open MPI's daemons are launched into them by scripts/netns-agent instead of ssh, MPI goes over
# TCP only (`btl tcp,self`: no shared memory between the hosts), two ranks per host. Checks:
# - the ranks land two on each host;
# - the multi-rank test programs (tests/mpi/*.rs) pass with 4 ranks across the hosts;
# - one command-line fit per family writes the same model, bit for bit, as 4 ranks on one host;
# - a rank killed on the second host ends the whole job within seconds.
# Needs root (network namespaces), iproute2 and util-linux; skipped otherwise, a failure with
# SPMD_REQUIRE_MULTIHOST=1. Expects the test programs and the command line built (as
# scripts/mpi-tests.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

skip() {
    if [ "${SPMD_REQUIRE_MULTIHOST:-0}" = 1 ]; then
        echo "multi-host tests: $1" >&2
        exit 1
    fi
    echo "multi-host tests skipped: $1"
    exit 0
}
[ "$(id -u)" = 0 ] || skip "they need root (network namespaces)"
command -v ip >/dev/null && command -v unshare >/dev/null || skip "they need ip and unshare"
mpirun --version 2>/dev/null | grep -q "Open MPI" || skip "they launch through Open MPI's mpirun"

target="${CARGO_TARGET_DIR:-target}"
cli="$PWD/$target/debug/spmd-learn"
[ -x "$cli" ] || skip "no command line at $cli (build the tests first)"
agent="$PWD/scripts/netns-agent"
fixtures="$PWD/tests/fixtures"
work=$(mktemp -d)

remove_hosts() {
    for host in spmd-host1 spmd-host2; do
        ip netns del "$host" 2>/dev/null || true
    done
}
cleanup() {
    remove_hosts
    rm -rf "$work"
}
trap cleanup EXIT
remove_hosts
ip netns add spmd-host1 2>/dev/null || skip "network namespaces cannot be made here"
ip netns add spmd-host2
ip link add spmd-veth1 type veth peer name spmd-veth2
for i in 1 2; do
    ip link set "spmd-veth$i" netns "spmd-host$i"
    ip -n "spmd-host$i" addr add "10.231.0.$i/24" dev "spmd-veth$i"
    ip -n "spmd-host$i" link set "spmd-veth$i" up
    ip -n "spmd-host$i" link set lo up
done
printf '10.231.0.1 slots=2\n10.231.0.2 slots=2\n' >"$work/hosts"

# COMMAND under mpirun -n 4 started on the first host: ranks 0 and 1 there, 2 and 3 on the
# second, MPI over TCP between the hosts' addresses only. At most 10 minutes.
across() {
    ip netns exec spmd-host1 unshare --uts sh -c 'hostname spmd-host1 && exec "$@"' sh \
        timeout 600 mpirun --hostfile "$work/hosts" --mca plm_rsh_agent "$agent" \
        --mca pml ob1 --mca btl tcp,self \
        --mca btl_tcp_if_include 10.231.0.0/24 --mca oob_tcp_if_include 10.231.0.0/24 \
        -n 4 "$@"
}
# The same COMMAND under mpirun -n 4 on this host. At most 10 minutes.
one_host() {
    timeout 600 mpirun -n 4 "$@"
}

status=0
fail() {
    echo "FAIL: $*" >&2
    status=1
}

echo "== where the ranks run"
placement=$(across sh -c 'echo "$OMPI_COMM_WORLD_RANK $(hostname)"' | sort)
echo "$placement"
expected=$'0 spmd-host1\n1 spmd-host1\n2 spmd-host2\n3 spmd-host2'
[ "$placement" = "$expected" ] || fail "ranks are not two on each host"

echo "== the multi-rank test programs, 4 ranks on 2 hosts"
listing=$(cargo test --features mpi --test 'mpi_*' --no-run --message-format=json 2>/dev/null)
programs=$(grep -o '"executable":"[^"]*/mpi_[a-z_]*-[0-9a-f]*"' <<<"$listing" | cut -d'"' -f4 | sort -u)
[ -n "$programs" ] || fail "no mpi_* test programs were built"
for program in $programs; do
    echo "== across 2 hosts: $(basename "$program")"
    SPMD_EXPECT_RANKS=4 across "$program" || fail "$(basename "$program")"
done

echo "== one fit per family: the same model as on one host"
fits=(
    "linear-regression --x $fixtures/forest/diabetes_x.npy --y $fixtures/forest/diabetes_y.npy"
    "logistic-regression --x $fixtures/classification/binary_x.npy --y $fixtures/classification/binary_y.npy"
    "kmeans --x $fixtures/decomposition/x.npy --param n_clusters=3 --param random_state=0"
    "pca --x $fixtures/decomposition/x.npy --param n_components=3"
    "basic-statistics --x $fixtures/decomposition/x.npy"
    "dbscan --x $fixtures/dbscan/moons.npy --param eps=0.3 --out-local LOCAL"
    "hdbscan --x $fixtures/hdbscan/varied.npy --param min_cluster_size=15 --param store_centers=both --out-local LOCAL"
    "random-forest-classifier --x $fixtures/forest/cancer_x.npy --y $fixtures/forest/cancer_y.npy --param n_estimators=5 --param random_state=0"
    "knn-classifier --x $fixtures/classification/binary_x.npy --y $fixtures/classification/binary_y.npy --param n_neighbors=5"
)
for fit in "${fits[@]}"; do
    read -r -a args <<<"$fit"
    name=${args[0]}
    for where in one_host across; do
        mkdir -p "$work/$where"
        local_path="$work/$where/$name-local-{rank}.npy"
        out=("${args[@]/#LOCAL/$local_path}")
        "$where" "$cli" fit "${out[@]}" --out "$work/$where/$name.json" \
            >/dev/null 2>"$work/$where/$name.log" || fail "$name on $where: $(tail -3 "$work/$where/$name.log")"
    done
    cmp -s "$work/one_host/$name.json" "$work/across/$name.json" || fail "$name: the models differ"
    for local in "$work"/one_host/"$name"-local-*.npy; do
        [ -e "$local" ] || continue
        cmp -s "$local" "$work/across/$(basename "$local")" || fail "$name: $(basename "$local") differs"
    done
    echo "$name: the same model across 2 hosts"
done
for where in one_host across; do
    "$where" "$cli" predict --model "$work/$where/knn-classifier.json" \
        --x "$fixtures/classification/binary_x.npy" --out "$work/$where/knn-{rank}.npy" \
        >/dev/null 2>&1 || fail "knn-classifier predict on $where"
done
for rank in 0 1 2 3; do
    cmp -s "$work/one_host/knn-$rank.npy" "$work/across/knn-$rank.npy" ||
        fail "knn-classifier: rank $rank's predictions differ"
done

echo "== a rank killed on the second host ends the job"
# Every pair of 60,000 rows within eps: DBSCAN runs for many seconds.
awk 'BEGIN { srand(1); for (i = 0; i < 60000; i++) printf "%.6f,%.6f\n", rand(), rand() }' \
    >"$work/slow.csv"
started=$SECONDS
across "$cli" fit dbscan --x "$work/slow.csv" --param eps=1000 --out "$work/slow.json" \
    >"$work/slow.log" 2>&1 &
job=$!
victim=""
for _ in $(seq 1 300); do
    for pid in $(ip netns pids spmd-host2 2>/dev/null); do
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = spmd-learn ]; then
            victim=$pid
            break 2
        fi
    done
    sleep 0.1
done
if [ -z "$victim" ]; then
    fail "no rank of the job ran on the second host"
    kill "$job" 2>/dev/null || true
    wait "$job" 2>/dev/null || true
else
    sleep 2
    kill -KILL "$victim"
    killed=$SECONDS
    # The job must end by itself; after 60 s it is stopped and the check fails.
    ( sleep 60 && kill "$job" 2>/dev/null ) &
    watchdog=$!
    if wait "$job"; then
        fail "the job succeeded although a rank was killed"
    fi
    kill "$watchdog" 2>/dev/null || true
    took=$((SECONDS - killed))
    echo "the job ended $took s after the kill (it had run $((killed - started)) s)"
    [ "$took" -le 15 ] || fail "the job took $took s to end after a rank was killed"
fi

exit $status
