#!/usr/bin/env python3
"""Keeps docs/memory-ordering.md true: it covers every ordering site of the library and of the
ledger (docs/orderings.md), its edge labels mean one thing each, and its traces come from real
Relacy runs.

A trace in the guide is a block

    <!-- trace: relacy_scenarios --scenario close_visibility_array --mutate array.publish=relaxed -->
    ```
    ...generated...
    ```
    <!-- /trace sources: 0123456789ab -->

whose body is what the command printed, cut to the steps that matter: the last 8 steps before the
failure (`<!-- trace 10 steps: ... -->` keeps 10) that run in rill's headers or the scenario and
use an ordering site or are plain accesses, allocations or frees (for a deadlock, only those with
a site), each with its thread, what it did, file(line) and the ordering site that line uses (name
and edge label, "weakened" for the mutated one); above a "..." line, up to three earlier steps
that use the weakened site or read a stale value. The closing marker carries a digest of the
source lines the steps cite.

    python3 scripts/ordering_guide.py --check [--self-test]
        Fast (no build, about a second), for ctest -L lint. Changes nothing; fails if
          - an ordering site of impl/include/rill/detail is not named in the guide's text;
          - the guide's site index (between <!-- sites:begin --> and <!-- sites:end -->) differs
            from the sites of docs/orderings.md's table: a site of the ledger missing from the
            index, or an index row for a site the ledger lacks that does not say "not in the
            ledger yet" (or says so although the ledger has it); or the index misses a site of the
            headers, lists one they do not define, gives a wrong edge label or ordering, or points
            to a section that does not name the site;
          - an edge label, such as (A6), is defined for two sites, a label family (the letter) is
            defined in two files, or a label cited in impl/, docs/, verify/ or tests/ is defined
            nowhere; or the guide pairs a site's name with another site's label;
          - a trace is stale: a step cites a line that no longer uses the ordering site the trace
            names, or the text of a cited line changed since the trace was made (the digest).
        --self-test also plants one fault of each kind in a copy of the guide and fails unless
        the check catches every one (so the lint test cannot pass vacuously).
    python3 scripts/ordering_guide.py --update --binaries build/dev/verify/relacy [--source DIR]
        Re-runs every trace block's command (the program is looked up in --binaries) and
        rewrites the blocks and their digests. Needs the Relacy programs (relacy_scenarios,
        relacy_smoke, relacy_seq_cst_fence_limitation) built from the sources the guide
        describes (--source: a tree with the same sources, if this one has uncommitted changes);
        takes as long as the runs do (seconds).
    python3 scripts/ordering_guide.py --check --binaries build/dev/verify/relacy
        The fast check, and also re-runs every command and fails if a trace is not what it
        prints today.

Standard library only.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "memory-ordering.md"
LEDGER = ROOT / "docs" / "orderings.md"
DETAIL = ROOT / "impl" / "include" / "rill" / "detail"
SCENARIOS = ROOT / "verify" / "relacy"
# Where edge labels are cited: every one of them must be defined by some ordering site.
CITING = ["impl", "docs", "verify", "tests"]
# Where a trace's cited files live (a trace names a file by its base name), under the tree checked
# (or, for --update, the tree the Relacy programs were built from: --source).
SOURCES = [Path("impl") / "include" / "rill", Path("verify") / "relacy"]

SITE = re.compile(r'(\w+)\s*=\s*sync(?:_layer)?::ordering_site\("([a-z_]+\.[a-z_]+)",\s*std::memory_order_(\w+)\)\s*;\s*(?://\s*\(([^)]+)\))?')
BLOCK = re.compile(r"^(<!-- trace(?: (\d+) steps)?: (.+?) -->\n)(.*?)(<!-- /trace(?: sources: ([0-9a-f]+))? -->)",
                   re.DOTALL | re.MULTILINE)
STEP = re.compile(r"^\[(\d+)\] (\d+): (.*), in .*?, (\S+)\((\d+)\)$")
FAILURE = re.compile(r"(DATA RACE|ASSERT|LEAK|DEADLOCK|LIVELOCK|ACCESS|DOUBLE FREE|UNINITIALIZED|USER ASSERT)")
VERDICT = re.compile(r"^relacy: .*$", re.MULTILINE)
# A rendered step: "[n] t: what  file.hpp(line)  site (label)[, weakened][; ...]"
RENDERED = re.compile(r"^\[\d+\] \d+: .*?  +(\S+\.(?:hpp|cpp))\((\d+)\)(?:  +(.*))?$")
LABEL = re.compile(r"\(([A-Z][0-9]+[a-z]?)\)")
INDEX = re.compile(r"<!-- sites:begin -->\n(.*?)<!-- sites:end -->", re.DOTALL)
INDEX_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| \(([A-Za-z0-9]+)\) \| (\w+) \| §(\d+) \| (.*)\|$")
LEDGER_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| ([A-Za-z0-9]+) \|", re.MULTILINE)
NOT_IN_LEDGER = "not in the ledger yet"
ORDERS = {"relaxed", "acquire", "release", "acq_rel", "seq_cst"}
KEEP_STEPS = 8


@functools.lru_cache(maxsize=None)
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


@functools.lru_cache(maxsize=None)
def source_file(name: str, root: Path = ROOT) -> Path | None:
    """The file a trace step names by its base name."""
    for directory in SOURCES:
        matches = sorted((root / directory).rglob(name))
        if matches:
            return matches[0]
    return None


@functools.lru_cache(maxsize=None)
def source_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def statement(name: str, line: int, root: Path = ROOT) -> str | None:
    """The source line a trace step cites; if it names no ordering site, with the lines its
    statement continues on (a call wrapped before its ordering argument)."""
    path = source_file(name, root)
    if path is None:
        return None
    lines = source_lines(path)
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    if "_order::" in text or "ordering_site" in text:
        return text
    following = line
    while following < len(lines) and following < line + 3 and not re.search(r"[;{}]\s*(//.*)?$", lines[following - 1]):
        text += " " + lines[following].strip()
        following += 1
    return text


def annotate(text: str, known: dict[str, tuple[str, str, str, str]], mutated: str) -> str:
    """The ordering site(s) a statement uses, in the order it names them, as 'name (label)',
    marking the mutated one."""
    used = []
    for constant, (name, _, label, _) in known.items():
        for match in re.finditer(r"(?<![\w:])" + re.escape(constant) + r"\b", text):
            entry = f"{name} ({label})" if label else name
            entry += ", weakened" if name == mutated else ""
            used.append((match.start(), entry))
    ordered = []
    for _, entry in sorted(used):
        if entry not in ordered:
            ordered.append(entry)
    return "; ".join(ordered)


def digest(cited: list[tuple[str, int]], root: Path = ROOT) -> str:
    """A digest of the text of the source lines a trace cites (file base name, line)."""
    hasher = hashlib.sha256()
    for name, line in cited:
        hasher.update(f"{name}:{line}:{(statement(name, line, root) or '<missing>').strip()}\n".encode())
    return hasher.hexdigest()[:12]


def mutated_site(command: str) -> str:
    return next((word.split("=")[0] for word in command.split() if re.fullmatch(r"[a-z_]+\.[a-z_]+=\w+", word)), "")


def interesting(what: str, note: str, file: str, blocked: bool) -> bool:
    """Whether a step of rill's headers or a scenario belongs in a trace: it uses an ordering site,
    or (unless the failure is a thread blocked for ever, whose story is told by the sites alone)
    it is a plain access (a message cell, a race marker), an allocation or a free, or it runs in
    the scenario itself. Locking and parking are left out: they are the same in every trace, and
    a deadlock's history ends with pages of them."""
    if note:
        return True
    if blocked:
        return False
    return file.startswith("verify/relacy") or bool(re.match(r"(store|load), |memory (de)?allocation", what))


def render(command: str, keep: int, binaries: Path, source: Path,
           known: dict[str, tuple[str, str, str, str]]) -> tuple[str, str]:
    """Runs a trace's command; returns the block's body and its digest (of source's lines)."""
    words = command.split()
    program = binaries.resolve() / words[0]
    if not program.exists():
        raise SystemExit(f"error: {program} does not exist (build the Relacy programs, or pass --binaries)")
    result = subprocess.run([str(program), *words[1:]], cwd=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = result.stdout.decode("utf-8", errors="replace")
    mutated = mutated_site(command)
    history = output.split("execution history", 1)[1] if "execution history" in output else ""
    verdicts = VERDICT.findall(output)
    headline = next((line for line in verdicts if "FAILED" in line), verdicts[-1] if verdicts else "no verdict printed")
    blocked = bool(re.search(r"FAILED \((DEADLOCK|LIVELOCK)", headline))
    steps: list[tuple[str, str, str]] = []
    for raw in history.split("\n")[1:]:
        if not raw.startswith("["):
            if steps:
                break  # the whole history ends; per-thread listings follow
            continue
        failure = FAILURE.search(raw)
        match = STEP.match(raw)
        if match:
            # Relative to the tree the programs were built from, wherever that was.
            file = re.sub(r"^.*?/(?=(impl/include/rill|verify/relacy)/)", "", match.group(4))
            if file.startswith(("impl/include/rill", "verify/relacy")) and "/sync/" not in file:
                what = re.sub(r"<0x[0-9a-f]+> ", "", match.group(3))
                what = re.sub(r", \(prev value=[^)]*\)", "", what)
                what = re.sub(r" , ", ", ", what)
                # A char-sized atomic prints as a character, often a control one: show its code.
                what = re.sub(r"[\x00-\x1f\x7f]", lambda char: f"\\x{ord(char.group(0)):02x}", what)
                # Addresses differ from run to run.
                what = re.sub(r"\b0x[0-9a-f]{6,}\b|\b\d{10,}\b", "<address>", what)
                name, line = Path(file).name, int(match.group(5))
                note = annotate(statement(name, line, source) or "", known, mutated)
                if interesting(what, note, file, blocked) or failure:
                    steps.append((f"[{match.group(1)}] {match.group(2)}: {what}", f"{name}({line})", note))
        if failure:
            thread = re.match(r"^\[(\d+)\] (\d+):", raw)
            if thread and not (match and steps and steps[-1][0].startswith(f"[{thread.group(1)}]")):
                steps.append((f"[{thread.group(1)}] {thread.group(2)}: {failure.group(1)}", "", ""))
            break
    # The last steps, and before them the latest few that show the weakened site at work or a load
    # of a stale value ([NOT CURRENT]), when those came earlier.
    kept = steps[-keep:]
    earlier = [step for step in steps[:-keep] if "weakened" in step[2] or "NOT CURRENT" in step[0]][-3:]
    if earlier:
        kept = earlier + [("...", "", "")] + kept
    cited = []
    for _, where, _ in kept:
        if where and where != "...":
            name, line = re.match(r"(.+)\((\d+)\)$", where).groups()
            cited.append((name, int(line)))
    width = max((len(step) for step, _, _ in kept), default=0)
    place = max((len(where) for _, where, _ in kept), default=0)
    lines = [f"$ {command}", headline.strip()]
    for step, where, note in kept:
        lines.append(f"{step:<{width}}  {where:<{place}}  {note}".rstrip())
    return "```\n" + "\n".join(lines) + "\n```\n", digest(cited, source)


def check_trace(command: str, body: str, stored: str | None, known: dict[str, tuple[str, str, str, str]]) -> list[str]:
    """The fast check of one trace: its cited lines still use the sites it names, and their text is
    what it was when the trace was made."""
    problems = []
    mutated = mutated_site(command)
    every = {name for name, _, _, _ in known.values()} | {name for name, _, _, _ in sites(include_checks=True).values()}
    if mutated and mutated not in every:
        problems.append(f"trace '{command}': it weakens {mutated}, which is no ordering site")
    cited = []
    for line in body.splitlines():
        match = RENDERED.match(line)
        if not match:
            continue
        name, number, note = match.group(1), int(match.group(2)), (match.group(3) or "").strip()
        cited.append((name, number))
        text = statement(name, number)
        if text is None:
            problems.append(f"trace '{command}': {name}({number}) does not exist")
            continue
        now = annotate(text, known, mutated)
        if now != note:
            problems.append(f"trace '{command}': {name}({number}) uses '{now or 'no site'}' now, the trace says '{note or 'no site'}'")
    if stored is None:
        problems.append(f"trace '{command}': no digest of its source lines (run --update)")
    elif digest(cited) != stored:
        problems.append(f"trace '{command}': a cited source line changed since the trace was made (run --update)")
    return problems


def sections(guide: str) -> dict[str, str]:
    """Section number -> its text, for headings '## N. Title'."""
    parts = re.split(r"^## (\d+)\. .*$", guide, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def check_index(guide: str, known: dict[str, tuple[str, str, str, str]], problems: list[str]) -> None:
    by_name = {name: (order, label) for name, order, label, _ in known.values()}
    ledger = dict(LEDGER_ROW.findall(LEDGER.read_bytes().decode("utf-8", errors="replace")))
    block = INDEX.search(guide)
    if not block:
        problems.append("docs/memory-ordering.md has no site index (<!-- sites:begin --> ... <!-- sites:end -->)")
        return
    body = sections(INDEX.sub("", guide))
    listed = {}
    for line in block.group(1).splitlines():
        if not line.startswith("| `"):
            continue
        row = INDEX_ROW.match(line)
        if not row:
            problems.append(f"site index: a row that does not read | `site` | (label) | order | §N | note |: {line}")
            continue
        name, label, order, section, note = row.groups()
        if name in listed:
            problems.append(f"site index: {name} is listed twice")
        listed[name] = note
        if name not in by_name:
            problems.append(f"site index: {name} is no ordering site of the library")
            continue
        if (order, label) != by_name[name]:
            problems.append(f"site index: {name} is ({by_name[name][1]}) {by_name[name][0]} in the headers, "
                            f"the index says ({label}) {order}")
        if section not in body or not re.search(r"`" + re.escape(name) + r"`", body[section]):
            problems.append(f"site index: section {section} does not name `{name}`")
        waiting = NOT_IN_LEDGER in note
        if name in ledger and waiting:
            problems.append(f"site index: {name} is in docs/orderings.md now: drop '{NOT_IN_LEDGER}'")
        if name not in ledger and not waiting:
            problems.append(f"site index: {name} is not in docs/orderings.md's table (say '{NOT_IN_LEDGER}', "
                            "or regenerate the ledger with bank.py --update-doc)")
        if name in ledger and ledger[name] != label:
            problems.append(f"site index: docs/orderings.md gives {name} the label {ledger[name]}, the index ({label})")
    for name in sorted(set(ledger) - set(listed)):
        problems.append(f"site index: {name} is in docs/orderings.md but not in the guide's index")
    for name in sorted(set(by_name) - set(listed)):
        problems.append(f"site index: {name} (impl/include/rill/detail) is not in the guide's index")


_REPOSITORY_LABELS: tuple[list[str], int] | None = None


def check_labels(guide: str, problems: list[str]) -> int:
    """Each label one site, each label family one file, each cited label defined; returns how many
    labels are defined."""
    global _REPOSITORY_LABELS
    if _REPOSITORY_LABELS is None:
        found: list[str] = []
        _REPOSITORY_LABELS = (found, check_repository_labels(found))
    problems += _REPOSITORY_LABELS[0]
    label_of = {name: label for name, _, label, _ in sites(include_checks=True).values() if label}
    for name, label in label_of.items():
        for paired in re.findall(r"`" + re.escape(name) + r"` \(([A-Z][0-9]+[a-z]?)\)", guide):
            if paired != label:
                problems.append(f"docs/memory-ordering.md pairs `{name}` with ({paired}); its label is ({label})")
    return _REPOSITORY_LABELS[1]


def check_repository_labels(problems: list[str]) -> int:
    defined: dict[str, set[str]] = {}
    families: dict[str, set[str]] = {}
    for name, _, label, file in sites(include_checks=True).values():
        if label:
            defined.setdefault(label, set()).add(name)
            families.setdefault(re.match(r"[A-Z]+", label).group(0), set()).add(file)
    for label, names in sorted(defined.items()):
        if len(names) > 1:
            problems.append(f"edge label ({label}) names {len(names)} sites: {', '.join(sorted(names))}")
    for family, files in sorted(families.items()):
        if family == "R":
            problems.append("edge labels (R...) would read as SPEC rules")
        if len(files) > 1:
            problems.append(f"edge labels ({family}...) are defined in {len(files)} files: {', '.join(sorted(files))}")
    for top in CITING:
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or path.suffix not in {".hpp", ".cpp", ".h", ".md", ".txt", ".py", ".cmake"}:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                for label in LABEL.findall(line):
                    if not label.startswith("R") and label not in defined:
                        problems.append(f"{path.relative_to(ROOT)}:{number}: ({label}) is no ordering site's label")
    return len(defined)


def problems_of(guide: str, known: dict[str, tuple[str, str, str, str]]) -> tuple[list[str], int, int]:
    """Everything --check reports about a text of the guide; also the numbers of labels and traces."""
    problems: list[str] = []
    without_index = INDEX.sub("", guide)
    for name in sorted({name for name, _, _, _ in known.values()}):
        if not re.search(r"\b" + re.escape(name) + r"\b", without_index):
            problems.append(f"the ordering site {name} is not named in docs/memory-ordering.md (outside its index)")
    check_index(guide, known, problems)
    labels = check_labels(guide, problems)
    blocks = BLOCK.findall(guide)
    for _, _, command, body, _, stored in blocks:
        problems += check_trace(command, body, stored or None, known)
    return problems, labels, len(blocks)


def self_test(guide: str, known: dict[str, tuple[str, str, str, str]]) -> list[str]:
    """The check must catch a planted fault of each kind, so that it cannot pass vacuously."""
    index = INDEX.search(guide).group(1) if INDEX.search(guide) else ""
    row = next((line for line in index.splitlines() if line.startswith("| `") and NOT_IN_LEDGER not in line), "")
    waiting = next((line for line in index.splitlines() if NOT_IN_LEDGER in line), "")
    trace = BLOCK.search(guide)
    name, label = (re.match(r"\| `([^`]+)` \| \(([^)]+)\)", row).groups() if row else ("", ""))
    other = next((l for n, _, l, _ in known.values() if l and l != label), "")
    faults = {
        "a site missing from the index": (guide.replace(row + "\n", "", 1), "not in the guide's index"),
        "a ledger site marked as not in the ledger": (guide.replace(row, row[:-1] + f" {NOT_IN_LEDGER} |", 1),
                                                      "is in docs/orderings.md now"),
        "an index row with a wrong label": (guide.replace(row, row.replace(f"({label})", f"({other})"), 1),
                                            "the index says"),
        "a site paired with another's label": (guide.replace(f"`{name}` ({label})", f"`{name}` ({other})")
                                               + f"\n`{name}` ({other})\n", f"pairs `{name}` with ({other})"),
        "a trace whose cited lines changed": (guide[:trace.start(6)] + "0" * len(trace.group(6)) + guide[trace.end(6):]
                                              if trace and trace.group(6) else guide, "a cited source line changed"),
    }
    if waiting:
        faults["a new site without its mark"] = (guide.replace(waiting, waiting.replace(f" {NOT_IN_LEDGER}", ""), 1),
                                                 "is not in docs/orderings.md's table")
    failures = []
    for fault, (planted, expected) in faults.items():
        if planted == guide or not any(expected in problem for problem in problems_of(planted, known)[0]):
            failures.append(f"self-test: the check does not catch {fault} (expected '{expected}')")
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", type=Path, help="directory holding relacy_scenarios, relacy_smoke, ...")
    parser.add_argument("--update", action="store_true", help="re-run the traces' commands and rewrite the blocks")
    parser.add_argument("--check", action="store_true", help="change nothing; report what is out of date")
    parser.add_argument("--self-test", action="store_true", help="with --check: also plant a fault of each kind in a "
                        "copy of the guide and fail unless the check catches it")
    parser.add_argument("--source", type=Path, help="a source tree with the sources the Relacy programs were built "
                        "from (default: this repository); its lines are what the traces cite")
    arguments = parser.parse_args(argv)
    if not arguments.update and not arguments.check:
        parser.error("say --check or --update")
    if arguments.update and not arguments.binaries:
        parser.error("--update needs --binaries (the directory of the Relacy programs)")

    guide = GUIDE.read_text(encoding="utf-8")
    known = sites()
    problems: list[str] = []

    if arguments.binaries:
        # Regenerate first; the checks below then look at what --update wrote (or would write).
        source = (arguments.source or ROOT).resolve()
        regenerated = {}
        for _, keep, command, _, _, _ in BLOCK.findall(guide):
            regenerated[(keep, command)] = render(command, int(keep or KEEP_STEPS), arguments.binaries, source, known)

        def replace(match: re.Match) -> str:
            body, sources = regenerated[(match.group(2) or "", match.group(3))]
            return match.group(1) + body + f"<!-- /trace sources: {sources} -->"

        updated = BLOCK.sub(replace, guide)
        if arguments.update:
            if updated != guide:
                GUIDE.write_text(updated, encoding="utf-8")
            print(f"{GUIDE.relative_to(ROOT)}: {len(regenerated)} traces regenerated"
                  + ("" if updated != guide else ", none changed"))
            if source != ROOT.resolve():
                print(f"(their digests are of the lines in {source}; the check below reads {ROOT})")
            guide = updated
        else:
            for _, keep, command, body, _, _ in BLOCK.findall(guide):
                if regenerated[(keep, command)][0] != body:
                    problems.append(f"trace '{command}': not what it prints today (run --update)")

    more, labels, traces = problems_of(guide, known)
    problems += more
    if arguments.self_test:
        problems += self_test(guide, known)
    problems = list(dict.fromkeys(problems))  # a line cited twice in one trace is one problem
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"ordering guide: {len(known)} sites, {labels} edge labels, {traces} traces"
          + (", self-test passed" if arguments.self_test and not any("self-test" in p for p in problems) else "")
          + f", {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
