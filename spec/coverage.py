#!/usr/bin/env python3
"""Which SPEC rule is checked where: the coverage map of spec/SPEC.md's rules.

Every check (unit test, property test, Relacy scenario, fuzzer, example, model test...) names the
rules it checks in a comment:

    // SPEC R7
    // SPEC R7, R13          // SPEC R7 R13          // SPEC R3-R9 (a range)

Relacy scenarios may also cite through their registration macro, which names the scenario:

    RILL_SCENARIO(disconnect_visibility_array, "R10, R16, KB7");

This script scans tests/, verify/, fuzz/, examples/, spec/model/ and bench/ (relative to the
repository root, the parent of spec/) and maps each rule id to the files that cite it and, where it
can tell, the test that does (the enclosing TEST/TEST_F/TEST_P, or one starting a few lines below
the comment). SPEC.md itself holds only the contract: the map is generated, never committed, so
adding a test changes no document. It also keeps SPEC.md's table of contents (between <!-- toc -->
and <!-- /toc -->) in step with its headings. Rules whose heading says "reserved" are placeholders.

    python3 spec/coverage.py                      # print a summary
    python3 spec/coverage.py --markdown FILE      # write the map as Markdown (./run-verify writes
                                                  # build/verify/coverage.md)
    python3 spec/coverage.py --json FILE          # {"R7": {"files": [...], "layers": [...], "tests": [...]}}
    python3 spec/coverage.py --update-toc         # rewrite SPEC.md's table of contents
    python3 spec/coverage.py --check              # exit 1 if a check cites a rule SPEC.md does not
                                                  # define, a normative rule has no check outside the
                                                  # reference model's own tests, or the contents are stale

The layer of a file comes from its path (tests/unit* -> unit, verify/relacy -> relacy, ...; see
PATH_LAYERS); a file outside those paths takes the CTest label of the CMake registration that
lists it as a source (LABEL <x> ... SOURCES <files>), if any. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
ROOT = SPEC_DIR.parent
SPEC_FILE = SPEC_DIR / "SPEC.md"

SCAN_DIRS = ["tests", "verify", "fuzz", "examples", "spec/model", "bench"]
SOURCE_SUFFIXES = {
    ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".ipp", ".inl", ".tpp",
    ".py", ".sh", ".cmake", ".rs", ".go", ".toml", ".yaml", ".yml", ".txt", ".md",
}
SKIP_DIR_NAMES = {"build", ".git", "__pycache__", "corpus", "crashes"}

# First matching prefix wins; the layer names are the CTest labels where one exists.
PATH_LAYERS = [
    ("tests/unit", "unit"),
    ("tests/regression", "unit"),
    ("tests/compile_fail", "unit"),
    ("tests/async", "unit"),
    ("tests/stress", "stress"),
    ("tests/property", "property"),
    ("tests/lint", "lint"),
    ("tests/package", "package"),
    ("verify/relacy", "relacy"),
    ("verify/mutation", "mutation"),
    ("fuzz/", "fuzz"),
    ("examples/", "examples"),
    ("spec/model", "model"),
    ("bench/", "bench"),
]
LAYER_ORDER = ["unit", "property", "stress", "relacy", "mutation", "fuzz", "examples", "model",
               "lint", "package", "bench"]

# "SPEC" followed by one or more rule ids, separated by commas, spaces, "and", "/" or a range dash.
CITATION = re.compile(r"\bSPEC:?\s+(R\d+(?:\s*(?:,|/|&|\band\b|-|\u2013|\u2014)?\s*R\d+)*)")
SCENARIO_CITATION = re.compile(r"\bRILL_SCENARIO\s*\(\s*(\w+)\s*,\s*\"([^\"]*)\"")
RULE_TOKEN = re.compile(r"R(\d+)|([-\u2013\u2014])")
TEST_MACRO = re.compile(r"^\s*(?:TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
RULE_HEADING = re.compile(r"^###\s+R(\d+)\b(.*)$")
TOC_BLOCK = re.compile(r"(<!-- toc -->\n)(.*?)(<!-- /toc -->)", re.DOTALL)
LOOK_AHEAD_LINES = 5


@dataclass
class Citation:
    rule: int
    file: str  # relative to ROOT, POSIX separators
    test: str | None


@dataclass
class RuleCoverage:
    files: dict[str, list[str]] = field(default_factory=dict)  # file -> test names, in order

    def add(self, file: str, test: str | None) -> None:
        tests = self.files.setdefault(file, [])
        if test and test not in tests:
            tests.append(test)


# ------------------------------------------------------------------------------------------------
# Scanning
# ------------------------------------------------------------------------------------------------

def rule_ids(text: str) -> list[int]:
    """The ids in "R7, R13" or "R3-R9" (ranges expanded), in order, without duplicates."""
    ids: list[int] = []
    pending_range = False
    for match in RULE_TOKEN.finditer(text):
        if match.group(2):
            pending_range = bool(ids)
            continue
        number = int(match.group(1))
        if pending_range and ids and ids[-1] < number:
            ids.extend(range(ids[-1] + 1, number + 1))
        else:
            ids.append(number)
        pending_range = False
    seen: set[int] = set()
    return [i for i in ids if not (i in seen or seen.add(i))]


def code_braces(line: str) -> int:
    """Net braces of a C++ line, ignoring // comments and string and character literals."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "''", line)
    line = line.split("//", 1)[0]
    return line.count("{") - line.count("}")


def test_for_line(lines: list[str], index: int) -> str | None:
    """The test a citation on lines[index] belongs to: the enclosing one, else one just below."""
    for back in range(index, -1, -1):
        match = TEST_MACRO.match(lines[back])
        if match:
            # Inside the body: the test's brace was opened and has not closed before the citation.
            depth = 0
            opened = closed = False
            for line in lines[back:index]:
                depth += code_braces(line)
                opened = opened or depth > 0
                closed = closed or (opened and depth <= 0)
            if back == index or (opened and not closed):
                return f"{match.group(1)}.{match.group(2)}"
            break
    for ahead in range(index + 1, min(len(lines), index + 1 + LOOK_AHEAD_LINES)):
        match = TEST_MACRO.match(lines[ahead])
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return None


def scan_file(path: Path) -> list[Citation]:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    relative = path.relative_to(ROOT).as_posix()
    lines = text.splitlines()
    citations: list[Citation] = []
    for index, line in enumerate(lines):
        for match in CITATION.finditer(line):
            test = test_for_line(lines, index)
            citations.extend(Citation(rule, relative, test) for rule in rule_ids(match.group(1)))
        for match in SCENARIO_CITATION.finditer(line):
            citations.extend(Citation(rule, relative, match.group(1)) for rule in rule_ids(match.group(2)))
    return citations


def files_to_scan() -> list[Path]:
    found: list[Path] = []
    for directory in SCAN_DIRS:
        base = ROOT / directory
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or any(part in SKIP_DIR_NAMES for part in path.relative_to(ROOT).parts):
                continue
            if path.suffix in SOURCE_SUFFIXES or path.name == "CMakeLists.txt":
                found.append(path)
    return found


# ------------------------------------------------------------------------------------------------
# Layers
# ------------------------------------------------------------------------------------------------

CMAKE_CALL = re.compile(r"\b(\w+)\s*\(", re.MULTILINE)


def cmake_calls(text: str):
    """(command, argument text) for every command call in a CMake file, parentheses balanced."""
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for match in CMAKE_CALL.finditer(text):
        depth = 1
        position = match.end()
        while position < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[position], 0)
            position += 1
        yield match.group(1), text[match.end():position - 1]


def registered_labels() -> dict[str, set[str]]:
    """Source file (relative) -> CTest labels, from calls like rill_gtest(x LABEL unit SOURCES a.cpp)."""
    labels: dict[str, set[str]] = {}
    keywords = {"LABEL", "LABELS", "SOURCE", "SOURCES", "LIBRARIES", "TIMEOUT", "MUTANT", "ORDER", "EXPECT"}
    for directory in SCAN_DIRS:
        base = ROOT / directory
        if not base.is_dir():
            continue
        for cmake_file in base.rglob("*"):
            if not cmake_file.is_file() or not (cmake_file.name == "CMakeLists.txt" or cmake_file.suffix == ".cmake"):
                continue
            try:
                text = cmake_file.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            list_dir = cmake_file.parent
            # A .cmake file is include()d: CMAKE_CURRENT_SOURCE_DIR is then its includer's directory,
            # which in this repository is the parent directory.
            source_dirs = [list_dir] if cmake_file.name == "CMakeLists.txt" else [list_dir, list_dir.parent]
            for _, arguments in cmake_calls(text):
                tokens = arguments.split()
                call_labels: list[str] = []
                sources: list[str] = []
                current = None
                for token in tokens:
                    if token in keywords:
                        current = token
                    elif current in ("LABEL", "LABELS"):
                        call_labels.append(token.strip('"'))
                    elif current in ("SOURCE", "SOURCES"):
                        sources.append(token.strip('"'))
                if not call_labels or not sources:
                    continue
                for source in sources:
                    for source_dir in source_dirs:
                        resolved = (source.replace("${CMAKE_CURRENT_LIST_DIR}", str(list_dir))
                                    .replace("${CMAKE_CURRENT_SOURCE_DIR}", str(source_dir))
                                    .replace("${PROJECT_SOURCE_DIR}", str(ROOT))
                                    .replace("${CMAKE_SOURCE_DIR}", str(ROOT)))
                        candidate = Path(resolved)
                        if not candidate.is_absolute():
                            candidate = source_dir / candidate
                        if candidate.is_file():
                            relative = candidate.resolve().relative_to(ROOT).as_posix()
                            labels.setdefault(relative, set()).update(call_labels)
                            break
    return labels


def layer_of(file: str, labels: dict[str, set[str]]) -> list[str]:
    for prefix, layer in PATH_LAYERS:
        if file.startswith(prefix):
            return [layer]
    if file in labels:
        return sorted(labels[file])
    return ["other"]


def layer_key(layer: str) -> tuple[int, str]:
    return (LAYER_ORDER.index(layer) if layer in LAYER_ORDER else len(LAYER_ORDER), layer)


# ------------------------------------------------------------------------------------------------
# SPEC.md
# ------------------------------------------------------------------------------------------------

def spec_rules(spec_text: str) -> dict[int, bool]:
    """Rule id -> whether it is a reserved placeholder (its heading says so)."""
    rules: dict[int, bool] = {}
    for line in spec_text.splitlines():
        match = RULE_HEADING.match(line)
        if match:
            rules[int(match.group(1))] = "reserved" in match.group(2).lower()
    return rules


def render_block(rule: int, coverage: RuleCoverage | None, reserved: bool,
                 labels: dict[str, set[str]]) -> str:
    if coverage is None or not coverage.files:
        return ("- *nothing yet: the rule is reserved*\n" if reserved
                else "- *no check cites this rule yet*\n")
    rows = []
    for file, tests in coverage.files.items():
        layer = ", ".join(layer_of(file, labels))
        named = ": " + ", ".join(f"`{test}`" for test in tests) if tests else ""
        rows.append((layer_key(layer_of(file, labels)[0]), file, f"- {layer} — `{file}`{named}\n"))
    return "".join(row for _, _, row in sorted(rows))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def render_toc(spec_text: str) -> str:
    """Every section (##) and, under it, every rule (###); reserved runs of rules on one line."""
    sections: list[tuple[str, list[tuple[str, bool]]]] = []
    in_code = False
    for line in spec_text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        if line.startswith("## ") and line[3:].strip() != "Contents":
            sections.append((line[3:].strip(), []))
        elif (match := RULE_HEADING.match(line)) and sections:
            sections[-1][1].append((line[4:].strip(), "reserved" in match.group(2).lower()))
    lines = []
    for title, rule_headings in sections:
        lines.append(f"- [{title}](#{anchor(title)})\n")
        if rule_headings and all(reserved for _, reserved in rule_headings):
            ids = ", ".join(f"[{heading.split()[0]}](#{anchor(heading)})" for heading, _ in rule_headings)
            lines.append(f"  - {ids}\n")
            continue
        for heading, _ in rule_headings:
            lines.append(f"  - [{heading}](#{anchor(heading)})\n")
    return "".join(lines)


def render_markdown(coverage: dict[int, RuleCoverage], rules: dict[int, bool], titles: dict[int, str],
                    labels: dict[str, set[str]]) -> str:
    lines = ["# Which check cites which SPEC rule\n\n",
             "Generated by `python3 spec/coverage.py --markdown`; not committed (adding a test changes no\n",
             "document). One line per citing file, with its layer (the CTest label; `model` means the\n",
             "reference model's own tests) and the tests in it that cite the rule.\n"]
    for rule in sorted(rules):
        lines.append(f"\n## R{rule}{titles.get(rule, '')}\n\n")
        lines.append(render_block(rule, coverage.get(rule), rules[rule], labels))
    return "".join(lines)


def spec_titles(spec_text: str) -> dict[int, str]:
    return {int(match.group(1)): match.group(2) for line in spec_text.splitlines()
            if (match := RULE_HEADING.match(line))}


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Which check cites which rule of spec/SPEC.md.")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a cited rule id is unknown, a normative rule has no "
                             "library check, or SPEC.md's contents are stale")
    parser.add_argument("--json", metavar="FILE", help="write the rule -> files/layers map as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write the rule -> checks map as Markdown")
    parser.add_argument("--update-toc", action="store_true", help="rewrite SPEC.md's table of contents")
    arguments = parser.parse_args(argv)

    spec_text = SPEC_FILE.read_text(encoding="utf-8")
    rules = spec_rules(spec_text)
    labels = registered_labels()

    coverage: dict[int, RuleCoverage] = {}
    unknown: dict[int, set[str]] = {}
    for path in files_to_scan():
        for citation in scan_file(path):
            if citation.rule not in rules:
                unknown.setdefault(citation.rule, set()).add(citation.file)
                continue
            coverage.setdefault(citation.rule, RuleCoverage()).add(citation.file, citation.test)

    problems: list[str] = []
    for rule, files in sorted(unknown.items()):
        problems.append(f"R{rule} is cited but not defined in spec/SPEC.md: {', '.join(sorted(files))}")

    normative = [rule for rule, reserved in sorted(rules.items()) if not reserved]
    covered = [rule for rule in normative if rule in coverage]
    # Tests of the reference model check the model, not the library.
    model_only = [rule for rule in covered
                  if all(layer_of(file, labels) == ["model"] for file in coverage[rule].files)]
    uncovered = [rule for rule in normative if rule not in coverage]
    for rule in uncovered:
        problems.append(f"R{rule} is normative but no check cites it")
    for rule in model_only:
        problems.append(f"R{rule} is cited only by the reference model's own tests, which do not check the library")

    toc_text = TOC_BLOCK.sub(lambda match: match.group(1) + render_toc(spec_text) + match.group(3), spec_text)
    stale_toc = toc_text != spec_text

    if arguments.json:
        report = {}
        for rule in sorted(rules):
            entry = coverage.get(rule, RuleCoverage())
            files = sorted(entry.files)
            layers = sorted({layer for file in files for layer in layer_of(file, labels)}, key=layer_key)
            tests = [test for file in files for test in entry.files[file]]
            report[f"R{rule}"] = {"files": files, "layers": layers, "tests": tests, "reserved": rules[rule]}
        Path(arguments.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if arguments.markdown:
        Path(arguments.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(arguments.markdown).write_text(render_markdown(coverage, rules, spec_titles(spec_text), labels),
                                            encoding="utf-8")

    print(f"rules: {len(rules)} ({len(normative)} normative, {len(rules) - len(normative)} reserved)")
    print(f"rules with at least one check: {len(covered)}")
    print(f"rules without a check: {len(uncovered)}" +
          (f" ({', '.join(f'R{rule}' for rule in uncovered)})" if uncovered else ""))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)

    if arguments.update_toc and stale_toc:
        SPEC_FILE.write_text(toc_text, encoding="utf-8")
        print("spec/SPEC.md: table of contents updated")
        stale_toc = False
    if stale_toc:
        print("error: spec/SPEC.md's table of contents is out of date; run: python3 spec/coverage.py --update-toc",
              file=sys.stderr)
    return 1 if problems or (arguments.check and stale_toc) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
