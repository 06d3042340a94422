// fuzz/libfuzzer_target.cpp - the libFuzzer entry point of one fuzz target (RILL_FUZZ_TARGET
// names it: channel, select, timer or all). Built with clang++ -fsanitize=fuzzer; see
// docs/fuzzing.md. A failure prints the oracle's reason and aborts, so libFuzzer keeps the input;
// `replay --target T FILE` then prints its program and schedule step by step.
#include "harness.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#ifndef RILL_FUZZ_TARGET
#define RILL_FUZZ_TARGET all
#endif
#define RILL_FUZZ_STRING2(name) #name
#define RILL_FUZZ_STRING(name) RILL_FUZZ_STRING2(name)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const rill::fuzz::target which = [] {
    rill::fuzz::target parsed = rill::fuzz::target::all;
    rill::fuzz::parse_target(RILL_FUZZ_STRING(RILL_FUZZ_TARGET), parsed);
    return parsed;
  }();
  const rill::fuzz::run_report report = rill::fuzz::run_input({data, size}, which);
  if (report.failed) {
    std::fprintf(stderr, "rill fuzz (%s): FAILED: %s\n", RILL_FUZZ_STRING(RILL_FUZZ_TARGET), report.reason.c_str());
    std::abort();
  }
  return 0;
}
