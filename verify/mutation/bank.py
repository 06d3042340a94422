#!/usr/bin/env python3
"""The memory-ordering mutation bank: weaken each named ordering site of the library, one at a
time, and show that the Relacy scenarios catch it.

Every ordering in channel code is a named site (impl/include/rill/detail/sync/ordering_site.hpp):

    inline constexpr sync::ordering publish = sync::ordering_site("array.publish", std::memory_order_release);  // (A6)

This script finds every site in impl/include/rill/detail/ (the sync layer itself excluded), derives
its mutants, and runs each one through the scenario binary (`relacy_scenarios --scenario all
--mutate SITE=ORDER`), which stops at the first scenario that fails. The mutants of a site:

    release, acquire  -> relaxed
    acq_rel           -> release, and -> acquire
    seq_cst           -> acq_rel (acquire on a load, release on a store): only the store-load
                         (Dekker) half of seq_cst is taken away
    relaxed           -> none (nothing weaker exists; the site's comment says why relaxed is safe)

A mutant that no scenario kills is a failure of the bank unless verify/mutation/stronger_than_needed.txt
lists it with the reason and the experiment; a listed mutant that is killed is a failure too (the
list is stale). A site no scenario executes is always a failure, relaxed sites included: for each
of those the bank runs the scenarios with the site as it is (`--mutate SITE=relaxed`, first a
short random search, then the full searches if that did not reach it) and records the first
scenario that executes it.

The scenario that killed a mutant when docs/orderings.md's table was last written runs first
(`--first`): a kill then costs one scenario run, not a run of every scenario registered before it
(this took the CI bank from about 1100 s of CPU to about 90 s). If that scenario no longer kills the
mutant the others run after it, so the verdict never depends on the hint.

    bank.py --binary B [--prefix array] [--iterations N] [--bound K] [--json out.json]
    bank.py --list                       the sites and their mutants, without running anything
    bank.py --markdown results.json...   the per-site table of docs/orderings.md from results
    bank.py --update-doc docs/orderings.md results.json...   rewrite that table in place

Prints one line per mutant and per relaxed site and a closing line "mutation: K killed, S
documented survivors, F failed out of M mutants (kill rate K/M); R relaxed sites reached, U not
reached". The JSON holds one outcome per mutant and one per relaxed site (mutant "none", verdict
"relaxed" when reached). Exit status 0 when every mutant is killed or documented and every relaxed
site is reached.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DETAIL = ROOT / "impl" / "include" / "rill" / "detail"
SURVIVORS = Path(__file__).resolve().parent / "stronger_than_needed.txt"
LEDGER = ROOT / "docs" / "orderings.md"

SITE = re.compile(r'ordering_site\("([a-z_]+\.[a-z_]+)",\s*std::memory_order_(\w+)\)\s*;\s*(?://\s*\(([^)]+)\))?')
WEAKER = {
    "relaxed": [],
    "consume": ["relaxed"],
    "acquire": ["relaxed"],
    "release": ["relaxed"],
    "acq_rel": ["release", "acquire"],
    "seq_cst": ["acq_rel"],
}
# A relaxed site is first looked for with this many random iterations per scenario (cheap: it is a
# question of reach, not of interleavings), then, if none executed it, with the full searches.
REACH_ITERATIONS = 100


@dataclass
class Site:
    name: str
    order: str
    edge: str
    file: str
    line: int
    role: str = ""  # the first sentence of the site's comment: the edge and its partner


@dataclass
class Outcome:
    site: str
    edge: str
    file: str
    line: int
    order: str
    mutant: str
    role: str
    verdict: str  # killed, survived, not reached, documented, stale, error; relaxed (a reached relaxed site)
    scenario: str
    kind: str
    search: str        # the search that found the counterexample, and at which iteration
    counterexample: str
    seconds: float
    ok: bool


def find_sites() -> list[Site]:
    sites = []
    for header in sorted(DETAIL.rglob("*.hpp")):
        if "sync" in header.relative_to(DETAIL).parts:
            continue
        text = header.read_text(encoding="utf-8")
        # A declaration may wrap after '=': join each site's statement onto one line first.
        lines = text.splitlines()
        for match in SITE.finditer(re.sub(r"=\s*\n\s*", "= ", text)):
            line = text[: text.find(f'"{match.group(1)}"')].count("\n") + 1
            sites.append(Site(match.group(1), match.group(2), match.group(3) or "", str(header.relative_to(ROOT)), line,
                              site_role(lines, line - 1, match.group(3) or "")))
    return sites


def site_role(lines: list[str], index: int, edge: str) -> str:
    """The comment that documents the site's edge, shortened to about 300 characters: the comment
    block just above the declaration if it starts with "(EDGE)", otherwise the first comment in
    the file that reads "(EDGE) <ordering>...:" (a design note's list of edges)."""
    if not edge:
        return ""
    labels = r"(\([A-Za-z0-9]+\)/)*\(" + re.escape(edge) + r"\)(/\([A-Za-z0-9]+\))*"
    own = re.compile(r"^\s*//\s*" + labels + r"\s")
    described = re.compile(r"^\s*//\s*" + labels + r"\s+(relaxed|acquire|release|acq_rel|seq_cst)[^:]{0,30}:")
    start = None
    position = index
    while position > 0 and lines[position - 1].lstrip().startswith("//"):
        position -= 1
        if own.match(lines[position]):
            start = position
            break
    if start is None:
        start = next((number for number, line in enumerate(lines) if described.match(line)), None)
    if start is None:
        return ""
    parts = [re.sub(r"^\s*//\s*", "", lines[start])]
    for following in lines[start + 1:]:
        if not re.match(r"^\s*//\s{3,}\S", following) or re.match(r"^\s*//\s*\([A-Za-z0-9]+\)", following):
            break  # the comment ended, or the next edge's comment begins
        parts.append(following.strip().lstrip("/").strip())
    text = re.sub(r"^" + labels + r"\s*", "", " ".join(parts))
    return text if len(text) <= 300 else text[:297].rsplit(" ", 1)[0] + " ..."


def documented_survivors() -> dict[str, str]:
    survivors = {}
    if SURVIVORS.exists():
        for raw in SURVIVORS.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                mutant, _, reason = line.partition(" ")
                survivors[mutant] = reason.strip()
    return survivors


def documented_killers() -> dict[str, str]:
    """SITE=ORDER -> the scenario that killed it when the ledger (docs/orderings.md) was written.

    The bank runs that scenario first (--first): a kill then costs one scenario instead of every
    scenario registered before the killer. It is a hint only: if that scenario no longer kills
    the mutant, the others run after it, and the verdict is the same as without the hint."""
    killers = {}
    if LEDGER.exists():
        for row in LEDGER.read_text(encoding="utf-8").splitlines():
            cells = [cell.strip() for cell in row.split("|")]
            if len(cells) > 7 and cells[5] == "killed" and cells[1].startswith("`"):
                scenario = re.match(r"`(\w+)`", cells[6])
                if scenario:
                    killers[f"{cells[1].strip('`')}={cells[4]}"] = scenario.group(1)
    return killers


def summarise(output: str) -> tuple[str, str, str, str]:
    """(scenario, failure kind, search, two-line counterexample) from a killed mutant's output."""
    verdict = re.search(r"^mutant \S+: killed by (\S+) \(([^)]*)\)", output, re.M)
    scenario, kind = (verdict.group(1), verdict.group(2)) if verdict else ("", "")
    failed = re.search(r"^relacy: \S+: FAILED \([^)]*\) at iteration (\d+), (.*)$", output, re.M)
    search = f"{failed.group(2)}, iteration {failed.group(1)}" if failed else ""
    # The execution history names what went wrong and where, in production file:line: the first
    # load that read a stale value, if any (the weakened edge at work), and the failure itself.
    history = [line for line in output.splitlines() if re.match(r"\[\d+\] \d+: ", line)]
    # The history is printed whole, then per thread: keep the whole one (up to the failure).
    for position, line in enumerate(history):
        if re.search(r"(DATA RACE|ASSERT|LEAK|DEADLOCK|LIVELOCK|ACCESS|DOUBLE FREE|UNINITIALIZED)", line):
            history = history[: position + 1]
            break
    stale = [line for line in history if "NOT CURRENT" in line]
    chosen = ([stale[0]] if stale else history[-2:-1]) + history[-1:]
    return scenario, kind, search, " / ".join(tidy(line) for line in chosen)


def tidy(step: str) -> str:
    """One history step, short: thread number, what happened, file(line)."""
    step = re.sub(r"^\[\d+\] (\d+): ", r"thread \1: ", step)
    step = re.sub(r"<0x[0-9a-f]+> ", "", step)
    step = re.sub(r", in .*, (?:\S*/)?([\w.]+\(\d+\))$", r" at \1", step)
    # A char-sized atomic's value is printed raw by Relacy; a control character would make the
    # table a binary file for grep and diff.
    step = re.sub(r"[\x00-\x08\x0b-\x1f]", lambda match: f"\\x{ord(match.group()):02x}", step)
    return step.replace(str(ROOT) + "/", "")


def run_mutant(binary: str, site: Site, order: str, iterations: int, bound: int, survivors: dict[str, str],
               extra: tuple[str, ...] = ()) -> Outcome:
    mutant = f"{site.name}={order}"
    began = time.monotonic()
    result = subprocess.run([binary, "--scenario", "all", "--mutate", mutant, "--iterations", str(iterations),
                             "--bound", str(bound), *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - began
    output = result.stdout
    scenario = kind = search = counterexample = ""
    if re.search(r"^mutant \S+: killed by", output, re.M):
        scenario, kind, search, counterexample = summarise(output)
        verdict, ok = ("stale", False) if mutant in survivors else ("killed", True)
    elif re.search(r"^mutant \S+: SURVIVED", output, re.M):
        verdict, ok = ("documented", True) if mutant in survivors else ("survived", False)
        counterexample = survivors.get(mutant, "")
    elif re.search(r"^mutant \S+: NOT REACHED", output, re.M):
        verdict, ok = "not reached", False
    elif result.returncode < 0:
        # The mutant crashed the process (typically following a block pointer that the weakened
        # edge left stale): a kill without a Relacy history, attributed to the running scenario.
        started = re.findall(r"^relacy: (\S+): started$", output, re.M)
        scenario, kind = (started[-1] if started else "?"), f"crash, signal {-result.returncode}"
        verdict, ok = ("stale", False) if mutant in survivors else ("killed", True)
        counterexample = "the process crashed; no history (run the scenario with --mutate under gdb)"
    else:
        verdict, ok = "error", False
        counterexample = output[-400:]
    return Outcome(site.name, site.edge, site.file, site.line, site.order, order, site.role, verdict, scenario, kind,
                   search, counterexample, round(seconds, 2), ok)


def run_reach(binary: str, site: Site, iterations: int, bound: int) -> Outcome:
    """A relaxed site has no mutant: show that some scenario executes it, and name the first one."""
    probe = f"{site.name}=relaxed"
    began = time.monotonic()
    attempts = [["--search", "random", "--iterations", str(min(REACH_ITERATIONS, iterations))],
                ["--iterations", str(iterations), "--bound", str(bound)]]
    output = ""
    for attempt in attempts:
        output = subprocess.run([binary, "--scenario", "all", "--mutate", probe, *attempt], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True).stdout
        if re.search(r"^mutant \S+: SURVIVED", output, re.M):
            break
    seconds = round(time.monotonic() - began, 2)
    reached = re.search(r"^mutant \S+: SURVIVED \(site executed (\d+) times, first by (\S+)\)", output, re.M)
    if reached:
        return Outcome(site.name, site.edge, site.file, site.line, site.order, "none", site.role, "relaxed",
                       reached.group(2), "reached", f"{reached.group(1)} executions", "", seconds, True)
    verdict = "not reached" if re.search(r"^mutant \S+: NOT REACHED", output, re.M) else "error"
    return Outcome(site.name, site.edge, site.file, site.line, site.order, "none", site.role, verdict, "", "", "",
                   "" if verdict == "not reached" else output[-400:], seconds, False)


def markdown(outcomes: list[dict]) -> str:
    rows = ["| site | edge | ordering: the edge and its partner | mutant | verdict | killed by (search), or reached by | "
            "counterexample (the stale read, then the failure), or why it survives |",
            "|---|---|---|---|---|---|---|"]
    for outcome in outcomes:
        counterexample = " / ".join(tidy(step) for step in outcome["counterexample"].split(" / "))
        counterexample = counterexample.replace("|", "\\|")
        role = (outcome.get("role") or outcome["order"]).replace("|", "\\|")
        search = f" ({outcome['search']})" if outcome["search"] else ""
        killer = f"`{outcome['scenario']}`: {outcome['kind']}{search}" if outcome["scenario"] else "-"
        if outcome["mutant"] == "none":
            # A relaxed site: nothing weaker to try; the scenario column names the first one to reach it.
            killer = f"`{outcome['scenario']}`: reached{search}" if outcome["scenario"] else "-"
            counterexample = ("nothing weaker to try; the ordering column says why relaxed is safe"
                              if outcome["verdict"] == "relaxed" else "no scenario executes this site")
        rows.append(f"| `{outcome['site']}` | {outcome['edge']} | {role} | {outcome['mutant']} | "
                    f"{outcome['verdict']} | {killer} | {counterexample} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="the relacy_scenarios executable")
    parser.add_argument("--prefix", default="", help="only sites whose name starts with this (array, list, ...)")
    parser.add_argument("--iterations", type=int, default=100000)
    parser.add_argument("--bound", type=int, default=1)
    parser.add_argument("--survivor-iterations", type=int,
                        help="iterations for the documented survivors (default: --iterations). A survivor runs "
                             "every scenario to its end, so it is most of the bank's time; a lower count still "
                             "shows a survivor that some scenario now kills early, and the full count belongs "
                             "to ./run-verify --deep")
    parser.add_argument("--survivor-random-only", action="store_true",
                        help="run the documented survivors under the random searches only (no context-bound "
                             "search, which runs to exhaustion whatever the iteration count)")
    parser.add_argument("--json", help="write the outcomes here")
    parser.add_argument("--list", action="store_true", help="list the sites and their mutants")
    parser.add_argument("--killable-only", action="store_true",
                        help="a share of the bank for quick runs: only mutants expected to be killed (no "
                             "documented survivor, no reach probe of a relaxed site)")
    parser.add_argument("--markdown", nargs="+", metavar="RESULTS", help="render the table from result files")
    parser.add_argument("--update-doc", metavar="DOC", help="replace the table in DOC (results as for --markdown)")
    parser.add_argument("results", nargs="*", help="with --update-doc: the result files to render")
    arguments = parser.parse_args(argv)
    if arguments.update_doc and not arguments.markdown:
        arguments.markdown = arguments.results
    if arguments.results and not arguments.update_doc:
        parser.error("result files are given with --markdown or --update-doc")
    if arguments.update_doc and not arguments.markdown:
        parser.error("--update-doc needs result files")

    if arguments.markdown:
        outcomes = [outcome for path in arguments.markdown for outcome in json.loads(Path(path).read_text())]
        outcomes.sort(key=lambda outcome: (outcome["file"], outcome["line"], outcome["mutant"]))
        table = markdown(outcomes)
        if not arguments.update_doc:
            sys.stdout.write(table)
            return 0
        doc = Path(arguments.update_doc)
        text = doc.read_text(encoding="utf-8")
        begin, end = "<!-- bank:begin -->\n", "<!-- bank:end -->"
        if begin not in text or end not in text:
            print(f"{doc}: no {begin.strip()} ... {end} block", file=sys.stderr)
            return 1
        head, rest = text.split(begin, 1)
        doc.write_text(head + begin + table + end + rest.split(end, 1)[1], encoding="utf-8")
        killed = sum(outcome["verdict"] == "killed" for outcome in outcomes)
        mutants = sum(outcome["mutant"] != "none" for outcome in outcomes)
        print(f"{doc}: table of {mutants} mutants and {len(outcomes) - mutants} relaxed sites written ({killed} killed)")
        return 0

    sites = [site for site in find_sites() if site.name.startswith(arguments.prefix)]
    if arguments.list:
        for site in sites:
            mutants = ", ".join(WEAKER[site.order]) or "none (relaxed)"
            print(f"{site.name:<28} {site.edge:<5} {site.order:<8} -> {mutants:<18} {site.file}:{site.line}")
        print(f"{len(sites)} sites, {sum(len(WEAKER[site.order]) for site in sites)} mutants")
        return 0
    if not arguments.binary:
        parser.error("--binary is required to run the bank")
    if not sites:
        print(f"mutation: no ordering site matches prefix '{arguments.prefix}'")
        return 1

    survivors = documented_survivors()
    killers = documented_killers()
    outcomes = []
    skipped = 0
    for site in sites:
        if arguments.killable_only:
            # A documented survivor runs every scenario to the end, and a reach probe may too: they
            # are most of the bank's time. The full bank (CI, --deep) runs them.
            skipped += (0 if WEAKER[site.order] else 1) + sum(f"{site.name}={order}" in survivors
                                                             for order in WEAKER[site.order])
            if not WEAKER[site.order]:
                continue
        if not WEAKER[site.order]:
            outcome = run_reach(arguments.binary, site, arguments.iterations, arguments.bound)
            outcomes.append(outcome)
            detail = (f"reached by {outcome.scenario} ({outcome.search})" if outcome.ok
                      else f"{outcome.verdict} {outcome.counterexample[:160]}")
            print(f"mutant {site.name}: relaxed, nothing weaker to try; {detail} [{outcome.seconds:.1f} s]", flush=True)
        for order in WEAKER[site.order]:
            if arguments.killable_only and f"{site.name}={order}" in survivors:
                continue
            iterations, extra = arguments.iterations, ()
            if f"{site.name}={order}" in survivors:
                if arguments.survivor_iterations is not None:
                    iterations = arguments.survivor_iterations
                if arguments.survivor_random_only:
                    extra = ("--no-bound",)
            if f"{site.name}={order}" in killers:
                extra = (*extra, "--first", killers[f"{site.name}={order}"])
            outcome = run_mutant(arguments.binary, site, order, iterations, arguments.bound, survivors, extra)
            outcomes.append(outcome)
            detail = (f"by {outcome.scenario} ({outcome.kind})" if outcome.scenario
                      else outcome.counterexample[:160])
            print(f"mutant {site.name}={order}: {outcome.verdict} {detail} [{outcome.seconds:.1f} s]", flush=True)

    if arguments.json:
        Path(arguments.json).write_text(json.dumps([asdict(outcome) for outcome in outcomes], indent=2) + "\n")
    mutants = [outcome for outcome in outcomes if outcome.mutant != "none"]
    relaxed = [outcome for outcome in outcomes if outcome.mutant == "none"]
    killed = sum(outcome.verdict == "killed" for outcome in mutants)
    documented = sum(outcome.verdict == "documented" for outcome in mutants)
    failed = sum(not outcome.ok for outcome in mutants)
    reached = sum(outcome.ok for outcome in relaxed)
    print(f"mutation: {killed} killed, {documented} documented survivors, {failed} failed out of {len(mutants)} "
          f"mutants (kill rate {killed}/{len(mutants)}); {reached} relaxed sites reached, "
          f"{len(relaxed) - reached} not reached" +
          (f"; {skipped} documented survivors and relaxed sites not run (--killable-only)" if skipped else ""))
    failed += len(relaxed) - reached
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
