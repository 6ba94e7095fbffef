#!/usr/bin/env bash
# A private one-node Slurm for the tests: `source scripts/slurm-local.sh start` installs Debian's
# slurm-wlm and munge where missing, starts munged (unless one runs), slurmctld and slurmd with a
# configuration of their own in a temporary directory, and exports SLURM_CONF so that srun,
# salloc, sbatch and squeue use it; `slurm_local_stop` stops what it started. Needs root (the
# daemons run as root, munged as the munge user). A Slurm already configured on the machine is
# left alone: this one listens on its own ports and keeps its state in its own directory; an
# existing munge key is used as it is.

slurm_local_start() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "a local Slurm needs root to start its daemons" >&2
        return 1
    fi
    local missing=()
    for p in slurm-wlm munge; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi

    SLURM_LOCAL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/spmd-learn-slurm.XXXXXX")
    chmod 755 "$SLURM_LOCAL_DIR"
    SLURM_LOCAL_PIDS=()

    # munge: the key, its run directory, the daemon (one already running is used).
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        head -c 1024 /dev/urandom >/etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    if ! munge -n </dev/null >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged --force
        SLURM_LOCAL_MUNGED=1
    fi

    local host
    host=$(hostname -s)
    # More CPUs than the machine has, so that `srun -n 4` fits on two cores.
    cat >"$SLURM_LOCAL_DIR/slurm.conf" <<EOF
ClusterName=spmdlocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$SLURM_LOCAL_DIR/state
SlurmdSpoolDir=$SLURM_LOCAL_DIR/spool
SlurmctldPidFile=$SLURM_LOCAL_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_LOCAL_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_LOCAL_DIR/slurmctld.log
SlurmdLogFile=$SLURM_LOCAL_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
ReturnToService=2
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
InactiveLimit=0
KillWait=2
MessageTimeout=10
NodeName=$host NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
    mkdir -p "$SLURM_LOCAL_DIR/state" "$SLURM_LOCAL_DIR/spool"
    export SLURM_CONF="$SLURM_LOCAL_DIR/slurm.conf"
    /usr/sbin/slurmctld -f "$SLURM_CONF" -i
    /usr/sbin/slurmd -f "$SLURM_CONF"
    local i
    for i in $(seq 1 100); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
            echo "local Slurm up ($(sinfo -h -o '%N %T %c'), $SLURM_CONF)"
            return 0
        fi
        sleep 0.2
    done
    echo "the local Slurm did not come up:" >&2
    tail -n 20 "$SLURM_LOCAL_DIR"/*.log >&2 || true
    slurm_local_stop
    return 1
}

slurm_local_stop() {
    [ -n "${SLURM_LOCAL_DIR:-}" ] || return 0
    local f
    for f in slurmd slurmctld; do
        [ -s "$SLURM_LOCAL_DIR/$f.pid" ] && kill "$(cat "$SLURM_LOCAL_DIR/$f.pid")" 2>/dev/null || true
    done
    if [ -n "${SLURM_LOCAL_MUNGED:-}" ]; then
        pkill -u munge -x munged 2>/dev/null || true
    fi
    sleep 0.5
    rm -rf "$SLURM_LOCAL_DIR"
    unset SLURM_LOCAL_DIR SLURM_CONF SLURM_LOCAL_MUNGED
}

if [ "${1:-}" = start ]; then
    slurm_local_start
fi
