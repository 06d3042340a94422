// bench/cpp/selector_cost.cpp - what one selection costs on one thread, taken apart.
//
// The select workloads of rill_bench build a fresh rill::selector per message, as crossbeam's
// benchmark builds a fresh Select. This program measures, on one thread and with no other thread
// running (so that nothing waits), the parts of such a selection over 4 unbounded channels of
// 8-byte messages:
//
//   make_and_drop    a selector, 4 receive operations added, then dropped (no selection)
//   select_receive   the same, plus select() and the selected receive (messages are ready)
//   try_recv         one try_recv from the same channels, for comparison (no selector)
//
// Each figure is the best of --rounds rounds of --messages iterations, in ns per iteration; the
// channels are filled before each timed round.
// docs/performance.md ("Selection") reports what it measured and why; bench/run does not run it.
#include <rill/rill.hpp>
#include <rill/selector.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using message = std::uint64_t;
constexpr std::size_t channel_count = 4;

struct channels {
  std::vector<rill::sender<message>> senders;
  std::vector<rill::receiver<message>> receivers;
};

channels make_channels() {
  channels made;
  for (std::size_t i = 0; i < channel_count; ++i) {
    auto [tx, rx] = rill::unbounded<message>();
    made.senders.push_back(std::move(tx));
    made.receivers.push_back(std::move(rx));
  }
  return made;
}

void fill(channels& made, std::size_t messages) {
  for (std::size_t i = 0; i < messages; ++i) {
    if (!made.senders[i % channel_count].send(i).has_value()) std::abort();
  }
}

template <class Setup, class Body>
double best_nanoseconds(std::size_t rounds, std::size_t iterations, Setup setup, Body body) {
  double best = 1e300;
  for (std::size_t round = 0; round < rounds; ++round) {
    setup();
    const auto start = std::chrono::steady_clock::now();
    body();
    const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count() / static_cast<double>(iterations));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 4'000'000;
  std::size_t rounds = 5;
  for (int index = 1; index + 1 < argc; index += 2) {
    const std::string_view option = argv[index];
    const auto value = static_cast<std::size_t>(std::strtoull(argv[index + 1], nullptr, 10));
    if (option == "--messages" && value > 0) {
      messages = value;
    } else if (option == "--rounds" && value > 0) {
      rounds = value;
    } else {
      std::fprintf(stderr, "usage: selector_cost [--messages N] [--rounds N]\n");
      return 2;
    }
  }
  channels made = make_channels();
  std::size_t checksum = 0;

  const double make_and_drop = best_nanoseconds(
      rounds, messages, [] {},
      [&] {
        for (std::size_t i = 0; i < messages; ++i) {
          rill::selector selection;
          for (const auto& receiver : made.receivers) checksum += selection.recv(receiver);
        }
      });

  message received_sum = 0;
  const double select_receive = best_nanoseconds(
      rounds, messages, [&] { fill(made, messages); },
      [&] {
        for (std::size_t i = 0; i < messages; ++i) {
          rill::selector selection;
          for (const auto& receiver : made.receivers) selection.recv(receiver);
          rill::selected_operation chosen = selection.select();
          received_sum += *chosen.recv(made.receivers[chosen.index()]);
        }
      });

  const double try_recv = best_nanoseconds(
      rounds, messages, [&] { fill(made, messages); },
      [&] {
        for (std::size_t i = 0; i < messages; ++i) received_sum += *made.receivers[i % channel_count].try_recv();
      });

  if (received_sum != rounds * 2 * (static_cast<message>(messages) * (messages - 1) / 2)) {
    std::fprintf(stderr, "selector_cost: a message was lost or duplicated\n");
    return 1;
  }
  std::printf("make_and_drop   %.1f ns (a selector, 4 receives added, dropped)\n", make_and_drop);
  std::printf("select_receive  %.1f ns (the same, then select() and the selected receive)\n", select_receive);
  std::printf("try_recv        %.1f ns (one try_recv from the same channels, no selector)\n", try_recv);
  return checksum == 0 ? 1 : 0;
}
