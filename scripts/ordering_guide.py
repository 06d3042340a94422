#!/usr/bin/env python3
"""Keeps docs/memory-ordering.md true: its traces come from real Relacy runs, and it covers every
ordering site of the library.

A trace in the guide is a block

    <!-- trace: relacy_scenarios --scenario close_visibility_array --mutate array.publish=relaxed -->
    ```
    ...generated...
    ```
    <!-- /trace -->

    python3 scripts/ordering_guide.py --binaries build/dev/verify/relacy --update
        re-runs every block's command (the program is looked up in --binaries) and rewrites the
        block with the steps that matter: the last steps before the failure that run in rill's
        headers or the scenario, each with its thread, what it did, file(line), and the ordering
        site the line uses (its name and edge label, "weakened" for the mutated one).
    python3 scripts/ordering_guide.py --check [--binaries DIR]
        changes nothing; fails if an ordering site of impl/include/rill/detail (the sites
        bank.py finds) is not named in the guide, if an edge label such as (A6) belongs to two
        sites, or (with --binaries) if a trace is not what its command prints today.

Standard library only. ctest -L lint runs --check with the Relacy binaries of the build.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "memory-ordering.md"
DETAIL = ROOT / "impl" / "include" / "rill" / "detail"
SCENARIOS = ROOT / "verify" / "relacy"
SITE = re.compile(r'(\w+)\s*=\s*sync::ordering_site\("([a-z_]+\.[a-z_]+)",\s*std::memory_order_(\w+)\)\s*;\s*(?://\s*\(([^)]+)\))?')
BLOCK = re.compile(r"(<!-- trace: (.+?) -->\n)(.*?)(<!-- /trace -->)", re.DOTALL)
STEP = re.compile(r"^\[(\d+)\] (\d+): (.*), in .*?, (\S+)\((\d+)\)$")
FAILURE = re.compile(r"(DATA RACE|ASSERT|LEAK|DEADLOCK|LIVELOCK|ACCESS|DOUBLE FREE|UNINITIALIZED|USER ASSERT)")
KEEP_STEPS = 8


def sites(include_checks: bool = False) -> dict[str, tuple[str, str, str, str]]:
    """Constant name (namespace::name) -> (site name, order, edge label, file) for every named site
    of the library; with include_checks, also those of the Relacy checks' own programs."""
    found = {}
    files = [header for header in sorted(DETAIL.rglob("*.hpp")) if "sync" not in header.relative_to(DETAIL).parts]
    if include_checks:
        files += sorted(SCENARIOS.glob("*.cpp")) + sorted(SCENARIOS.glob("*.hpp"))
    for header in files:
        text = re.sub(r"=\s*\n\s*", "= ", header.read_text(encoding="utf-8"))
        namespace = ""
        for line in text.splitlines():
            if opened := re.match(r"namespace (\w+_order) \{", line):
                namespace = opened.group(1)
            if match := SITE.search(line):
                key = f"{namespace}::{match.group(1)}" if namespace else match.group(1)
                found[key] = (match.group(2), match.group(3), match.group(4) or "", str(header.relative_to(ROOT)))
    return found


def annotate(file: str, line: int, known: dict[str, tuple[str, str, str, str]], mutated: str) -> str:
    """The ordering site(s) a source line uses, as 'name (label)', marking the mutated one."""
    path = ROOT / file
    if not path.exists():
        return ""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not 0 < line <= len(lines):
        return ""
    used = []
    for constant, (name, _, label, _) in known.items():
        if re.search(r"\b" + re.escape(constant) + r"\b", lines[line - 1]):
            text = f"{name} ({label})" if label else name
            used.append(text + (", weakened" if name == mutated else ""))
    return "; ".join(used)


def render(command: str, binaries: Path, known: dict[str, tuple[str, str, str, str]]) -> str:
    words = command.split()
    program = binaries / words[0]
    result = subprocess.run([str(program), *words[1:]], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = result.stdout.decode("utf-8", errors="replace")
    mutated = next((word.split("=")[0] for word in words if re.fullmatch(r"[a-z_]+\.[a-z_]+=\w+", word)), "")
    history = output.split("execution history", 1)[1] if "execution history" in output else ""
    headline = next((line for line in output.splitlines() if FAILURE.search(line)), "no failure reported")
    steps = []
    for raw in history.splitlines()[1:]:
        if not raw.startswith("["):
            if steps:
                break  # the whole history ends; per-thread listings follow
            continue
        failure = FAILURE.search(raw)
        match = STEP.match(raw)
        if match:
            file = match.group(4).replace(str(ROOT) + "/", "")
            if file.startswith(("impl/include/rill", "verify/relacy")) and "/sync/" not in file:
                what = re.sub(r"<0x[0-9a-f]+> ", "", match.group(3))
                what = re.sub(r", \(prev value=[^)]*\)", "", what)
                steps.append((f"[{match.group(1)}] {match.group(2)}: {what}", f"{Path(file).name}({match.group(5)})",
                              annotate(file, int(match.group(5)), known, mutated)))
        if failure:
            thread = re.match(r"^\[(\d+)\] (\d+):", raw)
            if thread and not (match and steps and steps[-1][0].startswith(f"[{thread.group(1)}]")):
                steps.append((f"[{thread.group(1)}] {thread.group(2)}: {failure.group(1)}", "", ""))
            break
    steps = steps[-KEEP_STEPS:]
    width = max((len(step) for step, _, _ in steps), default=0)
    place = max((len(where) for _, where, _ in steps), default=0)
    lines = [f"$ {command}", headline.strip()]
    for step, where, note in steps:
        lines.append(f"{step:<{width}}  {where:<{place}}  {note}".rstrip())
    return "```\n" + "\n".join(lines) + "\n```\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", type=Path, help="directory holding relacy_scenarios, relacy_smoke, ...")
    parser.add_argument("--update", action="store_true", help="rewrite the trace blocks of the guide")
    parser.add_argument("--check", action="store_true", help="change nothing; report what is out of date")
    arguments = parser.parse_args(argv)

    guide = GUIDE.read_text(encoding="utf-8")
    known = sites()
    problems = []

    by_label: dict[tuple[str, str], list[str]] = {}
    for constant, (name, _, label, file) in sites(include_checks=True).items():
        if label:
            by_label.setdefault((Path(file).name, label), []).append(name)
    labels: dict[str, set[str]] = {}
    for (_, label), names in by_label.items():
        labels.setdefault(label, set()).update(names)
    for label, names in sorted(labels.items()):
        if len(names) > 1:
            problems.append(f"edge label ({label}) names {len(names)} sites: {', '.join(sorted(names))}")
    named = {name for name, _, _, _ in known.values()}
    for name in sorted(named):
        if not re.search(r"\b" + re.escape(name) + r"\b", guide):
            problems.append(f"the ordering site {name} is not named in docs/memory-ordering.md")

    updated = guide
    if arguments.binaries:
        updated = BLOCK.sub(lambda match: match.group(1) + render(match.group(2), arguments.binaries, known)
                            + match.group(4), guide)
        if updated != guide and arguments.check:
            stale = [match.group(2) for match in BLOCK.finditer(guide)
                     if render(match.group(2), arguments.binaries, known) != match.group(3)]
            for command in stale:
                problems.append(f"trace out of date: {command} (run scripts/ordering_guide.py --binaries DIR --update)")
    if arguments.update and updated != guide:
        GUIDE.write_text(updated, encoding="utf-8")
        print(f"{GUIDE.relative_to(ROOT)}: {len(BLOCK.findall(updated))} traces regenerated")

    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"ordering guide: {len(named)} sites, {len(BLOCK.findall(guide))} traces, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
