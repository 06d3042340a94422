#!/usr/bin/env python3
"""Runs one example program and checks what it printed (CTest label `examples`).

    check_example.py --mode MODE [--expected FILE] [--capacity N --count N]
                     [--min-lines N] [--max-lines N]  (--program PROGRAM [--program-arg ARG]... | --output-file FILE)

With --output-file the checker reads a recorded transcript instead of running a program: its own
tests (examples/CMakeLists.txt) feed it wrong transcripts and expect the rejection they name.

A program passes if it exits with status 0 (so a failed check inside e10/e11, an uncaught exception
or a sanitizer report fails the test) and its standard output satisfies MODE:

  exact          the output equals EXPECTED, byte for byte.
  pattern        EXPECTED holds one regular expression ("\\n" stands for a line break) that the
                 output must match; --min-lines / --max-lines bound its number of lines.
  interleaving   EXPECTED lists sequences of lines, each opened by a line "== sequence", then a
                 tail opened by "== then" ("#" starts a comment). The output must be an
                 interleaving of all the sequences (each one's lines in its own order, every line
                 exactly once, nothing else), followed by the tail. That is all threads sending
                 into one channel guarantee: each sender's messages in the order it sent them
                 (SPEC R13), none lost or duplicated (R9), and no promise about how senders
                 interleave. Lines must be unique across sequences.
  back_pressure  e07's transcript ("sending v", "sent v", "received v" for v < COUNT, and one
                 "buffer full (C of C)" for a channel of capacity C); check_back_pressure says
                 what it proves.

Prints "rejected: <reason>" and exits 1, or prints the output and "--- accepted (MODE) ---".
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path


class Rejected(Exception):
    pass


def lines_of(text: str, source: str) -> list[str]:
    if text == "":
        return []
    if not text.endswith("\n"):
        raise Rejected(f"{source}: the last line does not end with a line break")
    return text[:-1].split("\n")


def check_exact(output: str, expected: str) -> None:
    if output != expected:
        raise Rejected(f"expected exactly:\n{expected}")


def check_pattern(output: str, pattern: str, min_lines: int | None, max_lines: int | None) -> None:
    pattern = pattern.strip().replace("\\n", "\n")
    if not re.search(pattern, output):
        raise Rejected("the output does not match the pattern")
    count = output.count("\n")
    if min_lines is not None and count < min_lines:
        raise Rejected(f"the output has {count} lines, fewer than {min_lines}")
    if max_lines is not None and count > max_lines:
        raise Rejected(f"the output has {count} lines, more than {max_lines}")


def check_interleaving(output: str, expected: str, expected_name: str) -> None:
    sequences: list[list[str]] = []
    tail: list[str] = []
    in_tail = False
    seen: set[str] = set()
    for line in lines_of(expected, expected_name):
        if line.startswith("#") or line == "":
            continue
        if line == "== sequence":
            sequences.append([])
        elif line == "== then":
            in_tail = True
        elif in_tail:
            tail.append(line)
        elif not sequences:
            sys.exit(f'{expected_name}: a line before the first "== sequence": {line}')
        else:
            if line in seen:
                sys.exit(f'{expected_name}: the line "{line}" appears twice; sequence lines must be unique')
            seen.add(line)
            sequences[-1].append(line)

    lines = lines_of(output, "the output")
    interleaved = sum(len(sequence) for sequence in sequences)
    if len(lines) != interleaved + len(tail):
        raise Rejected(f"expected {interleaved + len(tail)} lines, got {len(lines)}")
    # Each line must be the next unconsumed line of some sequence (lines are unique, so at most one
    # sequence can claim it).
    positions = [0] * len(sequences)
    for number, line in enumerate(lines[:interleaved], start=1):
        for index, sequence in enumerate(sequences):
            if positions[index] < len(sequence) and sequence[positions[index]] == line:
                positions[index] += 1
                break
        else:
            raise Rejected(f'line {number}, "{line}", is not the next line of any sequence: '
                           "unexpected, duplicated or out of order")
    if lines[interleaved:] != tail:
        raise Rejected(f"the output must end with: {tail}")


def check_back_pressure(output: str, capacity: int, count: int) -> None:
    """What a bounded channel of capacity C guarantees about e07's transcript, and nothing more:

    - The producer is one thread: "sending v", then "sent v", then "sending v+1", for v = 0, 1, ...
    - The consumer is one thread: "received 0", "received 1", ... in order (R13), and it receives
      v only after the producer started sending v.
    - The consumer starts only after the producer printed "buffer full (C of C)", which it does
      after "sent C-1" and before "sending C": no "received" line comes before it.
    - Back-pressure (R17): value v is the (v+1)-th send, so the receive that takes value v-C
      happens before "sent v" is printed. The line "received v-C" may still be unprinted (the
      consumer has the value but has not printed it yet), but "received v-C-1" was printed before
      that receive, and printf calls are serialised by the stdout lock in happens-before order. So
      when "sent v" appears, at least v-C "received" lines precede it: at every point,
      sent - received <= C + 1 (the one receive in flight). Legal runs reach the bound
      (check/accepted/e07_one_receive_in_flight.txt); a channel that let a send complete without
      room would exceed it.
    """
    limit = capacity + 1
    sending = sent = received = 0
    full_reported = False
    for line in lines_of(output, "the output"):
        if match := re.fullmatch(r"sending (\d+)", line):
            value = int(match.group(1))
            if value != sending or sent != sending:
                raise Rejected(f'"{line}": sends must start in order, each after the previous one completed')
            if value == capacity and not full_reported:
                raise Rejected(f'"{line}": the full buffer must be reported before sending {capacity}')
            sending += 1
        elif match := re.fullmatch(r"sent (\d+)", line):
            value = int(match.group(1))
            if value != sent or not value < sending:
                raise Rejected(f'"{line}": a send must complete after it started, in order')
            sent += 1
            if sent - received > limit:
                raise Rejected(f'"{line}" with only {received} received: a send completed without room in a buffer '
                               f"of capacity {capacity} (the producer may be at most {capacity} + 1 ahead of the "
                               "printed receives)")
        elif match := re.fullmatch(r"received (\d+)", line):
            value = int(match.group(1))
            if value != received:
                raise Rejected(f'"{line}": values must be received in the order sent, each once')
            if not value < sending:
                raise Rejected(f'"{line}": received before its send started')
            if not full_reported:
                raise Rejected(f'"{line}": the consumer must start only after the buffer was reported full')
            received += 1
        elif line == f"buffer full ({capacity} of {capacity})":
            if full_reported or sent != capacity or sending != capacity:
                raise Rejected(f'"{line}" must come once, right after "sent {capacity}-1"')
            full_reported = True
        else:
            raise Rejected(f'unexpected line "{line}"')
    if sending != count or sent != count or received != count or not full_reported:
        raise Rejected(f"incomplete: {sending} sends started, {sent} completed, {received} received of {count}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Check an example's output.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--program", help="the example program to run")
    source.add_argument("--output-file", help="a recorded transcript to check instead")
    parser.add_argument("--program-arg", action="append", default=[], help="an argument for the program (repeatable)")
    parser.add_argument("--mode", required=True, choices=["exact", "pattern", "interleaving", "back_pressure"])
    parser.add_argument("--expected", help="the expected output (exact), pattern or sequences")
    parser.add_argument("--capacity", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--min-lines", type=int)
    parser.add_argument("--max-lines", type=int)
    arguments = parser.parse_args(argv)

    output = ""
    try:
        if arguments.output_file:
            output = Path(arguments.output_file).read_text(encoding="utf-8")
        else:
            run = subprocess.run([arguments.program, *arguments.program_arg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            output = run.stdout
            if run.stderr:
                print(f"--- standard error ---\n{run.stderr}", end="")
            if run.returncode != 0:
                raise Rejected(f"the program exited with status {run.returncode}")
        expected = Path(arguments.expected).read_text(encoding="utf-8") if arguments.expected else ""
        if arguments.mode == "exact":
            check_exact(output, expected)
        elif arguments.mode == "pattern":
            check_pattern(output, expected, arguments.min_lines, arguments.max_lines)
        elif arguments.mode == "interleaving":
            check_interleaving(output, expected, arguments.expected)
        else:
            if arguments.capacity is None or arguments.count is None:
                parser.error("back_pressure needs --capacity and --count")
            check_back_pressure(output, arguments.capacity, arguments.count)
    except Rejected as rejection:
        print(f"rejected: {rejection}\n--- output ---\n{output}--- end of output ---")
        return 1
    print(f"{output}--- accepted ({arguments.mode}) ---")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
