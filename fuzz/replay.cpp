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
// Options of both modes:
//   --memory sc|weak|input    the memory model (default: the input's flag, bit 3 of its flags byte)
//   --mutate SITE=ORDER       weakens one named ordering site, as relacy_scenarios --mutate does
//   --allocation-failures     an allocation by a program's thread may fail, by decision (one value
//                             byte per allocation; 1 answer in 8 fails it), as SPEC R24 allows
// Options of a campaign:
//   --policy uniform|pct|guided
//                             the inputs: fresh random inputs (uniform), their programs under PCT
//                             schedules (pct), or coverage-guided: mutations of earlier inputs
//                             that reached a new site or switch pair (guided, fuzz/guided.hpp)
//   --depth D                 PCT's bug depth (default 3)
//
// A campaign with --mutate ends with one line that verify/mutation/fuzz_table.py reads:
//   fuzz-mutant SITE=ORDER TARGET POLICY: killed at execution N (seed S): REASON
//   fuzz-mutant SITE=ORDER TARGET POLICY: survived N executions (site executed U times)
//   fuzz-mutant SITE=ORDER TARGET POLICY: not reached in N executions
// A failure counts against the mutant only if the same input (same program, same decisions)
// passes without it; one that fails without it too is the library's own bug, counted and skipped.
//
// The target (the repertoire of operations, fuzz/program.hpp) defaults to the name of the file's
// directory when that is a target's name (fuzz/corpus/select/...), else `all`.
// Exit status: 0 if every run passed, 1 if one failed, 2 on a usage error.
#include "generator.hpp"
#include "guided.hpp"
#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace {

using rill::fuzz::target;

[[noreturn]] void usage() {
  std::cerr << "usage: replay [--target channel|select|timer|all] [--quiet] [--memory sc|weak|input]\n"
               "              [--mutate SITE=ORDER] [--allocation-failures] FILE|DIR...\n"
               "       replay --campaign N [--seed S] [--target T] [--save DIR] [--memory M] [--mutate SITE=ORDER]\n"
               "              [--policy uniform|pct|guided] [--depth D]\n";
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

bool parse_mutant(const std::string& text) {
  static const std::pair<const char*, std::memory_order> names[] = {{"relaxed", std::memory_order_relaxed},
                                                                    {"acquire", std::memory_order_acquire},
                                                                    {"release", std::memory_order_release},
                                                                    {"acq_rel", std::memory_order_acq_rel},
                                                                    {"seq_cst", std::memory_order_seq_cst}};
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) return false;
  for (const auto& [name, value] : names) {
    if (text.substr(equals + 1) == name) {
      static std::string site;  // outlives every run
      site = text.substr(0, equals);
      rill::detail::sync::sim::current_mutant() = {site, value, 0};
      return true;
    }
  }
  return false;
}

void write_input(const std::filesystem::path& file, const std::vector<std::uint8_t>& input) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
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
  rill::fuzz::run_options common;
  std::string mutant;
  bool pct = false;
  bool guided = false;
  unsigned depth = 3;
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
    } else if (argument == "--memory" && has_value) {
      const std::string model = argv[++i];
      if (model == "sc") {
        common.memory = rill::fuzz::memory_model::sequential;
      } else if (model == "weak") {
        common.memory = rill::fuzz::memory_model::weak;
      } else if (model == "input") {
        common.memory = rill::fuzz::memory_model::from_input;
      } else {
        usage();
      }
    } else if (argument == "--mutate" && has_value) {
      mutant = argv[++i];
      if (!parse_mutant(mutant)) usage();
    } else if (argument == "--allocation-failures") {
      common.allocation_failures = true;
    } else if (argument == "--policy" && has_value) {
      const std::string policy = argv[++i];
      if (policy != "uniform" && policy != "pct" && policy != "guided") usage();
      pct = policy == "pct";
      guided = policy == "guided";
    } else if (argument == "--depth" && has_value) {
      depth = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
      if (depth == 0) usage();
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
    const std::string policy = pct ? "pct" : guided ? "guided" : "uniform";
    const std::string name = std::string(rill::fuzz::to_string(which));
    auto& weakened = rill::detail::sync::sim::current_mutant();
    const auto began = std::chrono::steady_clock::now();
    std::uint64_t steps = 0;
    std::uint64_t switches = 0;
    std::uint64_t rescued = 0;
    std::uint64_t own_failures = 0;  // with a mutant: failures the library has without it too
    std::uint64_t pct_steps = 100;   // PCT's estimate of k: the previous execution's steps
    rill::fuzz::guided_inputs mutator(seed, which);
    for (std::uint64_t run = 0; run < campaign; ++run) {
      std::vector<std::uint8_t> input = guided ? mutator.next(seed + run) : rill::fuzz::random_input(seed + run, which);
      rill::fuzz::run_options options = common;
      if (guided) options.observer = [&mutator](const rill::detail::sync::sim::step& taken) { mutator.observe(taken); };
      std::optional<rill::fuzz::pct_decisions> priorities;
      if (pct) {
        input.resize(1 + input[0]);  // the program part; the schedule is PCT's
        priorities.emplace(seed + run, depth, pct_steps);
        options.decisions = &*priorities;
      }
      const rill::fuzz::run_report report = rill::fuzz::run_input(input, which, options);
      if (pct) {
        pct_steps = std::clamp<std::uint64_t>(report.steps, 20, 2000);
        input.insert(input.end(), priorities->schedule().begin(), priorities->schedule().end());
      }
      if (guided) mutator.learn(input);
      steps += report.steps;
      switches += report.switches;
      rescued += report.rescued ? 1 : 0;
      if (!report.failed) continue;
      if (!mutant.empty()) {
        // The same input without the mutant: a failure there too is not the mutant's doing.
        const auto kept = weakened;
        weakened.site = {};
        rill::fuzz::run_options plain = common;
        const rill::fuzz::run_report without = rill::fuzz::run_input(input, which, plain);
        weakened = kept;
        if (without.failed) {
          ++own_failures;
          continue;
        }
      }
      const auto file = save_dir / ("seed-" + std::to_string(seed + run));
      write_input(file, input);
      std::string replay = std::string(argv[0]) + " --target " + name;
      if (common.memory == rill::fuzz::memory_model::weak) replay += " --memory weak";
      if (common.memory == rill::fuzz::memory_model::sequential) replay += " --memory sc";
      if (common.allocation_failures) replay += " --allocation-failures";
      if (!mutant.empty()) replay += " --mutate " + mutant;
      std::cout << "fuzz " << name << ": FAILED at execution " << run + 1 << " (seed " << seed + run
                << "): " << report.reason << "\n"
                << "input written to " << file.string() << "; replay: " << replay << " " << file.string() << "\n";
      if (!mutant.empty()) {
        const auto line = report.reason.find('\n');
        std::cout << "fuzz-mutant " << mutant << " " << name << " " << policy << ": killed at execution " << run + 1
                  << " (seed " << seed + run << "): " << report.reason.substr(0, line) << "\n";
      }
      return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::cout << "fuzz " << name << " (" << policy << (pct ? ", depth " + std::to_string(depth) : "") << "): passed, "
              << campaign << " executions (seeds " << seed << ".." << seed + campaign - 1 << "), "
              << static_cast<std::uint64_t>(campaign / seconds) << " execs/s, " << steps / campaign
              << " steps/execution, " << static_cast<std::uint64_t>(switches / seconds) << " switches/s, " << rescued
              << " programs blocked for ever and were rescued"
              << (guided ? ", corpus of " + std::to_string(mutator.corpus_size()) + " inputs, " +
                               std::to_string(mutator.features()) + " features"
                         : "")
              << (own_failures != 0 ? ", " + std::to_string(own_failures) + " failures without the mutant too" : "")
              << "\n";
    if (!mutant.empty()) {
      std::cout << "fuzz-mutant " << mutant << " " << name << " " << policy << ": "
                << (weakened.uses == 0 ? "not reached in " + std::to_string(campaign) + " executions"
                                       : "survived " + std::to_string(campaign) + " executions (site executed " +
                                             std::to_string(weakened.uses) + " times)")
                << "\n";
    }
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
    rill::fuzz::run_options options = common;
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
