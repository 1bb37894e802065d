#!/usr/bin/env bash
# The sweep's Slurm path for real, on a single-node Slurm started here (opt-in: scripts/test --slurm, or run this file).
# As root: installs Debian's slurm-wlm and munge when missing, generates a munge key, writes a slurm.conf naming this
# host as SlurmctldHost and as the only node (address 127.0.0.1, CPUs and memory from `slurmd -C`,
# ProctrackType=proctrack/linuxproc, TaskPlugin=task/none: no cgroups needed), starts munged, slurmctld and slurmd
# from a scratch directory on ports 16817/16818, submits `scripts/run sweep ... --slurm`'s 2-task job array, waits for
# it, and checks that `scripts/run report` merges both shards into the rows an unsharded run gives (timing aside).
# Everything it started is stopped and its scratch directory removed at the end.
# Prints "slurm: N checks passed, M failed"; exits non-zero if any failed or Slurm could not start (it says why).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/lib/system-packages.sh"
RUN="$ROOT/scripts/run"
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

[ "$(id -u)" -eq 0 ] || { echo "error: the Slurm test starts slurmctld, slurmd and munged as root; run it as root" >&2; exit 2; }
need_packages "the Slurm test" slurm-wlm munge || exit 2

work=$(mktemp -d /tmp/attention-lab-slurm.XXXXXX)
chmod 755 "$work"
stop() {
  local f
  for f in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 1
  rm -rf "$work"
}
trap stop EXIT

host=$(hostname -s)
# munge: a generated key, its own socket, run as root (--force: munged otherwise refuses root)
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
mkdir -p "$work/munge" "$work/state" "$work/spool"
chmod 700 "$work/munge"
if ! munged --force --key-file="$work/munge.key" --socket="$work/munge/munge.socket" --pid-file="$work/munged.pid" \
    --log-file="$work/munged.log" --seed-file="$work/munge/seed" >"$work/munged.out" 2>&1; then
  echo "error: munged did not start: $(tail -n 2 "$work/munged.out" "$work/munged.log" 2>/dev/null | tr '\n' ' ')" >&2
  exit 1
fi

node=$(slurmd -C 2>/dev/null | sed -n 's/^NodeName=[^ ]* //p' | sed 's/ UpTime=.*//')
[ -n "$node" ] || node="CPUs=$(nproc)"
cat >"$work/slurm.conf" <<EOF
ClusterName=attentionlab
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=sweeps Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 || { echo "error: slurmctld did not start: $(tail -n 3 "$work/slurmctld.log" "$work/slurmctld.out" 2>/dev/null | tr '\n' ' ')" >&2; exit 1; }
slurmd -f "$SLURM_CONF" -N "$host" >"$work/slurmd.out" 2>&1 || { echo "error: slurmd did not start: $(tail -n 3 "$work/slurmd.log" "$work/slurmd.out" 2>/dev/null | tr '\n' ' ')" >&2; exit 1; }
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1)
  case "$state" in idle*|mixed*|allocated*) break ;; esac
  sleep 1
done
if [ "${state:-}" = idle ] || [ "${state:-}" = mixed ]; then pass; else
  echo "error: the Slurm node did not come up (state '${state:-none}'): $(tail -n 3 "$work/slurmd.log" "$work/slurmctld.log" 2>/dev/null | tr '\n' ' ')" >&2
  exit 1
fi

cat >"$work/tiny.yaml" <<EOF
name: slurm-tiny
base: $ROOT/configs/rnope-swa.yaml
set: {embed_dim: 16, hidden_size: 16, num_hidden_layers: 2, intermediate_size: 32}
grid:
  position_embedding: [none, rope, alibi]
speed: {lengths: [16], iterations: 2, warmup: 1}
analyses: {length: 16, batch: 1, shift: 4}
EOF
out="$work/out"
"$RUN" sweep "$work/tiny.yaml" --out "$out" --slurm --shards 2 >"$work/slurm-script.log" 2>&1 && pass || fail "--slurm: $(tail -n 2 "$work/slurm-script.log")"
job=$(sbatch --parsable "$out/sweep.sbatch" 2>"$work/sbatch.err")
if [ -n "$job" ]; then pass; else fail "sbatch: $(cat "$work/sbatch.err")"; fi
echo "   submitted job array $job (2 tasks) to the single-node Slurm on $host"
for _ in $(seq 1 600); do
  [ -z "$(squeue -h -j "${job%%;*}" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "${job%%;*}" 2>/dev/null)" ] && pass || fail "job $job still queued or running after 10 minutes"
if [ -s "$out/results.0of2.jsonl" ] && [ -s "$out/results.1of2.jsonl" ]; then pass; else
  fail "each array task writes its shard's results: $(ls "$out"; cat "$out"/slurm-*.out 2>/dev/null | tail -n 5)"
fi
"$RUN" sweep "$work/tiny.yaml" --out "$work/whole" >"$work/whole.log" 2>&1 || fail "the unsharded run: $(tail -n 2 "$work/whole.log")"
"$RUN" report "$out" >"$work/report.log" 2>&1 && pass || fail "report over the shards: $(tail -n 2 "$work/report.log")"
merged=$(/usr/bin/python3 "$ROOT/scripts/lib/rows-without-timing.py" "$out"/results.*of2.jsonl)
whole=$(/usr/bin/python3 "$ROOT/scripts/lib/rows-without-timing.py" "$work/whole/results.jsonl")
if [ -n "$merged" ] && [ "$merged" = "$whole" ] && [ "$(grep -c '"status": "ok"' <<<"$merged")" -eq 3 ]; then pass; else
  fail "the shards' merged rows differ from an unsharded run's"; diff <(echo "$whole") <(echo "$merged") | head -n 4 | cut -c 1-200
fi
grep -q 'plots decoded' "$out/report.html" && pass || fail "no report.html over the merged shards"
echo "slurm: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
