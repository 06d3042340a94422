#!/usr/bin/env python3
"""The mutation bank's mutants under the schedule fuzzer, next to Relacy's verdicts.

For every mutant of the bank (`verify/mutation/bank.py --list`: one named ordering site weakened
to one weaker ordering), this runs the fuzzer's seeded campaign on weak memory with that mutant
(`replay --campaign N --memory weak --mutate SITE=ORDER`), target after target (channel, select,
timer, all), until one kills it, once per schedule policy (uniform random bytes, and PCT of depth
D). A failure counts against the mutant only if the same input passes without it (replay checks),
so the library's own open bugs do not count as kills. Relacy's verdict for each mutant comes from
the bank's table in docs/orderings.md, or from bank.py's JSON results (--relacy-json).

    mutant_table.py --replay build/fuzz/fuzz/replay [--executions 20000] [--policies uniform pct]
                    [--depth 3] [--seed 1] [--jobs 2] [--only PREFIX] [--json out.json]
                    [--update-doc docs/fuzzing.md]

Prints one line per mutant and a closing line that run-verify reads:

    fuzz-mutation: M mutants: Relacy kills R, the fuzzer kills F (uniform U, pct P); both B,
    Relacy only X, fuzzer only Y, neither N; budget E executions per target and policy

Exit status 0 when the fuzzer kills every mutant Relacy kills, 1 otherwise (or on an error).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "verify" / "mutation" / "bank.py"
ORDERINGS = ROOT / "docs" / "orderings.md"
TARGETS = ["channel", "select", "timer", "all"]
BEGIN, END = "<!-- fuzz-mutants:begin -->\n", "<!-- fuzz-mutants:end -->"


def bank_mutants(only: str) -> list[dict]:
    listing = subprocess.run([sys.executable, str(BANK), "--list"], stdout=subprocess.PIPE, text=True, check=True).stdout
    mutants = []
    for line in listing.splitlines():
        match = re.match(r"^(\S+)\s+(\S+)\s+(\S+)\s+->\s+(.+?)\s+(\S+:\d+)$", line)
        if not match or match.group(4).startswith("none") or not match.group(1).startswith(only):
            continue
        for order in match.group(4).split(", "):
            mutants.append({"site": match.group(1), "edge": match.group(2), "order": match.group(3),
                            "mutant": order.strip(), "where": match.group(5)})
    return mutants


def relacy_verdicts(json_files: list[str]) -> dict[str, str]:
    verdicts = {}
    if json_files:
        for path in json_files:
            for outcome in json.loads(Path(path).read_text()):
                if outcome["mutant"] != "none":
                    verdicts[f"{outcome['site']}={outcome['mutant']}"] = outcome["verdict"]
        return verdicts
    text = ORDERINGS.read_text(encoding="utf-8")
    table = text.split("<!-- bank:begin -->", 1)[1].split("<!-- bank:end -->", 1)[0]
    for row in table.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split(" | ")]
        if len(cells) >= 5 and cells[0].startswith("`") and cells[3] != "none":
            verdicts[f"{cells[0].strip('`')}={cells[3]}"] = cells[4]
    return verdicts


def campaign(replay: str, mutant: str, policy: str, depth: int, executions: int, seed: int, save: Path) -> dict:
    """Runs the targets in turn until one kills the mutant."""
    tried = 0
    reached = False
    began = time.monotonic()
    for target in TARGETS:
        command = [replay, "--campaign", str(executions), "--seed", str(seed), "--target", target, "--memory", "weak",
                   "--mutate", mutant, "--policy", policy, "--depth", str(depth), "--save", str(save)]
        output = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
        line = re.search(r"^fuzz-mutant \S+ \S+ \S+: (.*)$", output, re.M)
        if not line:
            return {"verdict": "error", "detail": output[-300:], "seconds": round(time.monotonic() - began, 1)}
        verdict = line.group(1)
        killed = re.match(r"killed at execution (\d+) \(seed (\d+)\): (.*)", verdict)
        if killed:
            return {"verdict": "killed", "target": target, "execution": int(killed.group(1)),
                    "executions": tried + int(killed.group(1)), "seed": int(killed.group(2)),
                    "reason": killed.group(3), "seconds": round(time.monotonic() - began, 1)}
        tried += executions
        reached = reached or verdict.startswith("survived")
    return {"verdict": "survived" if reached else "not reached", "executions": tried,
            "seconds": round(time.monotonic() - began, 1)}


def short_reason(reason: str) -> str:
    reason = re.sub(r"rill/detail/", "", reason)
    return reason if len(reason) <= 150 else reason[:147].rsplit(" ", 1)[0] + " ..."


def cell(result: dict) -> str:
    if result["verdict"] == "killed":
        return f"{result['target']} #{result['execution']}: {short_reason(result['reason'])}".replace("|", "\\|")
    if result["verdict"] == "survived":
        return f"survived {result['executions']:,}"
    return result["verdict"]


def combined(relacy: str, fuzzer: bool) -> str:
    killed_by_relacy = relacy == "killed"
    if killed_by_relacy and fuzzer:
        return "both"
    if killed_by_relacy:
        return "Relacy only"
    if fuzzer:
        return "fuzzer only"
    return "neither"


def compare(mutants: list[dict], policies: list[str]) -> str:
    """Executions-to-find of the policies, over the mutants every policy killed."""
    if len(policies) < 2:
        return ""
    common = [each for each in mutants if all(each[policy]["verdict"] == "killed" for policy in policies)]
    if not common:
        return "No mutant was killed under every policy."
    parts = []
    for policy in policies:
        found = sorted(each[policy]["executions"] for each in common)
        geometric = math.exp(sum(math.log(value) for value in found) / len(found))
        parts.append(f"{policy}: median {statistics.median(found):g}, geometric mean {geometric:.0f}, "
                     f"total {sum(found):,}")
    first, second = policies[0], policies[1]
    faster = sum(each[first]["executions"] < each[second]["executions"] for each in common)
    slower = sum(each[first]["executions"] > each[second]["executions"] for each in common)
    return (f"Executions to the kill (summed over the targets tried before the killing one), over the {len(common)} "
            f"mutants both policies killed: " + "; ".join(parts) +
            f". {first} found it first for {faster}, {second} for {slower}, the same execution for "
            f"{len(common) - faster - slower}.")


def run_all(arguments: argparse.Namespace) -> list[dict]:
    mutants = bank_mutants(arguments.only)
    relacy = relacy_verdicts(arguments.relacy_json)
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(arguments.jobs, 1)) as pool:
        for each in mutants:
            name = f"{each['site']}={each['mutant']}"
            for policy in arguments.policies:
                save = Path(arguments.save) / policy / name
                jobs[(name, policy)] = pool.submit(campaign, arguments.replay, name, policy, arguments.depth,
                                                   arguments.executions, arguments.seed, save)
        for each in mutants:
            name = f"{each['site']}={each['mutant']}"
            each["relacy"] = relacy.get(name, "not in the bank's table")
            each["budget"] = arguments.executions
            for policy in arguments.policies:
                each[policy] = jobs[(name, policy)].result()
            fuzzer = any(each[policy]["verdict"] == "killed" for policy in arguments.policies)
            each["combined"] = combined(each["relacy"], fuzzer)
            print(f"mutant {name}: Relacy {each['relacy']}; " +
                  "; ".join(f"{policy} {cell(each[policy])} [{each[policy]['seconds']} s]" for policy in arguments.policies) +
                  f"; {each['combined']}", flush=True)
    return mutants


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replay", help="the fuzz replay executable (target fuzz_replay)")
    parser.add_argument("--executions", type=int, default=20000, help="per target and policy (default 20000)")
    parser.add_argument("--policies", nargs="+", default=["uniform", "pct"], choices=["uniform", "pct", "guided"])
    parser.add_argument("--depth", type=int, default=3, help="PCT's depth d (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="only sites whose name starts with this")
    parser.add_argument("--relacy-json", nargs="*", default=[], help="bank.py --json results (default: docs/orderings.md)")
    parser.add_argument("--json", help="write the outcomes here")
    parser.add_argument("--update-doc", help="replace the table between the fuzz-mutants markers of this file")
    parser.add_argument("--save", default="/tmp/rill-fuzz-mutants", help="where killing inputs are written")
    parser.add_argument("--from-json", help="render the table from an earlier --json instead of running")
    arguments = parser.parse_args(argv)
    if not arguments.from_json and not arguments.replay:
        parser.error("--replay is required unless --from-json is given")

    if arguments.from_json:
        mutants = json.loads(Path(arguments.from_json).read_text())
        arguments.policies = [policy for policy in ("uniform", "pct", "guided") if policy in mutants[0]]
        arguments.executions = mutants[0].get("budget", arguments.executions)
    else:
        mutants = run_all(arguments)
    errors = sum(each[policy]["verdict"] == "error" for each in mutants for policy in arguments.policies)
    by = {policy: sum(each[policy]["verdict"] == "killed" for each in mutants) for policy in arguments.policies}
    counts = {kind: sum(each["combined"] == kind for each in mutants) for kind in ("both", "Relacy only", "fuzzer only", "neither")}
    relacy_kills = counts["both"] + counts["Relacy only"]
    fuzzer_kills = counts["both"] + counts["fuzzer only"]
    summary = (f"fuzz-mutation: {len(mutants)} mutants: Relacy kills {relacy_kills}, the fuzzer kills {fuzzer_kills} (" +
               ", ".join(f"{policy} {by[policy]}" for policy in arguments.policies) +
               f"); both {counts['both']}, Relacy only {counts['Relacy only']}, fuzzer only {counts['fuzzer only']}, "
               f"neither {counts['neither']}; budget {arguments.executions} executions per target and policy" +
               (f"; {errors} errors" if errors else ""))

    comparison = compare(mutants, arguments.policies)
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(mutants, indent=2) + "\n")
    if arguments.update_doc:
        header = ("| mutant | edge | Relacy | " + " | ".join(f"fuzzer, {policy}" for policy in arguments.policies) +
                  " | killed by |\n|---|---|---|" + "---|" * len(arguments.policies) + "---|\n")
        rows = "".join(f"| `{each['site']}={each['mutant']}` | {each['edge']} | {each['relacy']} | " +
                       " | ".join(cell(each[policy]) for policy in arguments.policies) + f" | {each['combined']} |\n"
                       for each in mutants)
        doc = Path(arguments.update_doc)
        text = doc.read_text(encoding="utf-8")
        if BEGIN not in text or END not in text:
            print(f"{doc}: no {BEGIN.strip()} ... {END} block", file=sys.stderr)
            return 1
        head, rest = text.split(BEGIN, 1)
        doc.write_text(head + BEGIN + header + rows + "\n" + summary + "\n\n" + comparison + "\n" + END +
                       rest.split(END, 1)[1], encoding="utf-8")
    print(comparison)
    print(summary)
    return 0 if counts["Relacy only"] == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
