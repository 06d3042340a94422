// bench/cpp/workloads.hpp - the workloads every C++ benchmark program runs (rill and each peer).
//
// Method
// ------
// The workloads are crossbeam-channel's benchmark suite (docs/benchmark-workloads.md):
// 8-byte messages, `threads` worker threads (4 unless told), wall time of the whole workload with
// channel creation, thread start/join and channel destruction included. A program is one channel
// implementation wrapped in an *adapter* (see `adapter` below) and `run_main<Adapter>` turns it into
// a command line program that runs one case per invocation, so that bench/run can measure each
// case's peak memory and context switches from the outside (wait4 rusage of the process).
//
// Every producer sends distinct values and every consumer adds up what it received; the total is
// checked against the expected sum, so a lost or duplicated message fails the run instead of
// producing a fast number, and the compiler cannot drop the receive loop. Consumers receive an
// exact count (crossbeam's benchmark does the same), so queues without disconnection run the same
// code as channels with it.
//
// Commands (one per process):
//   PROGRAM FLAVOR_WORKLOAD [--messages N] [--threads T]   e.g. bounded1_mpmc
//   PROGRAM latency_FLAVOR [--round-trips N]               ping-pong round trip, median and p99
//   PROGRAM pair_cost_FLAVOR [--messages N]                one thread: send then receive, ns per pair
//   PROGRAM --list                                         the case names this program knows
// Output, one line: `NAME  IMPLEMENTATION  0.512 sec`, `NAME  IMPLEMENTATION  n/a (reason)`, or
// `NAME  IMPLEMENTATION  key=value ...` for the measurements that are not a wall time.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bench {

/// The 8-byte message: one machine word, as in crossbeam's benchmark.
using message = std::uint64_t;
static_assert(sizeof(message) == 8);

inline constexpr std::size_t default_messages = 5'000'000;
inline constexpr std::size_t default_threads = 4;
inline constexpr std::size_t default_round_trips = 20'000;

enum class flavor { bounded0, bounded1, bounded, unbounded };
enum class workload { seq, spsc, mpsc, mpmc, select_rx, select_both };

inline constexpr std::array all_flavors{flavor::bounded0, flavor::bounded1, flavor::bounded, flavor::unbounded};
inline constexpr std::array all_workloads{workload::seq,  workload::spsc,      workload::mpsc,
                                          workload::mpmc, workload::select_rx, workload::select_both};

inline std::string_view to_string(flavor kind) {
  switch (kind) {
    case flavor::bounded0: return "bounded0";
    case flavor::bounded1: return "bounded1";
    case flavor::bounded: return "bounded";
    case flavor::unbounded: return "unbounded";
  }
  return "?";
}

inline std::string_view to_string(workload kind) {
  switch (kind) {
    case workload::seq: return "seq";
    case workload::spsc: return "spsc";
    case workload::mpsc: return "mpsc";
    case workload::mpmc: return "mpmc";
    case workload::select_rx: return "select_rx";
    case workload::select_both: return "select_both";
  }
  return "?";
}

/// seq sends everything before receiving anything: only a channel that holds every message can.
inline bool workload_applies(flavor channel_flavor, workload kind) {
  return kind != workload::seq || channel_flavor == flavor::bounded || channel_flavor == flavor::unbounded;
}

/// The capacity a flavor stands for; `bounded` holds every message of the run.
inline std::size_t capacity_of(flavor channel_flavor, std::size_t messages) {
  switch (channel_flavor) {
    case flavor::bounded0: return 0;
    case flavor::bounded1: return 1;
    case flavor::bounded: return messages;
    case flavor::unbounded: return 0;
  }
  return 0;
}

[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "benchmark failure: %.*s\n", static_cast<int>(what.size()), what.data());
  std::exit(2);
}

/// How many of `total` messages participant `index` of `participants` handles.
inline std::size_t share_of(std::size_t total, std::size_t participants, std::size_t index) {
  return total / participants + (index < total % participants ? 1 : 0);
}

/// The first value participant `index` sends: participants send disjoint ranges of 0..total-1.
inline message first_value_of(std::size_t total, std::size_t participants, std::size_t index) {
  message first = 0;
  for (std::size_t earlier = 0; earlier < index; ++earlier) first += share_of(total, participants, earlier);
  return first;
}

inline message expected_sum(std::size_t total) {
  const message count = total;
  return count == 0 ? 0 : count * (count - 1) / 2;
}

inline void check_sum(message received_sum, std::size_t total) {
  if (received_sum != expected_sum(total)) fail("received values do not add up: a message was lost or duplicated");
}

using clock = std::chrono::steady_clock;

inline double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Adapters
// ---------------------------------------------------------------------------------------------
// An adapter is a struct with
//   static constexpr std::string_view name;                      the implementation column
//   using sender_type, receiver_type;                            copyable handles (a pointer is fine)
//   static std::optional<std::string> unsupported(flavor);       why a flavor cannot be expressed
//   static std::pair<sender_type, receiver_type> make(flavor, std::size_t messages);
//   static void send(sender_type&, message);                     blocking
//   static message recv(receiver_type&);                         blocking
// and optionally, for the select workloads,
//   static std::optional<double> run_select(flavor, workload, std::size_t messages, std::size_t threads);
//   static std::optional<std::string> select_unsupported();
template <class Adapter>
concept adapter = requires(typename Adapter::sender_type& sender, typename Adapter::receiver_type& receiver,
                           message value, flavor channel_flavor, std::size_t messages) {
  { Adapter::name } -> std::convertible_to<std::string_view>;
  { Adapter::unsupported(channel_flavor) } -> std::same_as<std::optional<std::string>>;
  Adapter::make(channel_flavor, messages);
  Adapter::send(sender, value);
  { Adapter::recv(receiver) } -> std::same_as<message>;
};

template <class Adapter>
concept adapter_with_select = adapter<Adapter> && requires(flavor channel_flavor, workload kind, std::size_t count) {
  { Adapter::select_unsupported() } -> std::same_as<std::optional<std::string>>;
  { Adapter::run_select(channel_flavor, kind, count, count) } -> std::same_as<double>;
};

// ---------------------------------------------------------------------------------------------
// Throughput workloads (crossbeam-channel's benchmarks/*.rs, one function each)
// ---------------------------------------------------------------------------------------------

/// One thread sends all messages, then receives all.
template <adapter Adapter>
double run_seq(flavor channel_flavor, std::size_t messages) {
  const auto start = clock::now();
  {
    auto [sender, receiver] = Adapter::make(channel_flavor, messages);
    for (std::size_t value = 0; value < messages; ++value) Adapter::send(sender, value);
    message sum = 0;
    for (std::size_t received = 0; received < messages; ++received) sum += Adapter::recv(receiver);
    check_sum(sum, messages);
  }
  return seconds_since(start);
}

/// `producers` threads send a share each; `consumers` threads (0: the main thread) receive.
template <adapter Adapter>
double run_producers_consumers(flavor channel_flavor, std::size_t messages, std::size_t producers,
                               std::size_t consumers) {
  const auto start = clock::now();
  {
    auto [sender, receiver] = Adapter::make(channel_flavor, messages);
    std::vector<std::thread> threads;
    for (std::size_t producer = 0; producer < producers; ++producer) {
      threads.emplace_back([sender, messages, producers, producer]() mutable {
        const message first = first_value_of(messages, producers, producer);
        const std::size_t count = share_of(messages, producers, producer);
        for (message value = first; value < first + count; ++value) Adapter::send(sender, value);
      });
    }
    std::atomic<message> total_sum{0};
    if (consumers == 0) {
      message sum = 0;
      for (std::size_t received = 0; received < messages; ++received) sum += Adapter::recv(receiver);
      total_sum = sum;
    } else {
      for (std::size_t consumer = 0; consumer < consumers; ++consumer) {
        threads.emplace_back([receiver, messages, consumers, consumer, &total_sum]() mutable {
          message sum = 0;
          const std::size_t count = share_of(messages, consumers, consumer);
          for (std::size_t received = 0; received < count; ++received) sum += Adapter::recv(receiver);
          total_sum.fetch_add(sum, std::memory_order_relaxed);
        });
      }
    }
    for (auto& thread : threads) thread.join();
    check_sum(total_sum.load(), messages);
  }
  return seconds_since(start);
}

// ---------------------------------------------------------------------------------------------
// Latency: one message bounces between two channels of the flavor; each round trip is timed.
// ---------------------------------------------------------------------------------------------
struct latency_result {
  double median_microseconds;
  double p99_microseconds;
  double mean_microseconds;
};

template <adapter Adapter>
latency_result run_latency(flavor channel_flavor, std::size_t round_trips) {
  auto [ping_sender, ping_receiver] = Adapter::make(channel_flavor, round_trips);
  auto [pong_sender, pong_receiver] = Adapter::make(channel_flavor, round_trips);
  std::thread echo([ping_receiver, pong_sender, round_trips]() mutable {
    for (std::size_t trip = 0; trip < round_trips; ++trip) Adapter::send(pong_sender, Adapter::recv(ping_receiver));
  });
  std::vector<double> microseconds(round_trips);
  for (std::size_t trip = 0; trip < round_trips; ++trip) {
    const auto start = clock::now();
    Adapter::send(ping_sender, trip);
    if (Adapter::recv(pong_receiver) != trip) fail("latency: the echo returned another message");
    microseconds[trip] = std::chrono::duration<double, std::micro>(clock::now() - start).count();
  }
  echo.join();
  double mean = 0;
  for (double value : microseconds) mean += value;
  mean /= static_cast<double>(round_trips);
  std::sort(microseconds.begin(), microseconds.end());
  const auto at_fraction = [&](double fraction) {
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(round_trips - 1));
    return microseconds[index];
  };
  return {at_fraction(0.5), at_fraction(0.99), mean};
}

/// Single-thread cost of one send followed by one receive on a channel that holds the message
/// (bounded: capacity `messages`, so the ring is as large as in bounded_seq; unbounded).
template <adapter Adapter>
double run_pair_cost_nanoseconds(flavor channel_flavor, std::size_t messages) {
  auto [sender, receiver] = Adapter::make(channel_flavor, messages);
  message sum = 0;
  const auto start = clock::now();
  for (std::size_t value = 0; value < messages; ++value) {
    Adapter::send(sender, value);
    sum += Adapter::recv(receiver);
  }
  const double elapsed = seconds_since(start);
  check_sum(sum, messages);
  return elapsed * 1e9 / static_cast<double>(messages);
}

// ---------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------
struct options {
  std::string case_name;
  std::size_t messages = default_messages;
  std::size_t threads = default_threads;
  std::size_t round_trips = default_round_trips;
};

inline options parse_options(int argc, char** argv) {
  options parsed;
  for (int index = 1; index < argc; ++index) {
    const std::string_view argument = argv[index];
    const auto number = [&]() -> std::size_t {
      if (index + 1 >= argc) fail("missing number after " + std::string(argument));
      return static_cast<std::size_t>(std::stoull(argv[++index]));
    };
    if (argument == "--messages")
      parsed.messages = number();
    else if (argument == "--threads")
      parsed.threads = number();
    else if (argument == "--round-trips")
      parsed.round_trips = number();
    else if (argument.starts_with("--") && argument != "--list")
      fail("unknown option " + std::string(argument));
    else
      parsed.case_name = argument;
  }
  if (parsed.messages == 0 || parsed.threads == 0 || parsed.round_trips == 0) fail("counts must be positive");
  return parsed;
}

inline std::optional<flavor> parse_flavor(std::string_view text) {
  for (flavor candidate : all_flavors)
    if (to_string(candidate) == text) return candidate;
  return std::nullopt;
}

template <adapter Adapter>
void print_seconds(std::string_view name, double seconds) {
  std::printf("%.*s  %.*s  %.3f sec\n", static_cast<int>(name.size()), name.data(),
              static_cast<int>(Adapter::name.size()), Adapter::name.data(), seconds);
}

template <adapter Adapter>
void print_not_applicable(std::string_view name, std::string_view reason) {
  std::printf("%.*s  %.*s  n/a (%.*s)\n", static_cast<int>(name.size()), name.data(),
              static_cast<int>(Adapter::name.size()), Adapter::name.data(), static_cast<int>(reason.size()),
              reason.data());
}

/// The name a throughput case is reported under: `bounded1_mpmc`, or `bounded1_mpmc_x8` when the
/// thread count is not the suite's 4.
inline std::string throughput_name(flavor channel_flavor, workload kind, std::size_t threads) {
  std::string name = std::string(to_string(channel_flavor)) + "_" + std::string(to_string(kind));
  if (threads != default_threads) name += "_x" + std::to_string(threads);
  return name;
}

template <adapter Adapter>
int run_throughput(flavor channel_flavor, workload kind, const options& parsed) {
  const std::string name = throughput_name(channel_flavor, kind, parsed.threads);
  if (!workload_applies(channel_flavor, kind)) {
    print_not_applicable<Adapter>(name, "seq needs a channel that holds every message");
    return 0;
  }
  if (auto reason = Adapter::unsupported(channel_flavor)) {
    print_not_applicable<Adapter>(name, *reason);
    return 0;
  }
  double seconds = 0;
  switch (kind) {
    case workload::seq: seconds = run_seq<Adapter>(channel_flavor, parsed.messages); break;
    case workload::spsc: seconds = run_producers_consumers<Adapter>(channel_flavor, parsed.messages, 1, 0); break;
    case workload::mpsc:
      seconds = run_producers_consumers<Adapter>(channel_flavor, parsed.messages, parsed.threads, 0);
      break;
    case workload::mpmc:
      seconds = run_producers_consumers<Adapter>(channel_flavor, parsed.messages, parsed.threads, parsed.threads);
      break;
    case workload::select_rx:
    case workload::select_both:
      if constexpr (adapter_with_select<Adapter>) {
        if (auto reason = Adapter::select_unsupported()) {
          print_not_applicable<Adapter>(name, *reason);
          return 0;
        }
        seconds = Adapter::run_select(channel_flavor, kind, parsed.messages, parsed.threads);
      } else {
        print_not_applicable<Adapter>(name, "no select operation");
        return 0;
      }
      break;
  }
  print_seconds<Adapter>(name, seconds);
  return 0;
}

template <adapter Adapter>
int run_main(int argc, char** argv) {
  const options parsed = parse_options(argc, argv);
  if (parsed.case_name.empty() || parsed.case_name == "--list") {
    for (flavor channel_flavor : all_flavors) {
      for (workload kind : all_workloads)
        if (workload_applies(channel_flavor, kind))
          std::printf("%s_%s\n", std::string(to_string(channel_flavor)).c_str(), std::string(to_string(kind)).c_str());
    }
    for (flavor channel_flavor : all_flavors)
      std::printf("latency_%s\n", std::string(to_string(channel_flavor)).c_str());
    std::printf("pair_cost_bounded\npair_cost_unbounded\n");
    return parsed.case_name.empty() ? 1 : 0;
  }
  const std::string_view name = parsed.case_name;
  const std::string_view implementation = Adapter::name;

  if (name.starts_with("latency_")) {
    const auto channel_flavor = parse_flavor(name.substr(8));
    if (!channel_flavor) fail("unknown flavor in " + parsed.case_name);
    if (auto reason = Adapter::unsupported(*channel_flavor)) {
      print_not_applicable<Adapter>(name, *reason);
      return 0;
    }
    const latency_result result = run_latency<Adapter>(*channel_flavor, parsed.round_trips);
    std::printf("%s  %.*s  median_us=%.2f p99_us=%.2f mean_us=%.2f round_trips=%zu\n", parsed.case_name.c_str(),
                static_cast<int>(implementation.size()), implementation.data(), result.median_microseconds,
                result.p99_microseconds, result.mean_microseconds, parsed.round_trips);
    return 0;
  }
  if (name.starts_with("pair_cost_")) {
    const auto channel_flavor = parse_flavor(name.substr(10));
    if (!channel_flavor || (*channel_flavor != flavor::bounded && *channel_flavor != flavor::unbounded))
      fail("pair_cost takes bounded or unbounded");
    if (auto reason = Adapter::unsupported(*channel_flavor)) {
      print_not_applicable<Adapter>(name, *reason);
      return 0;
    }
    const double nanoseconds = run_pair_cost_nanoseconds<Adapter>(*channel_flavor, parsed.messages);
    std::printf("%s  %.*s  ns_per_pair=%.2f messages=%zu\n", parsed.case_name.c_str(),
                static_cast<int>(implementation.size()), implementation.data(), nanoseconds, parsed.messages);
    return 0;
  }
  for (flavor channel_flavor : all_flavors) {
    for (workload kind : all_workloads) {
      const std::string prefix = std::string(to_string(channel_flavor)) + "_" + std::string(to_string(kind));
      if (name == prefix) return run_throughput<Adapter>(channel_flavor, kind, parsed);
    }
  }
  fail("unknown case " + parsed.case_name + " (try --list)");
}

}  // namespace bench
