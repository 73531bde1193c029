#!/usr/bin/env bash
# run.sh BUILD_DIR — the engine peer comparison behind `make bench-peers`.
#
# Runs the same "hold model" (N pending events, each firing schedules one successor at
# now + Exp(mean 1 us)) on kubesim's engine (BUILD_DIR/bin/kubesim-bench, EngineHold/<N>),
# on ns-3 3.37 with its MapScheduler and HeapScheduler (ns3_hold.cc, built here with g++
# into BUILD_DIR/bench/peers/, never by the main CMake build) and on SimPy 2.3.1
# (simpy_hold.py), one after another so they never compete for the CPU. Prints a table of
# events per second of wall time and kubesim's speed-up over each peer (and the same per
# CPU second, steadier on a shared machine), and writes every result to
# BUILD_DIR/bench/peers.json. Takes about 2 minutes on an idle machine, more under load,
# when the numbers are also noisy: compare runs made under the same conditions.
#
# Environment (all optional):
#   PEERS_SIZES="1000 65536 1048576"  pending-event counts N to run
#   PEERS_MIN_SECONDS=3               minimum timed seconds per ns-3 run
#   PEERS_SIMPY_MIN_SECONDS=5         minimum timed seconds per SimPy run
#   KUBESIM_BENCH=path                kubesim-bench binary (default BUILD_DIR/bin/kubesim-bench)
set -euo pipefail

die() { echo "bench-peers: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
out_dir="$build_dir/bench/peers"
sizes=${PEERS_SIZES:-"1000 65536 1048576"}
ns3_min_seconds=${PEERS_MIN_SECONDS:-3}
simpy_min_seconds=${PEERS_SIMPY_MIN_SECONDS:-5}
kubesim_bench=${KUBESIM_BENCH:-"$build_dir/bin/kubesim-bench"}
# SimPy is installed for Debian's interpreter only (python3 on PATH may be another one).
python=/usr/bin/python3

# --- prerequisites -------------------------------------------------------------------------
hint="run scripts/install-deps.sh --peers (or make bench-peers)"
[ -x "$python" ] || die "Debian's /usr/bin/python3 not found: $hint"
command -v g++ >/dev/null || die "g++ not found: run scripts/install-deps.sh"
if [ ! -f /usr/include/ns3/simulator.h ] || ! ls /usr/lib/*/libns3-core.so >/dev/null 2>&1; then
  die "libns3-dev not installed: $hint"
fi
"$python" -c 'import SimPy.Simulation' 2>/dev/null ||
  die "python3-simpy not installed (SimPy 2 is not importable by $python): $hint"
[ -x "$kubesim_bench" ] || die "$kubesim_bench not found: build kubesim first (make build)"
for n in $sizes; do
  case "$n" in ''|*[!0-9]*) die "PEERS_SIZES must be positive integers, got '$n'" ;; esac
done

mkdir -p "$out_dir"
ns3_version=$(dpkg-query -W -f='${Version}' libns3-dev 2>/dev/null || echo unknown)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- build the ns-3 peer (only when the source changed) ------------------------------------
ns3_bin="$out_dir/ns3_hold"
if [ ! -x "$ns3_bin" ] || [ "$here/ns3_hold.cc" -nt "$ns3_bin" ]; then
  echo "bench-peers: building $ns3_bin (g++ -O2 -DNDEBUG, ns-3 $ns3_version)"
  g++ -std=c++20 -O2 -DNDEBUG -Wall -Wextra -Wpedantic "$here/ns3_hold.cc" \
    -o "$ns3_bin" -lns3-core
fi

# --- run, one engine at a time --------------------------------------------------------------
echo "bench-peers: kubesim (EngineHold/*)"
"$kubesim_bench" --benchmark_filter='^EngineHold/' --benchmark_format=json \
  >"$out_dir/kubesim.json"

: >"$out_dir/ns3.jsonl"
for n in $sizes; do
  for scheduler in map heap; do
    echo "bench-peers: ns-3 $scheduler, N=$n"
    "$ns3_bin" --scheduler="$scheduler" --pending="$n" --min-seconds="$ns3_min_seconds" \
      | tee -a "$out_dir/ns3.jsonl"
  done
done

echo "bench-peers: SimPy, N=$sizes"
# shellcheck disable=SC2086  # $sizes is a list of numbers on purpose
"$python" "$here/simpy_hold.py" --pending $sizes --min-seconds "$simpy_min_seconds" \
  | tee "$out_dir/simpy.jsonl"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- table and peers.json -------------------------------------------------------------------
"$python" - "$out_dir" "$build_dir/bench/peers.json" "$sizes" "$ns3_version" \
  "$load_before" "$load_after" <<'EOF'
import datetime, json, os, platform, statistics, sys

out_dir, json_path, sizes, ns3_version, load_before, load_after = sys.argv[1:]
sizes = [int(s) for s in sizes.split()]

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

# kubesim: Google Benchmark JSON, benchmarks named EngineHold/<N>[/...]. items_per_second
# is events per CPU second unless the benchmark uses UseRealTime() (name ends /real_time);
# the peers measure wall time, so both rates are derived from real_time and cpu_time.
# With --benchmark_repetitions the median of the iteration runs is taken.
with open(os.path.join(out_dir, "kubesim.json")) as f:
    gbench = json.load(f)
per_size = {}
for b in gbench.get("benchmarks", []):
    parts = b.get("name", "").split("/")
    if parts[0] != "EngineHold" or len(parts) < 2 or not parts[1].isdigit():
        continue
    if b.get("run_type", "iteration") != "iteration" or "items_per_second" not in b:
        continue
    ips, real, cpu = b["items_per_second"], b.get("real_time"), b.get("cpu_time")
    if not real or not cpu:
        wall_rate = cpu_rate = ips
    elif "real_time" in parts:
        wall_rate, cpu_rate = ips, ips * real / cpu
    else:
        wall_rate, cpu_rate = ips * cpu / real, ips
    per_size.setdefault(int(parts[1]), []).append((wall_rate, cpu_rate))
kubesim = {n: {"wall": statistics.median(r[0] for r in v),
               "cpu": statistics.median(r[1] for r in v)} for n, v in per_size.items()}

def read_jsonl(name):
    with open(os.path.join(out_dir, name)) as f:
        return [json.loads(line) for line in f if line.strip()]

peer_rows = read_jsonl("ns3.jsonl") + read_jsonl("simpy.jsonl")
peers = {}  # (engine, N) -> row
for row in peer_rows:
    peers[(row["engine"], row["pending"])] = row

ENGINES = ("ns3-map", "ns3-heap", "simpy")
KEYS = {"wall": "events_per_second", "cpu": "events_per_cpu_second"}

def summarise(clock):
    rows = []
    for n in sizes:
        s = {"pending": n, "kubesim": kubesim.get(n, {}).get(clock)}
        for engine in ENGINES:
            s[engine] = peers.get((engine, n), {}).get(KEYS[clock])
        ns3 = [r for r in (s["ns3-map"], s["ns3-heap"]) if r]
        s["ns3-best"] = max(ns3) if ns3 else None
        for engine in ("ns3-map", "ns3-heap", "ns3-best", "simpy"):
            s["kubesim_over_" + engine] = (s["kubesim"] / s[engine]
                                           if s["kubesim"] and s[engine] else None)
        rows.append(s)
    return rows

def fmt_rate(r):
    return "n/a" if r is None else "%.3gM" % (r / 1e6) if r >= 1e6 else "%.3gk" % (r / 1e3)

def fmt_ratio(x):
    return "n/a" if x is None else "%.1fx" % x

def print_table(title, rows):
    print()
    print(title)
    print("%-10s %9s %9s %9s %9s %8s %8s %13s %9s" % (
        "N pending", "kubesim", "ns3-map", "ns3-heap", "simpy",
        "vs map", "vs heap", "vs best ns-3", "vs simpy"))
    for s in rows:
        print("%-10d %9s %9s %9s %9s %8s %8s %13s %9s" % (
            s["pending"], fmt_rate(s["kubesim"]), fmt_rate(s["ns3-map"]),
            fmt_rate(s["ns3-heap"]), fmt_rate(s["simpy"]),
            fmt_ratio(s["kubesim_over_ns3-map"]), fmt_ratio(s["kubesim_over_ns3-heap"]),
            fmt_ratio(s["kubesim_over_ns3-best"]), fmt_ratio(s["kubesim_over_simpy"])))

summary = {"wall": summarise("wall"), "cpu": summarise("cpu")}
print_table("Hold model: events per second of wall time (higher is better); "
            "speed-up = kubesim / peer", summary["wall"])
print_table("Same runs, events per CPU second of the process (steadier on a busy machine)",
            summary["cpu"])
print()
for row in peer_rows:
    for why in ("skipped", "truncated"):
        if why in row:
            print("note: %s N=%d %s: %s" % (row["engine"], row["pending"], why, row[why]))
for n in sizes:
    if n not in kubesim:
        print("note: kubesim-bench reported no EngineHold/%d" % n)
print("load average before/after: %s / %s (%d CPUs; numbers are noisy when it is near or "
      "above that)" % (load_before, load_after, os.cpu_count()))

result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": {"cpu": cpu_model(), "nproc": os.cpu_count(), "kernel": platform.release(),
                "loadavg_before": load_before, "loadavg_after": load_after},
    "versions": {"ns3": ns3_version, "python": platform.python_version()},
    "summary": summary,
    "kubesim": gbench,
    "peers": peer_rows,
}
with open(json_path, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
print("wrote %s" % json_path)
EOF
