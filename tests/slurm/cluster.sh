#!/usr/bin/env bash
# A real single-node Slurm cluster for the tests (Debian's slurm-wlm and munge), in a folder of its own.
#   tests/slurm/cluster.sh start DIR   writes DIR/slurm.conf, starts munged (if not running), slurmctld and slurmd,
#                                      waits until the node is idle; prints "export SLURM_CONF=DIR/slurm.conf"
#   tests/slurm/cluster.sh stop DIR    cancels the cluster's jobs (waits up to 30 s for them to end: their processes are
#                                      not children of the daemons), stops slurmd and slurmctld (by their pid files);
#                                      munged is left to the system
# Needs root (SlurmUser=root, as on the CI machine). Exits non-zero with one line on stderr when Slurm cannot run here.
# Each cluster takes two free TCP ports from 6817 up (SLURM_TEST_PORT=N pins them to N and N+1), so that several clusters
# (one per worktree or CI job) can run on one machine.
set -euo pipefail
cmd="${1:?usage: cluster.sh start|stop DIR}"
dir="$(mkdir -p "${2:?usage: cluster.sh start|stop DIR}" && cd "$2" && pwd)"
conf="$dir/slurm.conf"

stop() {
  # Jobs first: their processes (slurmstepd and the job's own) outlive the daemons unless cancelled.
  if [[ -f "$conf" && -f "$dir/slurmctld.pid" ]] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    SLURM_CONF="$conf" scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 150); do
      [[ -z "$(SLURM_CONF="$conf" squeue -h -o %i 2>/dev/null)" ]] && break
      sleep 0.2
    done
  fi
  for daemon in slurmd slurmctld; do
    if [[ -f "$dir/$daemon.pid" ]]; then
      pid="$(cat "$dir/$daemon.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$daemon.pid"
    fi
  done
}

if [[ "$cmd" == stop ]]; then stop; exit 0; fi
[[ "$cmd" == start ]] || { echo "usage: cluster.sh start|stop DIR" >&2; exit 2; }
for tool in slurmctld slurmd sbatch munged; do
  command -v "$tool" >/dev/null || [[ -x "/usr/sbin/$tool" ]] || { echo "cluster.sh: $tool is not installed (Debian: apt-get install slurm-wlm munge)" >&2; exit 3; }
done
[[ "$(id -u)" == 0 ]] || { echo "cluster.sh: must run as root (SlurmUser=root)" >&2; exit 3; }

# munge: one key per machine; start the daemon unless one answers already.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    mungekey -c -f -k /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || { echo "cluster.sh: munged does not answer" >&2; exit 3; }
fi

port_free() { ! ss -Hltn "( sport = :$1 or sport = :$(($1 + 1)) )" 2>/dev/null | grep -q .; }
if [[ -n "${SLURM_TEST_PORT:-}" ]]; then
  port="$SLURM_TEST_PORT"
elif [[ -f "$conf" ]] && grep -q '^SlurmctldPort=' "$conf"; then
  port="$(sed -n 's/^SlurmctldPort=//p' "$conf")"   # restarting in the same folder keeps its ports
else
  port=6817
  while ! port_free "$port"; do
    port=$((port + 2))
    ((port < 7817)) || { echo "cluster.sh: no two free ports between 6817 and 7817" >&2; exit 3; }
  done
fi
host="$(hostname -s)"
cpus="$(nproc)"
memory_mib=$(( $(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat > "$conf" <<CONF
ClusterName=netdsl-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$port
SlurmdPort=$((port + 1))
KillWait=5
MinJobAge=300
# Jobs without --mem get 1 GiB per core (real clusters set a default too; without one a job takes the whole node).
DefMemPerCPU=1024
NodeName=$host CPUs=$cpus RealMemory=$memory_mib State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
stop
export SLURM_CONF="$conf"
/usr/sbin/slurmctld -f "$conf"
/usr/sbin/slurmd -f "$conf"
for _ in $(seq 100); do
  state="$(sinfo -h -o '%t' 2>/dev/null | head -n 1 || true)"
  [[ "$state" == idle* ]] && { echo "export SLURM_CONF=$conf"; exit 0; }
  sleep 0.2
done
echo "cluster.sh: the node did not become idle in 20 s (state '${state:-none}'); see $dir/log" >&2
stop
exit 3
