#!/usr/bin/env python3
"""Puts fixed bugs back, one at a time, and measures how long the fuzzer takes to find each.

Each bug is a patch in fuzz/reintroduced/<name>.patch, made with `git diff` against the headers
it reintroduces the old behaviour in. Its first lines say what it is (`git apply` ignores them):

    # Bug: what goes wrong
    # Rule: the SPEC rules it breaks
    # Fixed by: the commit(s) that fixed it
    # Target: the fuzz target whose campaign looks for it (channel, select, timer, all)
    # Build: extra compiler definitions (optional), e.g. -DRILL_LIST_BLOCK_CAPACITY=4
    # Memory: sc, weak or input (optional; default input: the input's flag)
    # Fuzzer: cannot express it: why, and which layer catches it (optional)

For each patch: a temporary `git worktree` at the base revision (default HEAD), the patch
applied there, fuzz/replay built there (g++, -O2, the sim backend, as fuzz/CMakeLists.txt does),
and a seeded campaign run in chunks until the first failure or the budget (executions, seconds).
A failure is confirmed by replaying the same input with the unpatched replay: if that fails too,
it is the base's own failure, not the bug's: it is counted and the campaign goes on after it.
The table goes to stdout and, with --update-doc, between the `reintroduced` markers of
docs/fuzzing.md.

    python3 fuzz/reintroduce.py                      # every patch, 200,000 executions / 180 s each
    python3 fuzz/reintroduce.py --only held-slot-spin --executions 20000
    python3 fuzz/reintroduce.py --update-doc docs/fuzzing.md
    python3 fuzz/reintroduce.py --check              # every patch still applies (CTest, lint)

Bugs with no patch (the fuzzer cannot express them) are listed in NOT_EXPRESSIBLE below and get a
row of their own.

Run it with `nice -n 10` on a shared machine: the campaigns run one at a time, on one core.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATCHES = ROOT / "fuzz" / "reintroduced"
BEGIN = "<!-- reintroduced:begin -->"
END = "<!-- reintroduced:end -->"
CHUNK = 10000  # executions per replay call; the budget in seconds is checked between chunks

# Bugs of the same fixes that no patch can show to the fuzzer: (bug, rule, fixed by, why, caught by).
NOT_EXPRESSIBLE = [
    ("a rendezvous hand-off wakes its partner before the message has moved; a higher-priority "
     "partner then spins on the packet for ever (SCHED_FIFO, one CPU)",
     "R19", "9ac5117 (re-landed as 7cccdc0)",
     "the sim scheduler has no priorities, and a spinning thread ends its run (docs/fuzzing.md, "
     "\"Where decisions come from\"), so the partner always gets to finish the move",
     "unit: rendezvous.a_hand_off_completes_when_a_higher_priority_partner_shares_the_cpu "
     "(skipped without CAP_SYS_NICE)"),
    ("at(t) for a steady_clock time point of another duration takes the other-clock path",
     "R40", "5cbcf5a",
     "the fuzz programs make timers from the sim clock's own time_point type",
     "unit: timer_test (at() of another duration)"),
]


def metadata(patch):
    fields = {}
    for line in patch.read_text().splitlines():
        if line.startswith("diff --git"):
            break
        match = re.match(r"# ([A-Za-z ]+): (.*)", line)
        if match:
            fields[match.group(1).strip().lower()] = match.group(2).strip()
    return fields


def run(command, cwd=None, timeout=None):
    return subprocess.run(command, cwd=cwd, timeout=timeout, text=True, capture_output=True)


def check(patches):
    """git apply --check of every patch against the source tree: a patch that no longer applies
    has gone stale (the code it changes moved) and must be made again."""
    if shutil.which("git") is None:
        print("git not found: skipped")
        return 77
    stale = 0
    for patch in patches:
        result = run(["git", "apply", "--check", str(patch)], cwd=ROOT)
        if result.returncode != 0:
            stale += 1
            print(f"STALE {patch.name}: {result.stderr.strip()}")
        else:
            print(f"ok {patch.name}")
    for patch in patches:
        missing = [key for key in ("bug", "rule", "fixed by", "target") if key not in metadata(patch)]
        if missing:
            stale += 1
            print(f"INCOMPLETE {patch.name}: no {', '.join(missing)} line")
    print(f"{len(patches) - stale} of {len(patches)} patches apply and are described")
    return 0 if stale == 0 else 1


def build(tree, output, defines, compiler):
    command = [compiler, "-std=gnu++23", "-O2", "-Wall", "-Wextra", "-Werror", "-DRILL_SYNC_BACKEND_SIM",
               "-DRILL_LIST_BLOCK_CAPACITY=3", *defines, f"-I{tree / 'impl' / 'include'}",
               str(tree / "fuzz" / "replay.cpp"), "-o", str(output)]
    # A later -D of the same macro wins for GCC and clang, but warns; drop the default if overridden.
    if any(d.startswith("-DRILL_LIST_BLOCK_CAPACITY=") for d in defines):
        command.remove("-DRILL_LIST_BLOCK_CAPACITY=3")
    result = run(command)
    if result.returncode != 0:
        raise RuntimeError(f"build failed:\n{result.stderr[-3000:]}")


def campaign(replay, base_replay, target, memory, seed, executions, seconds, save):
    """Runs chunks of the seeded campaign. Returns (found, execution, elapsed, reason, own):
    `own` counts failures the unpatched replay has too, which are skipped."""
    done = 0
    elapsed = 0.0
    own = 0
    extra = [] if memory == "input" else ["--memory", memory]
    while done < executions:
        chunk = min(CHUNK, executions - done)
        began = time.monotonic()
        result = run([str(replay), "--campaign", str(chunk), "--seed", str(seed + done), "--target", target,
                      "--save", str(save), *extra], timeout=max(seconds - elapsed, 1) + 60)
        took = time.monotonic() - began
        failed = re.search(r"FAILED at execution (\d+) \(seed (\d+)\): (.*)", result.stdout)
        if failed:
            at = int(failed.group(1))
            elapsed += took  # to the failure: the chunk stops there
            input_file = save / f"seed-{failed.group(2)}"
            again = run([str(base_replay), "--target", target, *extra, str(input_file)])
            if again.returncode == 0:
                return True, done + at, elapsed, f"{failed.group(3).strip()} (seed {failed.group(2)})", own
            # The base fails on this input too: not the bug's doing. Go on after it.
            own += 1
            print(f"  seed {failed.group(2)} fails without the patch too: {failed.group(3).strip()}",
                  file=sys.stderr, flush=True)
            done += at
            if elapsed >= seconds:
                break
            continue
        if result.returncode != 0:
            raise RuntimeError(f"replay failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        done += chunk
        elapsed += took
        if elapsed >= seconds:
            break
    return False, done, elapsed, "", own


def table(rows, executions, seconds, seed):
    lines = [
        "| bug | rule | fixed by | target | found at execution | seconds | what the fuzzer reported |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(f"reintroduced: {sum(1 for r in rows if r[4].replace(',', '').isdigit())} "
                 f"of {len(rows)} found; budget {executions:,} executions or {seconds} s per bug, "
                 f"seeds from {seed}, one campaign at a time (`fuzz/reintroduce.py`)")
    return "\n".join(lines)


def update_doc(doc, text):
    content = doc.read_text()
    if BEGIN not in content or END not in content:
        raise SystemExit(f"{doc}: no {BEGIN} ... {END} markers")
    before, rest = content.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    doc.write_text(before + BEGIN + "\n" + text + "\n" + END + after)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that every patch applies")
    parser.add_argument("--only", action="append", default=[], help="a patch name (repeatable)")
    parser.add_argument("--executions", type=int, default=200000, help="budget per bug (default 200000)")
    parser.add_argument("--seconds", type=float, default=180, help="budget per bug (default 180)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--base", default="HEAD", help="the revision the patches apply to (default HEAD)")
    parser.add_argument("--compiler", default=os.environ.get("CXX", "g++"))
    parser.add_argument("--update-doc", type=Path, help="write the table into this file, between the markers")
    parser.add_argument("--keep", action="store_true", help="keep the worktrees and saved inputs")
    parser.add_argument("--require-found", action="store_true",
                        help="exit 1 if a bug the fuzzer can express (no `Fuzzer:` line) is not found")
    args = parser.parse_args()

    patches = sorted(PATCHES.glob("*.patch"))
    if args.only:
        patches = [p for p in patches if p.stem in args.only]
        if len(patches) != len(args.only):
            raise SystemExit(f"unknown patch among {args.only}")
    if args.check:
        return check(patches)

    scratch = Path(tempfile.mkdtemp(prefix="rill-reintroduce-"))
    worktrees = []

    def worktree(name):
        path = scratch / name
        result = run(["git", "worktree", "add", "--detach", str(path), args.base], cwd=ROOT)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        worktrees.append(path)
        return path

    rows = []
    missed = []
    try:
        base = worktree("base")
        base_replays = {}

        def base_replay(defines):
            key = tuple(defines)
            if key not in base_replays:
                output = scratch / f"replay-base-{len(base_replays)}"
                build(base, output, defines, args.compiler)
                base_replays[key] = output
            return base_replays[key]

        for patch in patches:
            info = metadata(patch)
            defines = info.get("build", "").split()
            target = info.get("target", "all")
            memory = info.get("memory", "input")
            print(f"{patch.stem}: building", file=sys.stderr, flush=True)
            tree = worktree(patch.stem)
            applied = run(["git", "apply", str(patch)], cwd=tree)
            if applied.returncode != 0:
                raise RuntimeError(f"{patch.name} does not apply: {applied.stderr}")
            replay = scratch / f"replay-{patch.stem}"
            build(tree, replay, defines, args.compiler)
            save = scratch / f"found-{patch.stem}"
            print(f"{patch.stem}: campaign ({target}, memory {memory})", file=sys.stderr, flush=True)
            found, at, elapsed, reason, own = campaign(replay, base_replay(defines), target, memory, args.seed,
                                                        args.executions, args.seconds, save)
            fuzzer = info.get("fuzzer", "")
            note = f"; {own} failure(s) of the unpatched headers skipped" if own else ""
            if found:
                outcome, what = f"{at:,}", reason.replace("|", "\\|") + note
            else:
                outcome = f"not found in {at:,}"
                if not fuzzer:
                    missed.append(patch.stem)
                what = (fuzzer.replace("|", "\\|") if fuzzer else "nothing") + note
            print(f"{patch.stem}: {outcome} ({elapsed:.1f} s) {what}", file=sys.stderr, flush=True)
            rows.append([f"{info.get('bug', patch.stem)} (`{patch.name}`)", info.get("rule", "?"),
                         info.get("fixed by", "?"), target + ("" if memory == "input" else f", {memory}"),
                         outcome, f"{elapsed:.1f}", what])
        if not args.only:
            for bug, rule, fixed, why, caught in NOT_EXPRESSIBLE:
                rows.append([bug + " (no patch)", rule, fixed, "-", "not expressible", "-",
                             f"cannot express it: {why}. Caught by {caught}"])
    finally:
        if not args.keep:
            for path in worktrees:
                run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT)
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"kept {scratch}", file=sys.stderr)

    text = table(rows, args.executions, args.seconds, args.seed)
    # The summary first, as well: CTest keeps only the start of a passing test's output.
    print(text.splitlines()[-1])
    print(text)
    if args.update_doc:
        update_doc(args.update_doc, text)
    if args.require_found and missed:
        print(f"not found: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
