// fuzz/replay.cpp - runs fuzz inputs without a fuzzing engine: replays files, or runs a seeded
// campaign. See docs/fuzzing.md.
//
//   replay [--target T] [--quiet] FILE...      replays each input (a directory: every file in it);
//                                              one FILE prints the decoded program and every step
//   replay --campaign N [--seed S] [--target T] [--save DIR]
//                                              runs N random inputs (seeds S, S+1, ...); stops at
//                                              the first failure and writes the input to DIR
//   replay --switches                          measures the scheduler's thread switches per second
//
// The target (the repertoire of operations, fuzz/program.hpp) defaults to the name of the file's
// directory when that is a target's name (fuzz/corpus/select/...), else `all`.
// Exit status: 0 if every run passed, 1 if one failed, 2 on a usage error.
#include "harness.hpp"

#include <chrono>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using rill::fuzz::target;

[[noreturn]] void usage() {
  std::cerr << "usage: replay [--target channel|select|timer|all] [--quiet] FILE|DIR...\n"
               "       replay --campaign N [--seed S] [--target T] [--save DIR]\n";
  std::exit(2);
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

target target_for(const std::filesystem::path& path, const std::string& named) {
  target which = target::all;
  if (!named.empty()) {
    rill::fuzz::parse_target(named, which);
    return which;
  }
  rill::fuzz::parse_target(path.parent_path().filename().string(), which);
  return which;
}

}  // namespace

int main(int argc, char** argv) {
  std::string named_target;
  std::vector<std::filesystem::path> inputs;
  bool quiet = false;
  std::uint64_t campaign = 0;
  std::uint64_t seed = 1;
  std::filesystem::path save_dir = ".";
  bool measure_switches = false;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const bool has_value = i + 1 < argc;
    if (argument == "--target" && has_value) {
      named_target = argv[++i];
      target ignored;
      if (!rill::fuzz::parse_target(named_target, ignored)) usage();
    } else if (argument == "--switches") {
      measure_switches = true;
    } else if (argument == "--quiet") {
      quiet = true;
    } else if (argument == "--campaign" && has_value) {
      campaign = std::strtoull(argv[++i], nullptr, 10);
    } else if (argument == "--seed" && has_value) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (argument == "--save" && has_value) {
      save_dir = argv[++i];
    } else if (!argument.empty() && argument[0] != '-') {
      inputs.emplace_back(argument);
    } else {
      usage();
    }
  }

  if (measure_switches) {
    // Two threads yield to each other: every yield is a scheduling point and a switch.
    rill::fuzz::byte_decisions fair({});
    rill::detail::sync::sim::options settings;
    settings.no_progress_limit = ~std::uint64_t{0};
    rill::detail::sync::sim::scheduler scheduler(fair, settings);
    constexpr int yields = 1000000;
    for (int t = 0; t < 2; ++t) {
      scheduler.spawn([] {
        for (int i = 0; i < yields; ++i) rill::detail::sync::yield_now();
      });
    }
    const auto began = std::chrono::steady_clock::now();
    scheduler.run();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::cout << "sim scheduler: " << scheduler.switches() << " switches in " << seconds << " s, "
              << static_cast<std::uint64_t>(scheduler.switches() / seconds) << " switches/s\n";
    return 0;
  }

  if (campaign > 0) {
    target which = target::all;
    if (!named_target.empty()) rill::fuzz::parse_target(named_target, which);
    const auto began = std::chrono::steady_clock::now();
    std::uint64_t steps = 0;
    std::uint64_t switches = 0;
    std::uint64_t rescued = 0;
    for (std::uint64_t run = 0; run < campaign; ++run) {
      const std::vector<std::uint8_t> input = rill::fuzz::random_input(seed + run);
      const rill::fuzz::run_report report = rill::fuzz::run_input(input, which);
      steps += report.steps;
      switches += report.switches;
      rescued += report.rescued ? 1 : 0;
      if (report.failed) {
        std::filesystem::create_directories(save_dir);
        const auto file = save_dir / ("seed-" + std::to_string(seed + run));
        std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(input.data()),
                                                    static_cast<std::streamsize>(input.size()));
        std::cout << "fuzz " << rill::fuzz::to_string(which) << ": FAILED at execution " << run + 1 << " (seed "
                  << seed + run << "): " << report.reason << "\n"
                  << "input written to " << file.string() << "; replay: " << argv[0] << " --target "
                  << rill::fuzz::to_string(which) << " " << file.string() << "\n";
        return 1;
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::cout << "fuzz " << rill::fuzz::to_string(which) << ": passed, " << campaign << " executions (seeds " << seed
              << ".." << seed + campaign - 1 << "), " << static_cast<std::uint64_t>(campaign / seconds)
              << " execs/s, " << steps / campaign << " steps/execution, "
              << static_cast<std::uint64_t>(switches / seconds) << " switches/s, " << rescued
              << " programs blocked for ever and were rescued\n";
    return 0;
  }

  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(input)) {
        if (entry.is_regular_file() && entry.path().extension() != ".md") found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(input);
    }
  }
  if (inputs.empty()) usage();
  if (files.empty()) {
    std::cout << "no inputs to replay\n";
    return 0;
  }
  const bool trace = files.size() == 1 && !quiet;
  int failures = 0;
  for (const auto& file : files) {
    const std::vector<std::uint8_t> input = read_file(file);
    rill::fuzz::run_options options;
    if (trace) options.trace = &std::cout;
    const target which = target_for(file, named_target);
    const rill::fuzz::run_report report = rill::fuzz::run_input(input, which, options);
    if (report.failed) {
      ++failures;
      std::cout << file.string() << " (" << rill::fuzz::to_string(which) << "): FAILED: " << report.reason << "\n";
    } else if (trace || !quiet) {
      std::cout << file.string() << " (" << rill::fuzz::to_string(which) << "): passed, " << report.steps << " steps"
                << (report.rescued ? ", blocked for ever and rescued" : "") << "\n";
    }
  }
  if (files.size() > 1) std::cout << files.size() - failures << " of " << files.size() << " inputs passed\n";
  return failures == 0 ? 0 : 1;
}
