// verify/relacy/harness.hpp - runs Relacy scenarios from the command line.
//
//   scenario  [--search random|bound|full] [--park-at-once] [--no-bound] [--iterations N]
//             [--bound K] [--replay STATE] [--mutate SITE=ORDER]
//   scenarios --list | --scenario NAME|all [options as above]
//
// Without --search a scenario is explored three times: by the random scheduler (N iterations,
// each a different interleaving drawn from a seeded generator, loads free to read stale values),
// by the random scheduler again with blocking operations parking at their first failed attempt
// (--park-at-once; see backoff_limits in the Relacy backend: it exposes store-load bugs that the
// spin phase hides from Relacy), and by the context-bound scheduler, which enumerates every
// interleaving with at most K preemptions (Relacy's exhaustive schedulers always read the newest
// value, so they complement the random one rather than replace it).
//
// Prints one line per search ("relacy: NAME: passed, N iterations, random scheduler") or, on
// failure, Relacy's execution history (every step with its production file:line, because the
// sync layer passes call sites through) followed by the command that replays exactly the failing
// interleaving. Exit status 0 if every search passed, 1 on a failure, 2 on a usage error.
//
// --mutate SITE=ORDER runs the scenarios with one named ordering site of the library weakened
// (sync/ordering_site.hpp; ORDER is relaxed, acquire, release or acq_rel). With --scenario all
// the scenarios run in turn until one fails, and the last line is the verdict the mutation bank
// (verify/mutation/bank.py) reads:
//   mutant SITE=ORDER: killed by SCENARIO (KIND)
//   mutant SITE=ORDER: SURVIVED (site executed N times, first by SCENARIO)
//   mutant SITE=ORDER: NOT REACHED (no scenario executes the site)
// The exit status is then 0 when the mutant was killed, 1 otherwise. SITE=relaxed on a site that
// is relaxed already changes nothing: the bank uses it to show that some scenario reaches a
// relaxed site (which has no weaker mutant). --first NAME runs that scenario before the others
// (the bank passes the mutant's documented killer, so that a kill costs one scenario, not every
// scenario registered before it); an unknown NAME changes nothing but the order.
#pragma once

#include "rill/detail/sync/sync.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace rill::verify {

/// One exploration of a scenario: a scheduler, and whether blocking operations park at once.
struct search_kind {
  rl::scheduler_type_e scheduler;
  bool park_at_once;
};

struct scenario_options {
  std::vector<search_kind> searches{{rl::random_scheduler_type, false},
                                    {rl::random_scheduler_type, true},
                                    {rl::fair_context_bound_scheduler_type, false}};
  unsigned long long iterations = 100000;
  unsigned bound = 1;
  std::string replay_state;
  std::string scenario;  // for the multi-scenario binary; "all" runs every scenario
  bool list = false;
  std::string mutant;  // SITE=ORDER, or empty
  std::string first;   // with --scenario all: run this scenario first
};

/// What the last failed search reported (for the mutation verdict).
inline rl::test_result_e& last_result() {
  static rl::test_result_e value = rl::test_result_success;
  return value;
}
inline std::string& last_failure() {
  static std::string value;
  return value;
}

[[noreturn]] inline void usage(const char* program) {
  std::cerr
      << "usage: " << program
      << " [--list] [--scenario NAME|all] [--search random|bound|full] [--park-at-once] [--iterations N] [--bound K]"
         " [--replay STATE] [--mutate SITE=ORDER] [--first NAME]\n";
  std::exit(2);
}

inline scenario_options parse_options(int argc, char** argv) {
  scenario_options options;
  bool park_at_once = false;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    const bool has_value = i + 1 < argc;
    if (argument == "--search" && has_value) {
      const std::string value = argv[++i];
      if (value == "random") {
        options.searches = {{rl::random_scheduler_type, false}};
      } else if (value == "bound") {
        options.searches = {{rl::fair_context_bound_scheduler_type, false}};
      } else if (value == "full") {
        options.searches = {{rl::fair_full_search_scheduler_type, false}};
      } else {
        usage(argv[0]);
      }
    } else if (argument == "--park-at-once") {
      park_at_once = true;
    } else if (argument == "--no-bound") {
      // The random searches only: the mutation bank's quick look at a documented survivor in CI
      // (the context-bound search runs to exhaustion whatever --iterations says).
      std::erase_if(options.searches,
                    [](const search_kind& kind) { return kind.scheduler == rl::fair_context_bound_scheduler_type; });
    } else if (argument == "--iterations" && has_value) {
      options.iterations = std::strtoull(argv[++i], nullptr, 10);
    } else if (argument == "--bound" && has_value) {
      options.bound = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (argument == "--replay" && has_value) {
      options.replay_state = argv[++i];
    } else if (argument == "--scenario" && has_value) {
      options.scenario = argv[++i];
    } else if (argument == "--first" && has_value) {
      options.first = argv[++i];
    } else if (argument == "--list") {
      options.list = true;
    } else if (argument == "--mutate" && has_value) {
      options.mutant = argv[++i];
    } else {
      usage(argv[0]);
    }
  }
  if (!options.mutant.empty()) {
    static const std::pair<const char*, std::memory_order> names[] = {{"relaxed", std::memory_order_relaxed},
                                                                      {"acquire", std::memory_order_acquire},
                                                                      {"release", std::memory_order_release},
                                                                      {"acq_rel", std::memory_order_acq_rel},
                                                                      {"seq_cst", std::memory_order_seq_cst}};
    const auto equals = options.mutant.find('=');
    if (equals == std::string::npos || equals == 0) usage(argv[0]);
    const std::string order = options.mutant.substr(equals + 1);
    bool known = false;
    for (const auto& [name, value] : names) {
      if (order == name) {
        // The site's name must outlive every simulation: keep it in a static string.
        static std::string site;
        site = options.mutant.substr(0, equals);
        detail::sync::current_mutant() = {site, value, 0};
        known = true;
      }
    }
    if (!known) usage(argv[0]);
  }
  // A replayed state belongs to one search: replay only the first one named.
  if (!options.replay_state.empty()) options.searches.resize(1);
  if (park_at_once) {
    for (auto& search : options.searches) search.park_at_once = true;
  }
  return options;
}

inline const char* search_flag(rl::scheduler_type_e search) {
  switch (search) {
    case rl::fair_context_bound_scheduler_type: return "bound";
    case rl::fair_full_search_scheduler_type: return "full";
    default: return "random";
  }
}

/// Runs the Relacy test suite `Scenario` under one search; true if it passed.
template <class Scenario>
bool run_search(const char* name, search_kind kind, const scenario_options& options, int argc, char** argv) {
  const rl::scheduler_type_e search = kind.scheduler;
  detail::sync::backoff_limits::park_steps() = kind.park_at_once ? 0 : 2;
  rl::test_params params;
  params.search_type = search;
  params.iteration_count = options.iterations;
  params.context_bound = options.bound;
  // Histories are not collected while searching (that costs most of the time of an iteration);
  // when an iteration fails, Relacy runs that one iteration again with history collection and
  // prints the whole execution history, each step with its production file:line.
  params.collect_history = false;
  params.output_history = false;
  params.execution_depth_limit = 20000;
  // Relacy replaces the global operator new and delete; a stream that allocates while it writes
  // the history (an ostringstream) would free memory through Relacy outside a simulation.
  params.output_stream = &std::cout;
  params.progress_stream = &std::cout;
  params.progress_output_period = 1000000000u;
  if (!options.replay_state.empty()) params.initial_state = options.replay_state.c_str();

  const bool passed = rl::simulate<Scenario>(params);
  last_result() = params.test_result;
  const char* scheduler = rl::format(search);
  const std::string bound_note =
      (search == rl::fair_context_bound_scheduler_type ? " (bound " + std::to_string(options.bound) + ")" : "") +
      std::string(kind.park_at_once ? ", parking at once" : "");
  if (passed) {
    std::cout << "relacy: " << name << ": passed, " << params.stop_iteration << " iterations, " << scheduler
              << bound_note << "\n";
    return true;
  }
  std::cout << "relacy: " << name << ": FAILED (" << rl::test_result_str(params.test_result) << ") at iteration "
            << params.stop_iteration << ", " << scheduler << bound_note << "\n"
            << "replay: " << argv[0];
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--search" || argument == "--replay") {
      ++i;  // replaced below
    } else if (argument == "--park-at-once") {
      // replaced below
    } else {
      std::cout << ' ' << argument;
    }
  }
  std::cout << " --search " << search_flag(search) << (kind.park_at_once ? " --park-at-once" : "") << " --replay '"
            << params.final_state << "'\n";
  return false;
}

/// Runs every search the options ask for; returns the process exit status.
template <class Scenario>
int run_scenario(const char* name, const scenario_options& options, int argc, char** argv) {
  for (const auto search : options.searches) {
    if (!run_search<Scenario>(name, search, options, argc, argv)) {
      last_failure() = std::string(rl::test_result_str(last_result()));
      return 1;
    }
  }
  return 0;
}

template <class Scenario>
int run_scenario(const char* name, int argc, char** argv) {
  return run_scenario<Scenario>(name, parse_options(argc, argv), argc, argv);
}

/// The scenarios compiled into one binary (verify/relacy/scenarios.cpp): one compilation per
/// mutant of the mutation bank instead of one per scenario and mutant.
struct registered_scenario {
  const char* name;
  const char* rules;  // the SPEC rules and known bugs it checks, for the report
  int (*run)(const char* name, const scenario_options& options, int argc, char** argv);
  bool context_bound_search = true;  // false: too many steps to enumerate; random searches only
};

/// The options for one registered scenario: a scenario too large to enumerate keeps only its
/// random searches (unless a search was asked for by name).
inline scenario_options options_for(const registered_scenario& entry, scenario_options options) {
  if (entry.context_bound_search) return options;
  std::erase_if(options.searches, [](const search_kind& kind) { return kind.scheduler != rl::random_scheduler_type; });
  if (options.searches.empty()) options.searches = {{rl::random_scheduler_type, false}};
  return options;
}

inline std::vector<registered_scenario>& scenario_registry() {
  static std::vector<registered_scenario> registry;
  return registry;
}

inline bool register_scenario(registered_scenario entry) {
  scenario_registry().push_back(entry);
  return true;
}

/// main() of the multi-scenario binary: --list, or run the scenario named by --scenario.
inline int run_registered(int argc, char** argv) {
  const scenario_options options = parse_options(argc, argv);
  if (options.list) {
    for (const auto& entry : scenario_registry()) std::cout << entry.name << "\t" << entry.rules << "\n";
    return 0;
  }
  if (options.scenario == "all") {
    int status = 0;
    std::string killer;
    std::string first_user;  // the first scenario that executed the mutated site
    std::vector<registered_scenario> order = scenario_registry();
    std::stable_partition(order.begin(), order.end(),
                          [&](const registered_scenario& entry) { return entry.name == options.first; });
    for (const auto& entry : order) {
      // Named before it runs, so that a mutant that crashes the process is attributed.
      std::cout << "relacy: " << entry.name << ": started" << std::endl;
      const auto uses_before = detail::sync::current_mutant().uses;
      const int outcome = entry.run(entry.name, options_for(entry, options), argc, argv);
      if (first_user.empty() && detail::sync::current_mutant().uses > uses_before) first_user = entry.name;
      if (outcome != 0) {
        status = 1;
        killer = entry.name;
        break;
      }
    }
    if (options.mutant.empty()) return status;
    const auto uses = detail::sync::current_mutant().uses;
    std::cout << "mutant " << options.mutant << ": ";
    if (status != 0) {
      std::cout << "killed by " << killer << " (" << last_failure() << ")\n";
      return 0;
    }
    if (uses == 0) {
      std::cout << "NOT REACHED (no scenario executes the site)\n";
    } else {
      std::cout << "SURVIVED (site executed " << uses << " times, first by " << first_user << ")\n";
    }
    return 1;
  }
  for (const auto& entry : scenario_registry()) {
    if (options.scenario == entry.name) return entry.run(entry.name, options_for(entry, options), argc, argv);
  }
  std::cerr << "unknown scenario '" << options.scenario << "'; --list shows them\n";
  return 2;
}

}  // namespace rill::verify

/// Registers a Relacy test suite under its own name, with the rules it checks.
#define RILL_SCENARIO(type, rules_text)                       \
  [[maybe_unused]] static const bool rill_registered_##type = \
      ::rill::verify::register_scenario({#type, rules_text, &::rill::verify::run_scenario<type>, true})

/// The same for a scenario with too many steps for the context-bound search to enumerate in
/// minutes (three threads, several messages): it runs the random searches only.
#define RILL_SCENARIO_RANDOM_ONLY(type, rules_text)           \
  [[maybe_unused]] static const bool rill_registered_##type = \
      ::rill::verify::register_scenario({#type, rules_text, &::rill::verify::run_scenario<type>, false})

/// Asserts a property inside a scenario; a failure is a Relacy test failure with a history.
#define RILL_MODEL_ASSERT(condition) RL_ASSERT(condition)
