// bench/cpp/rill_bench.cpp - rill in crossbeam-channel's benchmark workloads (bench/run runs it).
//
// Method: workloads.hpp runs seq/spsc/mpsc/mpmc, the ping-pong latency and the single-thread
// send+receive cost through the adapter below; this file adds the two select workloads, written
// against rill's dynamic selector (rill::selector, like crossbeam's Select):
//
//   select_rx    4 channels, one producer each sending a quarter; the main thread receives all,
//                each receive through a selector over the 4 receivers.
//   select_both  4 channels; 4 producers each send a quarter, each send through a selector over
//                the 4 senders; 4 consumers each receive a quarter through a selector over the 4
//                receivers.
//
// As in crossbeam's benchmark (benchmarks/crossbeam-channel.rs), a fresh selector is built for
// every message, so the figure includes registering the operations. `bounded` gives each of the
// 4 channels a capacity of all messages (crossbeam: `new(Some(MESSAGES))` per channel).
//
// Until rill/selector.hpp (or rill/select.hpp) exists, or with -DRILL_BENCH_DISABLE_SELECT
// (bench/run --no-select), the program still builds and reports the select cases as
// "n/a (select not built)".
#include <rill/rill.hpp>

// rill::selector lives in rill/selector.hpp (rill/select.hpp holds the select statement); either
// header announces the select feature. -DRILL_BENCH_DISABLE_SELECT builds without it.
#if defined(RILL_BENCH_DISABLE_SELECT)
#define RILL_BENCH_HAVE_SELECT 0
#elif __has_include(<rill/selector.hpp>)
#include <rill/selector.hpp>
#define RILL_BENCH_HAVE_SELECT 1
#elif __has_include(<rill/select.hpp>)
#include <rill/select.hpp>
#define RILL_BENCH_HAVE_SELECT 1
#else
#define RILL_BENCH_HAVE_SELECT 0
#endif

#include "workloads.hpp"

#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct rill_adapter {
  static constexpr std::string_view name = "rill";
  using sender_type = rill::sender<bench::message>;
  using receiver_type = rill::receiver<bench::message>;

  static std::optional<std::string> unsupported(bench::flavor) { return std::nullopt; }

  static std::pair<sender_type, receiver_type> make(bench::flavor channel_flavor, std::size_t messages) {
    if (channel_flavor == bench::flavor::unbounded) return rill::unbounded<bench::message>();
    return rill::bounded<bench::message>(bench::capacity_of(channel_flavor, messages));
  }

  static void send(sender_type& sender, bench::message value) {
    if (!sender.send(value)) bench::fail("rill: send failed");
  }

  static bench::message recv(receiver_type& receiver) {
    auto received = receiver.recv();
    if (!received) bench::fail("rill: recv failed");
    return *received;
  }

  static std::optional<std::string> select_unsupported() {
    if (RILL_BENCH_HAVE_SELECT) return std::nullopt;
    return "select not built";
  }

  static double run_select(bench::flavor channel_flavor, bench::workload kind, std::size_t messages,
                           std::size_t threads);
};

#if RILL_BENCH_HAVE_SELECT

using channel_pair = std::pair<rill_adapter::sender_type, rill_adapter::receiver_type>;

std::vector<channel_pair> make_channels(bench::flavor channel_flavor, std::size_t messages, std::size_t count) {
  std::vector<channel_pair> channels;
  for (std::size_t index = 0; index < count; ++index) channels.push_back(rill_adapter::make(channel_flavor, messages));
  return channels;
}

/// Receives one message through a selector over every receiver in `receivers`.
bench::message select_receive(std::vector<rill_adapter::receiver_type>& receivers,
                              std::vector<std::size_t>& channel_of_operation) {
  rill::selector selector;
  for (std::size_t channel = 0; channel < receivers.size(); ++channel)
    channel_of_operation[selector.recv(receivers[channel])] = channel;
  rill::selected_operation operation = selector.select();
  auto received = operation.recv(receivers[channel_of_operation[operation.index()]]);
  if (!received) bench::fail("rill select: recv failed");
  return *received;
}

/// Sends `value` through a selector over every sender in `senders`.
void select_send(std::vector<rill_adapter::sender_type>& senders, std::vector<std::size_t>& channel_of_operation,
                 bench::message value) {
  rill::selector selector;
  for (std::size_t channel = 0; channel < senders.size(); ++channel)
    channel_of_operation[selector.send(senders[channel])] = channel;
  rill::selected_operation operation = selector.select();
  auto sent = operation.send(senders[channel_of_operation[operation.index()]], bench::message{value});
  if (!sent) bench::fail("rill select: send failed");
}

double run_select_rx(bench::flavor channel_flavor, std::size_t messages, std::size_t threads) {
  const auto start = bench::clock::now();
  {
    std::vector<channel_pair> channels = make_channels(channel_flavor, messages, threads);
    std::vector<std::thread> producers;
    for (std::size_t producer = 0; producer < threads; ++producer) {
      producers.emplace_back([sender = channels[producer].first, messages, threads, producer]() mutable {
        const bench::message first = bench::first_value_of(messages, threads, producer);
        const std::size_t count = bench::share_of(messages, threads, producer);
        for (bench::message value = first; value < first + count; ++value) rill_adapter::send(sender, value);
      });
    }
    std::vector<rill_adapter::receiver_type> receivers;
    for (auto& channel : channels) receivers.push_back(channel.second);
    std::vector<std::size_t> channel_of_operation(threads);
    bench::message sum = 0;
    for (std::size_t received = 0; received < messages; ++received)
      sum += select_receive(receivers, channel_of_operation);
    for (auto& producer : producers) producer.join();
    bench::check_sum(sum, messages);
  }
  return bench::seconds_since(start);
}

double run_select_both(bench::flavor channel_flavor, std::size_t messages, std::size_t threads) {
  const auto start = bench::clock::now();
  {
    std::vector<channel_pair> channels = make_channels(channel_flavor, messages, threads);
    std::vector<rill_adapter::sender_type> senders;
    std::vector<rill_adapter::receiver_type> receivers;
    for (auto& channel : channels) {
      senders.push_back(channel.first);
      receivers.push_back(channel.second);
    }
    std::atomic<bench::message> total_sum{0};
    std::vector<std::thread> workers;
    for (std::size_t producer = 0; producer < threads; ++producer) {
      workers.emplace_back([senders, messages, threads, producer]() mutable {
        std::vector<std::size_t> channel_of_operation(senders.size());
        const bench::message first = bench::first_value_of(messages, threads, producer);
        const std::size_t count = bench::share_of(messages, threads, producer);
        for (bench::message value = first; value < first + count; ++value)
          select_send(senders, channel_of_operation, value);
      });
    }
    for (std::size_t consumer = 0; consumer < threads; ++consumer) {
      workers.emplace_back([receivers, messages, threads, consumer, &total_sum]() mutable {
        std::vector<std::size_t> channel_of_operation(receivers.size());
        const std::size_t count = bench::share_of(messages, threads, consumer);
        bench::message sum = 0;
        for (std::size_t received = 0; received < count; ++received)
          sum += select_receive(receivers, channel_of_operation);
        total_sum.fetch_add(sum, std::memory_order_relaxed);
      });
    }
    for (auto& worker : workers) worker.join();
    bench::check_sum(total_sum.load(), messages);
  }
  return bench::seconds_since(start);
}

#endif  // RILL_BENCH_HAVE_SELECT

double rill_adapter::run_select([[maybe_unused]] bench::flavor channel_flavor, [[maybe_unused]] bench::workload kind,
                                [[maybe_unused]] std::size_t messages, [[maybe_unused]] std::size_t threads) {
#if RILL_BENCH_HAVE_SELECT
  if (kind == bench::workload::select_rx) return run_select_rx(channel_flavor, messages, threads);
  return run_select_both(channel_flavor, messages, threads);
#else
  bench::fail("select not built");
#endif
}

}  // namespace

int main(int argc, char** argv) { return bench::run_main<rill_adapter>(argc, argv); }
