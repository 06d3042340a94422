// bench/cpp/atomic_floor.cpp - the cost of the atomic instructions one send + one receive on
// rill's bounded (array) flavor executes when nothing is contended, to compare with rill's
// measured single-thread cost per message (bounded_seq, pair_cost_bounded).
//
// Method: one thread, one iteration = the atomic operations of detail/array_flavor.hpp's send and
// receive fast paths, on atomics that live on cache lines no other thread touches:
//   brief       2 seq_cst compare-exchanges (claim tail, claim head), 2 release stores (publish
//               the stamp, release the slot), 2 acquire loads (the slot stamp in send and recv);
//   array_path  the same plus the 2 relaxed loads of tail/head and the 2 seq_cst loads of each
//               waker's is_empty flag (notify with nobody waiting) that the real path executes;
//   cas_only    just the 2 seq_cst compare-exchanges (on x86-64, `lock cmpxchg` is where the time
//               goes: stores and loads are plain moves).
// Each variant runs `iterations` times (default 20,000,000), best of 5 repetitions, and prints
// nanoseconds per iteration.
//
// One more floor, for the cases where every message waits for the other side (capacity 0 and 1):
//   round_trip  two threads take turns on two counters on separate cache lines: one stores i, the
//               other waits (spinning on an acquire load) until it sees i and stores i back, and so
//               on. One iteration is the least any hand-off between two running threads costs: a
//               store seen by the other core and an answer seen back. A rendezvous message needs at
//               least one (the receiver learns of the message, the sender learns it was taken), and
//               so does a capacity-1 message in steady state (the sender needs the slot back).
//               250,000 round trips, best of 5 repetitions. The values depend on the previous iteration, so nothing can
//               be hoisted;
// atomic operations are not merged by the compilers we use.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

namespace {

struct alignas(64) padded_counter {
  std::atomic<std::uint64_t> value{0};
};

struct ring_state {
  padded_counter head;
  padded_counter tail;
  padded_counter stamp;
  padded_counter receivers_waiting;
  padded_counter senders_waiting;
};

// The operations of one send + one receive, as the bounded flavor issues them.
template <bool with_extras, bool only_cas>
std::uint64_t one_pair(ring_state& ring, std::uint64_t token) {
  if constexpr (only_cas) {
    std::uint64_t tail = token;
    ring.tail.value.compare_exchange_strong(tail, token + 1, std::memory_order_seq_cst);
    std::uint64_t head = token;
    ring.head.value.compare_exchange_strong(head, token + 1, std::memory_order_seq_cst);
    return token + 1;
  } else {
    // send: guess tail, check the slot's stamp, claim, publish, notify receivers.
    std::uint64_t tail = with_extras ? ring.tail.value.load(std::memory_order_relaxed) : token;
    std::uint64_t stamp = ring.stamp.value.load(std::memory_order_acquire);
    ring.tail.value.compare_exchange_strong(tail, tail + 1, std::memory_order_seq_cst);
    ring.stamp.value.store(stamp + 1, std::memory_order_release);
    if constexpr (with_extras) stamp += ring.receivers_waiting.value.load(std::memory_order_seq_cst);
    // recv: guess head, check the stamp, claim, release the slot, notify senders.
    std::uint64_t head = with_extras ? ring.head.value.load(std::memory_order_relaxed) : token;
    stamp = ring.stamp.value.load(std::memory_order_acquire);
    ring.head.value.compare_exchange_strong(head, head + 1, std::memory_order_seq_cst);
    ring.stamp.value.store(stamp + 1, std::memory_order_release);
    if constexpr (with_extras) stamp += ring.senders_waiting.value.load(std::memory_order_seq_cst);
    return token + 1 + (stamp & 0);
  }
}

template <bool with_extras, bool only_cas>
double nanoseconds_per_pair(std::uint64_t iterations) {
  double best = 1e300;
  for (int repetition = 0; repetition < 5; ++repetition) {
    ring_state ring;
    std::uint64_t token = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t iteration = 0; iteration < iterations; ++iteration)
      token = one_pair<with_extras, only_cas>(ring, token);
    const double elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    if (token != iterations) std::printf("unexpected token\n");
    best = std::min(best, elapsed / static_cast<double>(iterations));
  }
  return best;
}

double nanoseconds_per_round_trip(std::uint64_t round_trips) {
  double best = 1e300;
  for (int repetition = 0; repetition < 5; ++repetition) {
    padded_counter ping;
    padded_counter pong;
    std::thread answerer([&] {
      for (std::uint64_t i = 1; i <= round_trips; ++i) {
        while (ping.value.load(std::memory_order_acquire) != i) {
        }
        pong.value.store(i, std::memory_order_release);
      }
    });
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 1; i <= round_trips; ++i) {
      ping.value.store(i, std::memory_order_release);
      while (pong.value.load(std::memory_order_acquire) != i) {
      }
    }
    const double elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    answerer.join();
    best = std::min(best, elapsed / static_cast<double>(round_trips));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 20'000'000;
  for (int index = 1; index + 1 < argc; ++index)
    if (std::string(argv[index]) == "--iterations") iterations = std::stoull(argv[index + 1]);
  std::printf("atomic_floor_brief  cpp  ns_per_pair=%.2f iterations=%llu\n",
              nanoseconds_per_pair<false, false>(iterations), static_cast<unsigned long long>(iterations));
  std::printf("atomic_floor_array_path  cpp  ns_per_pair=%.2f iterations=%llu\n",
              nanoseconds_per_pair<true, false>(iterations), static_cast<unsigned long long>(iterations));
  std::printf("atomic_floor_cas_only  cpp  ns_per_pair=%.2f iterations=%llu\n",
              nanoseconds_per_pair<false, true>(iterations), static_cast<unsigned long long>(iterations));
  constexpr std::uint64_t round_trips = 250'000;
  std::printf("round_trip_floor  cpp  ns_per_round_trip=%.1f round_trips=%llu\n",
              nanoseconds_per_round_trip(round_trips), static_cast<unsigned long long>(round_trips));
}
