#!/usr/bin/env python3
"""Channels between coroutines, side by side: rill through rill/asio.hpp, Asio's own
asio::experimental::concurrent_channel (both from bench/cpp/async_bench.cpp) and Go's goroutines
(bench/go, GOMAXPROCS set to the executor's thread count), in interleaved rounds.

    bench/coroutines.py [--rounds N] [--messages N] [--blocking-messages N]

Needs bench/run's builds (build/bench/cpp/async_bench, build/bench/bin/go_chan): run `bench/run
--quick --only nothing` once, or bench/run itself. Prints a Markdown table of medians and the
ratios rill / Go and rill / Asio's channel (below 1: rill is faster). Wall time of the whole
workload, as in bench/run; an otherwise idle machine, please.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASYNC_BENCH = ROOT / "build" / "bench" / "cpp" / "async_bench"
GO_CHAN = ROOT / "build" / "bench" / "bin" / "go_chan"
CASES = ["bounded0_spsc", "bounded1_spsc", "pingpong", "bounded0_mpmc", "bounded1_mpmc", "bounded_spsc", "bounded_mpmc"]
THREADS = [1, 2]
LINE = re.compile(r"^(\S+)\s+(\S+)\s+([0-9.]+) sec$")


def seconds_of(command, env=None):
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env, timeout=600).stdout
    found = {}
    for line in output.splitlines():
        match = LINE.match(line.strip())
        if match:
            found[match.group(2)] = float(match.group(3))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2_000_000, help="buffered cases")
    parser.add_argument("--blocking-messages", type=int, default=250_000, help="capacity 0 and 1, pingpong")
    arguments = parser.parse_args()
    for program in (ASYNC_BENCH, GO_CHAN):
        if not program.exists():
            sys.exit(f"coroutines: {program} is not built (run bench/run once)")
    times = {}
    for round_number in range(arguments.rounds):
        for threads in THREADS:
            for case in CASES:
                messages = arguments.messages if case.startswith("bounded_") else arguments.blocking_messages
                for implementation in ("rill", "asio_channel"):
                    result = seconds_of([str(ASYNC_BENCH), "--threads", str(threads), "--messages", str(messages),
                                         case, implementation])
                    times.setdefault((threads, case, implementation), []).append(result[implementation])
                env = dict(os.environ, GOMAXPROCS=str(threads))
                result = seconds_of([str(GO_CHAN), "-messages", str(messages), case], env=env)
                times.setdefault((threads, case, "go_chan"), []).append(result["go_chan"])
        print(f"coroutines: round {round_number + 1} of {arguments.rounds} done", file=sys.stderr)
    print("| threads | case | messages | rill (s) | Asio channel (s) | Go (s) | rill / Go | rill / Asio |")
    print("|---|---|---|---|---|---|---|---|")
    for threads in THREADS:
        for case in CASES:
            messages = arguments.messages if case.startswith("bounded_") else arguments.blocking_messages
            rill, asio, go = (statistics.median(times[(threads, case, name)]) for name in ("rill", "asio_channel", "go_chan"))
            print(f"| {threads} | {case} | {messages:,} | {rill:.3f} | {asio:.3f} | {go:.3f} | {rill / go:.2f} | {rill / asio:.2f} |")


if __name__ == "__main__":
    main()
