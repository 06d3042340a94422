// bench/cpp/async_bench.cpp - channels between coroutines: rill through its Asio adaptor
// (rill/asio.hpp) against Asio's own asio::experimental::concurrent_channel, both awaited with
// asio::use_awaitable on one io_context run by 1 or 2 threads (bench/run compares both with Go's
// goroutines at GOMAXPROCS=1 and 2, bench/go).
//
//   async_bench [--threads 1|2] [--messages N] [--only IMPLEMENTATION] CASE [IMPLEMENTATION]
//
// Cases (the workloads of workloads.hpp, with coroutines for threads):
//   bounded0_spsc, bounded1_spsc, bounded_spsc   one producer coroutine, one consumer coroutine
//   bounded0_mpmc, bounded1_mpmc, bounded_mpmc   4 producers, 4 consumers, a share each
//   pingpong                                    two rendezvous channels, N round trips
// `bounded` has a capacity of all messages. Implementations: rill, asio_channel (default: both).
// Output: one line per implementation, `CASE IMPLEMENTATION SECONDS sec`: the wall time of the whole
// workload (channel creation, spawning, the run), as bench/run expects. The consumers check the sum
// of what they received; a wrong sum exits with status 2.
#include <rill/asio.hpp>
#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr int participants = 4;  // per side in the mpmc cases, as workloads.hpp's THREADS

std::size_t capacity_of(std::string_view flavor, std::size_t messages) {
  if (flavor == "bounded0") return 0;
  if (flavor == "bounded1") return 1;
  return messages;
}

std::size_t share_of(std::size_t total, int count, int index) {
  return total / count + (static_cast<std::size_t>(index) < total % count ? 1 : 0);
}

std::uint64_t first_of(std::size_t total, int count, int index) {
  std::uint64_t first = 0;
  for (int earlier = 0; earlier < index; ++earlier) first += share_of(total, count, earlier);
  return first;
}

/// The two implementations behind one interface: a channel of uint64_t and its awaited operations.
struct rill_side {
  static constexpr std::string_view name = "rill";
  struct channel {
    rill::sender<std::uint64_t> tx;
    rill::receiver<std::uint64_t> rx;
    channel(asio::io_context& /*unused*/, std::size_t capacity) {
      auto [s, r] = rill::bounded<std::uint64_t>(capacity);
      tx = std::move(s);
      rx = std::move(r);
    }
  };
  static asio::awaitable<void> send(channel& target, std::uint64_t value) {
    (co_await rill::asio::async_send(target.tx, value, asio::use_awaitable)).value();
  }
  static asio::awaitable<std::uint64_t> receive(channel& source) {
    co_return (co_await rill::asio::async_receive(source.rx, asio::use_awaitable)).value();
  }
};

struct asio_side {
  static constexpr std::string_view name = "asio_channel";
  struct channel {
    asio::experimental::concurrent_channel<void(asio::error_code, std::uint64_t)> inner;
    channel(asio::io_context& context, std::size_t capacity) : inner(context, capacity) {}
  };
  static asio::awaitable<void> send(channel& target, std::uint64_t value) {
    co_await target.inner.async_send(asio::error_code{}, value, asio::use_awaitable);
  }
  static asio::awaitable<std::uint64_t> receive(channel& source) {
    co_return co_await source.inner.async_receive(asio::use_awaitable);
  }
};

template <class Side>
asio::awaitable<void> produce(typename Side::channel& target, std::uint64_t first, std::size_t count) {
  for (std::uint64_t value = first; value < first + count; ++value) co_await Side::send(target, value);
}

template <class Side>
asio::awaitable<void> consume(typename Side::channel& source, std::size_t count, std::uint64_t& sum) {
  for (std::size_t i = 0; i < count; ++i) sum += co_await Side::receive(source);
}

template <class Side>
asio::awaitable<void> ping(typename Side::channel& out, typename Side::channel& in, std::size_t round_trips) {
  for (std::uint64_t i = 0; i < round_trips; ++i) {
    co_await Side::send(out, i);
    if (co_await Side::receive(in) != i) std::exit(2);
  }
}

template <class Side>
asio::awaitable<void> pong(typename Side::channel& in, typename Side::channel& out, std::size_t round_trips) {
  for (std::size_t i = 0; i < round_trips; ++i) co_await Side::send(out, co_await Side::receive(in));
}

void run_context(asio::io_context& context, int threads) {
  std::vector<std::jthread> helpers;
  for (int i = 1; i < threads; ++i) helpers.emplace_back([&context] { context.run(); });
  context.run();
}

template <class Side>
double run_case(std::string_view name, std::size_t messages, int threads) {
  const auto start = std::chrono::steady_clock::now();
  asio::io_context context(threads);
  if (name == "pingpong") {
    typename Side::channel there(context, 0);
    typename Side::channel back(context, 0);
    asio::co_spawn(context, ping<Side>(there, back, messages), asio::detached);
    asio::co_spawn(context, pong<Side>(there, back, messages), asio::detached);
    run_context(context, threads);
  } else {
    const std::string_view flavor = name.substr(0, name.find('_'));
    const bool mpmc = name.ends_with("_mpmc");
    const int sides = mpmc ? participants : 1;
    typename Side::channel channel(context, capacity_of(flavor, messages));
    std::vector<std::uint64_t> sums(sides, 0);
    for (int i = 0; i < sides; ++i) {
      asio::co_spawn(context, produce<Side>(channel, first_of(messages, sides, i), share_of(messages, sides, i)),
                     asio::detached);
      asio::co_spawn(context, consume<Side>(channel, share_of(messages, sides, i), sums[i]), asio::detached);
    }
    run_context(context, threads);
    std::uint64_t sum = 0;
    for (std::uint64_t part : sums) sum += part;
    if (sum != static_cast<std::uint64_t>(messages) * (messages - 1) / 2) {
      std::fprintf(stderr, "benchmark failure: received values do not add up\n");
      std::exit(2);
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool known_case(std::string_view name) {
  for (std::string_view known : {"bounded0_spsc", "bounded1_spsc", "bounded_spsc", "bounded0_mpmc", "bounded1_mpmc",
                                 "bounded_mpmc", "pingpong"}) {
    if (name == known) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 1'000'000;
  int threads = 1;
  std::string_view only_option;
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--messages" && i + 1 < argc) {
      messages = std::strtoull(argv[++i], nullptr, 10);
    } else if (argument == "--only" && i + 1 < argc) {
      only_option = argv[++i];
    } else if (argument == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      positional.push_back(argument);
    }
  }
  if (positional.empty() || !known_case(positional[0]) || threads < 1) {
    std::fprintf(stderr, "usage: async_bench [--threads N] [--messages N] [--only rill|asio_channel] CASE\n");
    return 1;
  }
  const std::string_view name = positional[0];
  const std::string_view only = positional.size() > 1 ? positional[1] : only_option;
  if (only.empty() || only == rill_side::name) {
    std::printf("%.*s rill %.6f sec\n", static_cast<int>(name.size()), name.data(),
                run_case<rill_side>(name, messages, threads));
  }
  if (only.empty() || only == asio_side::name) {
    std::printf("%.*s asio_channel %.6f sec\n", static_cast<int>(name.size()), name.data(),
                run_case<asio_side>(name, messages, threads));
  }
  return 0;
}
