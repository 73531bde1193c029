#!/usr/bin/python3
"""simpy_hold: the engine "hold model" benchmark written against SimPy, a peer that
bench/peers/run.sh compares kubesim's event queue with (`make bench-peers`).

The hold model (Vaucher & Duval, CACM 1975): N events are pending, initially at
0 + Exp(mean 1 us) each; every event, when it fires, schedules exactly one new event at
now + Exp(mean 1 us), truncated to integer nanoseconds, so N events stay pending for the
whole run. We report events fired per second of wall time.

This is SimPy as Debian 12 ships it (python3-simpy 2.3.1, the SimPy 2 API). The natural
SimPy hold model is N processes, each looping on `yield hold, self, delay`: every pending
hold is one entry in SimPy's event list (a heapq of [time, sequence, process, cancelled]
keyed by (time, insertion order), the same order kubesim and ns-3 use). Why the comparison
is fair:
  - Same model, sizes, delay distribution, time unit and protocol as kubesim's
    EngineHold/<N> (bench/engine_bench.cpp) and bench/peers/ns3_hold.cc: N initial events
    (setup, untimed), warm-up events (untimed), then the timed run. Delays come from
    Python's `random.expovariate` (Mersenne Twister in C + inverse CDF), the natural and
    cheapest way in Python.
  - Run with Debian's /usr/bin/python3 (CPython 3.11), the interpreter the package is
    installed for, without -O, as users run it.
  - Only the run is timed, not creating and activating the N processes, nor the warm-up.
    After setup the garbage collector is told to ignore the N long-lived processes
    (gc.freeze); otherwise its full collections, which walk them all, would add a cost
    that grows with N and is an artefact of the benchmark, not of SimPy's event list.
  - The timed run lasts at least --min-events and --min-seconds, at most --max-seconds.
    SimPy is 5-50x slower than ns-3 and more so than kubesim here, so it runs fewer
    events: warm-up min(2 x N, 2^17) and timed min(N, 2^18) events by default, instead of
    2 x N and N. At N = 1,048,576 (~1.7 GB of process objects) that is about 20 s in all
    on an idle machine instead of about 90 s; rates measured over successive windows of
    N/4 events there show no warm-up trend (SimPy's cost per event is dominated by
    interpreter work and cache misses, not by the shape of its heap). A run cut short by
    --max-seconds says so ("truncated"), and a size whose setup alone would exceed
    --max-setup-seconds is reported as skipped with the reason, never silently dropped.

Usage: simpy_hold.py [--pending N ...] [--warmup-events W] [--min-events M]
                     [--min-seconds S] [--max-seconds S] [--max-setup-seconds S]
Output: one JSON line per size on stdout, e.g.
  {"engine":"simpy","pending":1000,"events":...,"seconds":...,"events_per_second":...}
"""

import argparse
import gc
import json
import random
import sys
import time

try:
    import SimPy
    from SimPy.Simulation import Process, Simulation, hold
except ImportError:
    sys.exit("simpy_hold.py: SimPy 2 not importable by %s (Debian package python3-simpy; "
             "run scripts/install-deps.sh --peers and use /usr/bin/python3)" % sys.executable)

MEAN_NS = 1000.0


class HoldModel:
    """Shared state of the N hold processes: the delay stream and the stop rule."""

    def __init__(self, sim, seed):
        self.sim = sim
        self.rng = random.Random(seed)
        self.fired = 0
        # The stop rule; start_timing() arms it. Until then (setup, warm-up) it never fires.
        self.start = time.perf_counter()
        self.min_events = self.min_seconds = self.max_seconds = float("inf")

    def start_timing(self, min_events, min_seconds, max_seconds):
        self.fired = 0
        self.min_events, self.min_seconds, self.max_seconds = \
            min_events, min_seconds, max_seconds
        self.start = time.perf_counter()

    def draw(self):
        """One delay in integer nanoseconds (truncated, as kubesim's Duration cast is)."""
        return int(self.rng.expovariate(1.0 / MEAN_NS))

    def should_stop(self):
        elapsed = time.perf_counter() - self.start
        return (self.fired >= self.min_events and elapsed >= self.min_seconds) or \
            elapsed >= self.max_seconds


class Holder(Process):
    """One of the N processes: holds for Exp(1 us), fires, repeats forever."""

    def run(self, model):
        # Locals, not attribute lookups, in the loop: what a careful SimPy user writes.
        draw = model.draw
        check_every = 4096
        while True:
            yield hold, self, draw()
            # The successor is posted at the next `yield`; the stop rule is checked once
            # per check_every events, and stopSimulation() ends the run after this event.
            model.fired += 1
            if model.fired % check_every == 0 and model.should_stop():
                model.sim.stopSimulation()


def run_one(pending, warmup_events, min_events, min_seconds, max_seconds, seed):
    sim = Simulation()
    model = HoldModel(sim, seed)
    t0 = time.perf_counter()
    for _ in range(pending):
        p = Holder(name="h", sim=sim)
        # The first hold: 0 + Exp(mean), as in the other peers.
        sim.activate(p, p.run(model), delay=model.draw())
    setup = time.perf_counter() - t0
    gc.collect()
    gc.freeze()
    # Warm-up: SimPy's own step() for exactly warmup_events events, untimed.
    step = sim.step
    for _ in range(warmup_events):
        step()
    # Wall time is the measure; CPU time of the process is reported too, as it is less
    # disturbed when other work shares the machine (it is what Google Benchmark reports).
    cpu_start = time.process_time()
    model.start_timing(min_events, min_seconds, max_seconds)
    sim.simulate(until=1 << 62)
    elapsed = time.perf_counter() - model.start
    cpu = time.process_time() - cpu_start
    gc.unfreeze()
    result = {
        "engine": "simpy",
        "pending": pending,
        "events": model.fired,
        "seconds": round(elapsed, 6),
        "events_per_second": round(model.fired / elapsed, 1),
        "cpu_seconds": round(cpu, 6),
        "events_per_cpu_second": round(model.fired / cpu, 1),
        "setup_seconds": round(setup, 6),
        "warmup_events": warmup_events,
        "simulated_ns": sim.now(),
        "simpy_version": SimPy.__version__,
        "python": "%d.%d.%d" % sys.version_info[:3],
    }
    if model.fired < min_events:
        result["truncated"] = "stopped at --max-seconds %g before --min-events %d" % (
            max_seconds, min_events)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pending", type=int, nargs="+", default=[1000, 65536, 1048576])
    ap.add_argument("--warmup-events", type=int, default=-1, help="-1 = min(2 x N, 2^17)")
    ap.add_argument("--min-events", type=int, default=0, help="0 = min(N, 2^18)")
    ap.add_argument("--min-seconds", type=float, default=5.0)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--max-setup-seconds", type=float, default=60.0,
                    help="skip a size whose estimated setup exceeds this")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    setup_per_process = None  # seconds, measured on the previous size
    for n in args.pending:
        if setup_per_process is not None and n * setup_per_process > args.max_setup_seconds:
            print(json.dumps({"engine": "simpy", "pending": n, "skipped":
                              "estimated setup %.0f s > --max-setup-seconds %.0f" %
                              (n * setup_per_process, args.max_setup_seconds)}), flush=True)
            continue
        warmup = args.warmup_events if args.warmup_events >= 0 else min(2 * n, 1 << 17)
        min_events = args.min_events or min(n, 1 << 18)
        result = run_one(n, warmup, min_events, args.min_seconds, args.max_seconds, args.seed)
        setup_per_process = result["setup_seconds"] / n
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
