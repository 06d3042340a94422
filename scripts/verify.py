#!/usr/bin/env python3
"""rill's verification run: build every configuration, run every layer, report.

Called by ./run-verify (which first installs missing Debian packages). Standard library only.

    ./run-verify            one Debug build, every layer: unit, property, stress, examples, model,
                            Relacy at 10,000 iterations, a share of the mutation bank (the mutants
                            that must be killed), lint, package. Under 10 minutes on 2 cores.
    ./run-verify --full     CI's matrix: presets dev (every label, the whole bank), then tsan and
                            asan with g++ and with clang 19
    ./run-verify --deep     adds a clang Debug build, Relacy at 1,000,000 iterations with context
                            bound 2, the whole bank at full iterations, a longer stress scale and a
                            three-minute soak

What it prints: one line per step as it goes, then a report with, per layer and configuration,
the checks run, passed, failed, skipped and the time (and, under the stress layer, the soak's
summary lines); per SPEC rule, the layers whose checks cite it (spec/coverage.py) and whether they
passed. The same report is written as JSON to build/verify/report.json (and as text to
build/verify/report.txt), and the map of which check cites which rule to build/verify/coverage.md.
Exit status 1 if any check failed, any configuration failed to build, or spec/coverage.py --check
failed (a cited rule that SPEC.md does not define, a rule no check cites).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_DIR = ROOT / "build" / "verify"

# The order in which layers are reported; a label not listed here is reported after these.
LAYER_ORDER = ["model", "unit", "compile_fail", "examples", "property", "stress", "relacy", "mutation", "fuzz", "lint", "package"]


@dataclass
class Mode:
    name: str
    presets: list[str]
    # Cache variables added to every configure, and the build directory prefix they need (a mode
    # that changes cache variables builds apart, so that it does not alter ./run-tests' builds).
    cache: dict[str, str] = field(default_factory=dict)
    binary_prefix: str | None = None
    environment: dict[str, str] = field(default_factory=dict)


MODES = {
    "standard": Mode("standard", ["dev"], {"RILL_RELACY_ITERATIONS": "10000", "RILL_MUTATION_SET": "share"},
                     "build/verify"),
    "full": Mode("full", ["dev", "tsan", "asan", "tsan-clang", "asan-clang"]),
    "deep": Mode("deep", ["dev", "dev-clang", "tsan", "asan", "tsan-clang", "asan-clang"],
                 {"RILL_RELACY_ITERATIONS": "1000000", "RILL_RELACY_BOUND": "2", "RILL_MUTATION_SET": "all",
                  "RILL_FUZZ_CAMPAIGN_EXECUTIONS": "200000", "RILL_FUZZ_REINTRODUCED": "ON"},
                 "build/verify-deep", {"RILL_STRESS_SCALE": "10", "RILL_SOAK_SECONDS": "180"}),
}


@dataclass
class Check:
    name: str
    labels: list[str]
    status: str  # passed, failed, skipped
    seconds: float
    output: str


@dataclass
class Configuration:
    preset: str
    binary_dir: Path
    stage: str = "not run"  # configure, build, test: the stage reached; "done" when tests ran
    log: str = ""
    seconds: float = 0.0
    checks: list[Check] = field(default_factory=list)


# CTest's progress line: "  3/10 Test  #3: name ......   Passed    0.01 sec", with "***Failed",
# "***Timeout", "***Exception: SegFault", "***Skipped" (a test that skipped itself, GTEST_SKIP) or
# "***Not Run" (a test whose executable or dependencies were missing: a failure) in its place.
PROGRESS = re.compile(r"\s*(\d+)/(\d+) Test\s+#\d+: (\S+) \.*\s*(Passed|\*\*\*[A-Za-z]+|Not Run|Skipped)")
SKIPPED_OUTCOMES = {"***Skipped", "Skipped"}


def say(text: str) -> None:
    print(text, flush=True)


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:6.0f} s"


def run(command: list[str], log: list[str], env: dict[str, str] | None = None) -> bool:
    """Runs a command, keeping its output for the report; True if it succeeded."""
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    log.append(f"$ {' '.join(command)}\n{result.stdout}")
    return result.returncode == 0


def test_labels(binary_dir: Path) -> dict[str, list[str]]:
    """Test name -> CTest labels, from ctest's own JSON description of the test set."""
    result = subprocess.run(["ctest", "--test-dir", str(binary_dir), "--show-only=json-v1"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    labels: dict[str, list[str]] = {}
    if result.returncode != 0:
        return labels
    for test in json.loads(result.stdout).get("tests", []):
        names = []
        for prop in test.get("properties", []):
            if prop.get("name") == "LABELS":
                names = list(prop.get("value", []))
        labels[test["name"]] = names
    return labels


def read_junit(path: Path, labels: dict[str, list[str]]) -> list[Check]:
    checks = []
    if not path.exists():
        return checks
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        if case.find("failure") is not None or case.get("status") == "fail":
            status = "failed"
        elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
            status = "skipped"
        else:
            status = "passed"
        output = "".join(node.text or "" for node in case.iter("system-out"))
        checks.append(Check(name, labels.get(name, []) or ["unlabelled"], status,
                            float(case.get("time", "0") or 0), output))
    return checks


def preset_environment(preset: str) -> dict[str, str]:
    """The environment a CMakePresets.json test preset sets (sanitizer options)."""
    presets = json.loads((ROOT / "CMakePresets.json").read_text())
    for test_preset in presets.get("testPresets", []):
        if test_preset.get("name") == preset:
            return dict(test_preset.get("environment", {}))
    return {}


def run_configuration(configuration: Configuration, mode: Mode, jobs: int, start: float) -> None:
    log: list[str] = []
    began = time.monotonic()
    environment = dict(os.environ, **mode.environment, **preset_environment(configuration.preset))
    configure = ["cmake", "--preset", configuration.preset]
    if mode.binary_prefix:
        configure += ["-B", str(configuration.binary_dir)]
    configure += [f"-D{name}={value}" for name, value in mode.cache.items()]

    say(f"[{elapsed(start)}] {configuration.preset}: configure")
    configuration.stage = "configure"
    if run(configure, log, environment):
        say(f"[{elapsed(start)}] {configuration.preset}: build (-j{jobs})")
        configuration.stage = "build"
        if run(["cmake", "--build", str(configuration.binary_dir), f"-j{jobs}"], log, environment):
            configuration.stage = "test"
            labels = test_labels(configuration.binary_dir)
            say(f"[{elapsed(start)}] {configuration.preset}: {len(labels)} checks")
            junit = REPORT_DIR / f"{configuration.preset}.junit.xml"
            junit.unlink(missing_ok=True)
            command = ["ctest", "--test-dir", str(configuration.binary_dir), f"-j{jobs}", "--output-junit", str(junit)]
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       env=environment)
            finished = failed = skipped = 0
            output = []
            assert process.stdout is not None
            for line in process.stdout:
                output.append(line)
                match = PROGRESS.match(line)
                if not match:
                    continue
                finished, total, name, outcome = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
                if outcome in SKIPPED_OUTCOMES:
                    skipped += 1
                elif outcome != "Passed":
                    failed += 1
                    say(f"[{elapsed(start)}] {configuration.preset}: FAILED ({outcome.lstrip('*')}) {name}")
                if finished == total or finished % max(1, total // 4) == 0:
                    say(f"[{elapsed(start)}] {configuration.preset}: {finished}/{total} checks done, {failed} failed, "
                        f"{skipped} skipped")
            process.wait()
            log.append("".join(output))
            configuration.checks = read_junit(junit, labels)
            configuration.stage = "done"
    configuration.log = "".join(log)
    configuration.seconds = time.monotonic() - began
    if configuration.stage != "done":
        say(f"[{elapsed(start)}] {configuration.preset}: {configuration.stage} FAILED; the last lines:")
        for line in configuration.log.splitlines()[-25:]:
            say(f"    {line}")


def layer_rows(configurations: list[Configuration]) -> list[dict]:
    rows = []
    for configuration in configurations:
        by_layer: dict[str, list[Check]] = {}
        for check in configuration.checks:
            for label in check.labels:
                by_layer.setdefault(label, []).append(check)
        for layer in sorted(by_layer, key=lambda name: (LAYER_ORDER.index(name) if name in LAYER_ORDER else 99, name)):
            checks = by_layer[layer]
            row = {
                "layer": layer,
                "configuration": configuration.preset,
                "checks": len(checks),
                "passed": sum(check.status == "passed" for check in checks),
                "failed": sum(check.status == "failed" for check in checks),
                "skipped": sum(check.status == "skipped" for check in checks),
                "seconds": round(sum(check.seconds for check in checks), 2),
                "failures": [check.name for check in checks if check.status == "failed"],
            }
            if layer == "stress":
                # tests/stress/soak_test.cpp prints its summary as lines starting "soak: ", early
                # enough in its short output to fall within the 1 KiB CTest keeps of a passing test.
                row["soak"] = [line.strip() for check in checks for line in check.output.splitlines()
                               if line.startswith("soak: ") and not line.startswith("soak: start:")]
            if layer == "relacy":
                iterations = [int(value) for check in checks
                              for value in re.findall(r"passed, (\d+) iterations", check.output)]
                row["relacy_iterations"] = sum(iterations)
            if layer == "fuzz":
                # fuzz/replay's closing lines: "fuzz T (policy): passed, N executions (...), X execs/s, ..."
                # for a campaign, "K of K inputs passed" for a corpus or the regressions.
                campaigns = [match for check in checks for match in re.finditer(
                    r"fuzz (\w+) \((\w+)\): (passed|FAILED)[^\n]*?(\d+) executions[^\n]*?(\d+) execs/s", check.output)]
                row["fuzz_executions"] = sum(int(match.group(4)) for match in campaigns)
                row["fuzz_targets"] = sorted({match.group(1) for match in campaigns})
                row["fuzz_execs_per_second"] = {f"{match.group(1)}/{match.group(2)}": int(match.group(5))
                                                for match in campaigns}
                row["fuzz_inputs_replayed"] = sum(int(match.group(1)) for check in checks
                                                  for match in re.finditer(r"(\d+) of \d+ inputs passed", check.output))
                row["fuzz_regressions"] = len([path for path in (ROOT / "fuzz" / "regressions").rglob("*")
                                               if path.is_file() and path.name != "README.md"])
                # fuzz_reintroduced (deep runs) prints its summary line first.
                found = [match for check in checks
                         for match in re.finditer(r"reintroduced: (\d+) of (\d+) found", check.output)]
                if found:
                    row["fuzz_reintroduced"] = f"{found[0].group(1)} of {found[0].group(2)} reintroduced bugs found"
            if layer == "mutation":
                # Each bank test writes its outcomes as JSON next to it (CTest keeps only the start
                # of a passing test's output, so the closing line cannot be relied on).
                # A relaxed site is recorded too (mutant "none"): it counts as a failure when no
                # scenario reaches it, but it is not a mutant.
                outcomes = [outcome for path in sorted((configuration.binary_dir / "verify" / "mutation").glob("*.json"))
                            for outcome in json.loads(path.read_text())]
                mutants = [outcome for outcome in outcomes if outcome["mutant"] != "none"]
                row["mutants_total"] = len(mutants)
                row["mutants_killed"] = sum(outcome["verdict"] == "killed" for outcome in mutants)
                row["mutants_documented"] = sum(outcome["verdict"] == "documented" for outcome in mutants)
                row["mutants_failed"] = sum(not outcome["ok"] for outcome in outcomes)
            rows.append(row)
    return rows


def rule_coverage(layers: list[dict]) -> tuple[bool, dict, str]:
    """Runs spec/coverage.py --check; returns (up to date, rule map with status, its output)."""
    target = REPORT_DIR / "coverage.json"
    result = subprocess.run([sys.executable, str(ROOT / "spec" / "coverage.py"), "--check", "--json", str(target),
                             "--markdown", str(REPORT_DIR / "coverage.md")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rules = json.loads(target.read_text()) if target.exists() else {}
    titles = {}
    for line in (ROOT / "spec" / "SPEC.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"### (R\d+) — (.*)", line)
        if match:
            titles[match.group(1)] = match.group(2)
    ran = {}
    for row in layers:
        state = ran.setdefault(row["layer"], {"ran": 0, "failed": 0})
        state["ran"] += row["checks"]
        state["failed"] += row["failed"]
    for rule, entry in rules.items():
        entry["title"] = titles.get(rule, "")
        library_layers = [layer for layer in entry["layers"] if layer != "model"]
        if entry.get("reserved"):
            entry["status"] = "reserved"
        elif not entry["layers"]:
            entry["status"] = "NOT CHECKED"
        elif not library_layers:
            entry["status"] = "model only"
        elif any(ran.get(layer, {}).get("failed", 0) for layer in entry["layers"]):
            entry["status"] = "FAILED"
        elif not any(ran.get(layer, {}).get("ran", 0) for layer in library_layers):
            entry["status"] = "not run"
        else:
            entry["status"] = "passed"
    return result.returncode == 0, rules, result.stdout


def render(mode: Mode, configurations: list[Configuration], layers: list[dict], coverage_ok: bool,
           rules: dict, coverage_output: str, seconds: float, passed: bool) -> str:
    lines = [f"rill verification report: {mode.name} run, {len(configurations)} configurations, {seconds:.0f} s", ""]
    lines.append("Configurations")
    for configuration in configurations:
        state = "ok" if configuration.stage == "done" else f"FAILED at {configuration.stage}"
        lines.append(f"  {configuration.preset:<10} {state:<22} {configuration.seconds:7.0f} s  ({configuration.binary_dir.relative_to(ROOT)})")
    lines.append("")
    lines.append("Layers")
    header = f"  {'layer':<10} {'config':<10} {'checks':>7} {'passed':>7} {'failed':>7} {'skipped':>8} {'time':>9}  notes"
    lines.append(header)
    lines.append("  " + "-" * (len(header) - 2))
    for row in layers:
        notes = []
        if "relacy_iterations" in row:
            notes.append(f"{row['relacy_iterations']:,} Relacy iterations")
        if "mutants_total" in row:
            notes.append(f"kill rate {row['mutants_killed']}/{row['mutants_total']} "
                         f"({row['mutants_documented']} documented survivors, {row['mutants_failed']} failed)")
        if "fuzz_executions" in row:
            rates = ", ".join(f"{name} {rate:,}/s" for name, rate in sorted(row["fuzz_execs_per_second"].items()))
            notes.append(f"targets {', '.join(row['fuzz_targets'])}: {row['fuzz_executions']:,} executions ({rates}); "
                         f"{row['fuzz_inputs_replayed']} corpus and regression inputs replayed, "
                         f"{row['fuzz_regressions']} regressions kept")
        if "fuzz_reintroduced" in row:
            notes.append(row["fuzz_reintroduced"] + " (docs/fuzzing.md, \"Bugs put back\")")
        if row["failures"]:
            notes.append("failed: " + ", ".join(row["failures"][:4]) + (" ..." if len(row["failures"]) > 4 else ""))
        lines.append(f"  {row['layer']:<10} {row['configuration']:<10} {row['checks']:>7} {row['passed']:>7} "
                     f"{row['failed']:>7} {row['skipped']:>8} {row['seconds']:>8.1f}s  {'; '.join(notes)}")
        for soak_line in row.get("soak", []):
            lines.append(f"  {'':<10} {'':<10} {soak_line}")
    lines.append("")
    lines.append("SPEC rules: the layers whose checks cite each rule (in brackets: not run in this run), and the")
    lines.append("outcome of those checks here; 'model only' means only the reference model's own tests cite it")
    ran_layers = {row["layer"] for row in layers if row["checks"]}
    reserved = [rule for rule, entry in rules.items() if entry["status"] == "reserved"]
    for rule, entry in rules.items():
        if entry["status"] == "reserved":
            continue
        layers_text = ", ".join(layer if layer in ran_layers else f"[{layer}]" for layer in entry["layers"]) or "-"
        lines.append(f"  {rule:<4} {entry['title'][:44]:<44} {entry['status']:<12} {layers_text}")
    if reserved:
        lines.append(f"  reserved placeholders: {', '.join(reserved)}")
    lines.append("")
    lines.append("spec/coverage.py --check: " + ("every rule defined and cited" if coverage_ok else "FAILED") +
                 f" (the map: {(REPORT_DIR / 'coverage.md').relative_to(ROOT)})")
    for line in coverage_output.strip().splitlines():
        lines.append(f"  {line}")
    lines.append("")
    checks = [check for configuration in configurations for check in configuration.checks]
    failed = sum(check.status == "failed" for check in checks)
    lines.append(f"verify: {'PASSED' if passed else 'FAILED'}: {len(checks)} checks in {len(configurations)} "
                 f"configurations, {failed} failed")
    lines.append(f"JSON: {(REPORT_DIR / 'report.json').relative_to(ROOT)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--full", action="store_true", help="CI's matrix: dev, then tsan and asan with g++ and clang")
    group.add_argument("--deep", action="store_true", help="more configurations, iterations and mutants")
    group.add_argument("--quick", action="store_true", help=argparse.SUPPRESS)  # the default run is quick now
    parser.add_argument("--presets", help="comma-separated presets instead of the mode's (see CMakePresets.json)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel build and test jobs")
    arguments = parser.parse_args(argv)

    mode = MODES["full" if arguments.full else "deep" if arguments.deep else "standard"]
    if arguments.presets:
        mode.presets = [name for name in arguments.presets.split(",") if name]
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    say(f"verify: {mode.name} run of {', '.join(mode.presets)} with {arguments.jobs} jobs")

    configurations = []
    for preset in mode.presets:
        binary_dir = ROOT / (f"{mode.binary_prefix}/{preset}" if mode.binary_prefix else f"build/{preset}")
        configuration = Configuration(preset, binary_dir)
        run_configuration(configuration, mode, arguments.jobs, start)
        configurations.append(configuration)

    layers = layer_rows(configurations)
    coverage_ok, rules, coverage_output = rule_coverage(layers)
    seconds = time.monotonic() - start
    passed = (coverage_ok and all(c.stage == "done" for c in configurations)
              and all(row["failed"] == 0 for row in layers) and any(row["checks"] for row in layers))

    text = render(mode, configurations, layers, coverage_ok, rules, coverage_output, seconds, passed)
    report = {
        "mode": mode.name,
        "passed": passed,
        "seconds": round(seconds, 1),
        "configurations": [{"preset": c.preset, "binary_dir": str(c.binary_dir.relative_to(ROOT)),
                            "stage": c.stage, "seconds": round(c.seconds, 1), "checks": len(c.checks)}
                           for c in configurations],
        "layers": layers,
        "coverage_up_to_date": coverage_ok,
        "rules": rules,
    }
    (REPORT_DIR / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (REPORT_DIR / "report.txt").write_text(text)
    for configuration in configurations:
        (REPORT_DIR / f"{configuration.preset}.log").write_text(configuration.log)
    say("")
    say(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
