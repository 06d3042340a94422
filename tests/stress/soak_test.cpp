// The soak (project issue #6): many threads, every flavor, handles and channels created and
// dropped continuously for a set time, every message accounted for, and memory measured.
//
// What runs
// ---------
// Fourteen threads in four teams of 2, 3, 4 and 5. A team runs episodes back to back until the
// soak's time is up (and at least `minimum_episodes` of them). An episode is one fresh channel:
//   * its flavor: rendezvous, bounded 1, bounded N (N = 2, 8 or 64) or unbounded, in turn, the
//     four teams out of step so that all four flavors are live at once;
//   * its shape: 1 to size-1 of the team's threads produce, the others consume, the roles moving
//     round the team from one episode to the next;
//   * its ending, in turn: the senders finish (the last sender's release disconnects), a sender
//     closes mid-stream, a receiver closes mid-stream, or the receivers leave mid-stream (the
//     last receiver's release destroys what is buffered, with senders still sending).
// Producers rotate send / try_send / send_for / send_until (steady and system clock, deadlines
// from the past to a millisecond); a refused message is retried as the very object handed back.
// Consumers rotate recv / try_recv / recv_for / recv_until / try_iter, and now and then finish
// with a range-for. Both sides churn their handles as they go: copy and drop the old one, hold a
// second handle, swap, move out and back (the moved-from handle must throw), drop their handle
// and carry on with the second, query the counts and the capacity. Every eighth message owns a
// copy of its producer's *receipt* sender (an unbounded channel of its own), so handles are also
// released inside messages, by consumers or by a last receiver's discard; the producer, having
// dropped its own copy, reads receipts until that channel disconnects, which happens only once
// every message that carried one is gone. And every thread, now and then, makes a throwaway
// channel of tracked messages, fills it, and drops its handles in either order.
//
// Checked exactly, after every episode (the team meets on a std::barrier; all handles are gone)
//   * exactly once (R9): every successful send was received exactly once, or, only when the
//     receivers left mid-stream, destroyed by the channel; a failed send's message came back
//     intact and was never received; every message value was destroyed exactly once (R25);
//   * order (R13): each consumer saw each producer's messages in increasing sequence;
//   * disconnection (R10, R11, R12): receivers drained before they saw `disconnected`, and saw
//     it for good; refused sends after a close or the receivers' departure said `disconnected`;
//     a rendezvous discarded nothing, a bounded channel at most its capacity;
//   * receipts (R11, R25): each producer got exactly one receipt per received receipt-carrying
//     message, and its receipt channel disconnected (no handle outlived its message).
// Checked at the end: no message object or tracked message is alive, the live channel bytes are
// back where they were, and peak memory grew within a stated bound after warm-up (below).
//
// Memory
// ------
// Channel memory is measured where the sync layer takes it. std_backend.hpp's allocate_bytes and
// deallocate_bytes are the only allocation and free of every channel; they call
// `operator new(size_t, align_val_t, nothrow_t const&)` and `operator delete(void*, size_t,
// align_val_t)`. The library is headers only, so those calls sit in this test's own object file,
// and stress.cmake links it with `--wrap` for exactly these two symbols: the wrappers below count
// live bytes and forward to the real functions (so the sanitizers' allocators still see every
// allocation, and LeakSanitizer still reports leaks). Replacing the operators instead does not
// link under clang's ThreadSanitizer, whose runtime defines them in the same archive member; the
// sync layer's allocation_hook alone cannot do it, as it sees requests but not frees. The hook is
// used as the cross-check: it counts the requests, and the test asserts that the wrapper saw
// exactly those allocations, no more and no fewer.
// Process memory is read from /proc/self/status (VmHWM, the peak resident set, and VmRSS).
//
// Duration
// --------
// RILL_SOAK_SECONDS (default 3; `./run-verify --deep` sets 180). This is the one test that reads
// a clock to decide how long it runs: teams stop starting episodes once the time is up. Nothing
// passes or fails on time, and nothing sleeps; threads meet on barriers and channels.
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// ---------------------------------------------------------------------------------------------
// Channel memory, counted where the sync layer allocates
// ---------------------------------------------------------------------------------------------

namespace {

/// Counters of channel memory. Relaxed: each is read only where the threads that change it have
/// joined (or in a single-threaded test), which orders every change before the read.
struct channel_memory_counters {
  std::atomic<long long> live_bytes{0};
  std::atomic<long long> peak_bytes{0};
  std::atomic<long long> allocations{0};  // seen by the wrapper around operator new
  std::atomic<long long> allocated_bytes{0};
  std::atomic<long long> requests{0};  // seen by the sync layer's allocation_hook
  std::atomic<long long> requested_bytes{0};
};
channel_memory_counters channel_memory;

void note_channel_allocation(std::size_t bytes) noexcept {
  const auto size = static_cast<long long>(bytes);
  channel_memory.allocations.fetch_add(1, std::memory_order_relaxed);
  channel_memory.allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  const long long live = channel_memory.live_bytes.fetch_add(size, std::memory_order_relaxed) + size;
  long long peak = channel_memory.peak_bytes.load(std::memory_order_relaxed);
  while (live > peak && !channel_memory.peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

void note_channel_free(std::size_t bytes) noexcept {
  channel_memory.live_bytes.fetch_sub(static_cast<long long>(bytes), std::memory_order_relaxed);
}

/// The allocation_hook: counts every request and lets it through.
bool count_allocation_request(std::size_t bytes) noexcept {
  channel_memory.requests.fetch_add(1, std::memory_order_relaxed);
  channel_memory.requested_bytes.fetch_add(static_cast<long long>(bytes), std::memory_order_relaxed);
  return true;
}

}  // namespace

// The mangled names below are those of LP64 Linux (std::size_t is unsigned long: the 'm').
static_assert(std::is_same_v<std::size_t, unsigned long>, "the --wrap symbol names in stress.cmake assume LP64");

// The wrappers `--wrap` substitutes for the two functions allocate_bytes and deallocate_bytes call
// (see "Memory" above and stress.cmake). `__real_...` is the linker's name for the original.
extern "C" {
void* __real__ZnwmSt11align_val_tRKSt9nothrow_t(std::size_t, std::align_val_t, const std::nothrow_t&) noexcept;
void __real__ZdlPvmSt11align_val_t(void*, std::size_t, std::align_val_t) noexcept;

// operator new(std::size_t, std::align_val_t, const std::nothrow_t&)
void* __wrap__ZnwmSt11align_val_tRKSt9nothrow_t(std::size_t bytes, std::align_val_t alignment,
                                                const std::nothrow_t& tag) noexcept {
  void* memory = __real__ZnwmSt11align_val_tRKSt9nothrow_t(bytes, alignment, tag);
  if (memory != nullptr) note_channel_allocation(bytes);
  return memory;
}

// operator delete(void*, std::size_t, std::align_val_t)
void __wrap__ZdlPvmSt11align_val_t(void* memory, std::size_t bytes, std::align_val_t alignment) noexcept {
  if (memory != nullptr) note_channel_free(bytes);
  __real__ZdlPvmSt11align_val_t(memory, bytes, alignment);
}
}

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using rill::test::tracked;

/// Installs the counting allocation_hook for its lifetime and measures channel memory from the
/// moment it was made.
class channel_memory_probe {
 public:
  channel_memory_probe()
      : live_at_start_(channel_memory.live_bytes.load()),
        allocations_at_start_(channel_memory.allocations.load()),
        allocated_at_start_(channel_memory.allocated_bytes.load()),
        requests_at_start_(channel_memory.requests.load()),
        requested_at_start_(channel_memory.requested_bytes.load()) {
    channel_memory.peak_bytes.store(live_at_start_);  // the peak reported is this probe's
    rill::detail::sync::allocation_hook.store(&count_allocation_request, std::memory_order_release);
  }
  ~channel_memory_probe() { rill::detail::sync::allocation_hook.store(nullptr, std::memory_order_release); }
  channel_memory_probe(const channel_memory_probe&) = delete;
  channel_memory_probe& operator=(const channel_memory_probe&) = delete;

  /// Channel bytes allocated and not yet freed since the probe was made.
  [[nodiscard]] long long live() const { return channel_memory.live_bytes.load() - live_at_start_; }

  /// The wrapper saw exactly the allocations the sync layer asked for: the measurement is of
  /// channel memory, all of it and nothing else. Call when no channel operation is running.
  void expect_wrapper_saw_every_request() const {
    const long long requests = channel_memory.requests.load() - requests_at_start_;
    const long long allocations = channel_memory.allocations.load() - allocations_at_start_;
    EXPECT_GT(requests, 0) << "no channel allocated anything: the allocation_hook is not being called";
    EXPECT_EQ(allocations, requests)
        << (allocations == 0
                ? "the wrapper saw no allocation: was the test linked without stress.cmake's --wrap options?"
                : "the wrapper and the sync layer's hook disagree on what channels allocate");
    EXPECT_EQ(channel_memory.allocated_bytes.load() - allocated_at_start_,
              channel_memory.requested_bytes.load() - requested_at_start_);
  }

 private:
  long long live_at_start_;
  long long allocations_at_start_;
  long long allocated_at_start_;
  long long requests_at_start_;
  long long requested_at_start_;
};

// ---------------------------------------------------------------------------------------------
// Settings, process memory, reporting
// ---------------------------------------------------------------------------------------------

/// RILL_SOAK_SECONDS: how long teams keep starting episodes. Default 3 (so that the five presets
/// of ./run-tests spend about 20 s on it in all); ./run-verify --deep sets 180.
double soak_seconds() {
  const char* text = std::getenv("RILL_SOAK_SECONDS");
  if (text == nullptr || *text == '\0') return 3.0;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return end != text && value >= 0.0 ? std::min(value, 1e6) : 3.0;  // 1e6 s: no overflow below
}

constexpr std::array team_sizes{2, 3, 4, 5};
constexpr int thread_count = 2 + 3 + 4 + 5;

/// Messages one episode's producers send between them if nothing stops them (divisible by 1-4).
constexpr int messages_per_episode = 360;
/// Every this many messages (by sequence) carries a receipt sender.
constexpr int receipt_every = 8;
/// Episodes each team runs before the memory checkpoint, and at least, however short the soak: in
/// 16 episodes a team meets each of the four flavors with each of the four endings.
constexpr int warmup_episodes = 16;
constexpr int minimum_episodes = warmup_episodes;

#if defined(__SANITIZE_ADDRESS__)
#define RILL_SOAK_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RILL_SOAK_ADDRESS_SANITIZER 1
#endif
#endif

// How much the peak resident set (VmHWM) may grow from the checkpoint after warm-up to the end.
//
// What the soak itself holds is bounded by construction and does not depend on how long it runs:
// at any moment at most one episode per team is live (<= 360 messages with an 8-byte payload, the
// ring or about a dozen list blocks, 2-5 receipt channels) plus one throwaway channel per thread, well
// under 1 MiB in all, and the 14 threads are made once. After warm-up every allocation size and
// every code path has been met, so from there on a correct library needs no new memory at all;
// what a resident set can still legitimately gain is the allocator's, not ours: glibc's per-thread
// arenas (up to 16 on this 2-core class of machine) holding freed chunks, fragmentation, and the
// sanitizers' bookkeeping (ThreadSanitizer's shadow and metadata for whatever pages get touched).
// 64 MiB covers that with a wide margin (measured growth: under 1 MiB in a Debug build over 120 s,
// 17-20 MiB under ThreadSanitizer, reached in the first 20 s and flat after).
//
// AddressSanitizer, on purpose, keeps memory that a correct program has freed or no longer uses,
// and fills it up over the run whatever the program does: freed chunks wait in its quarantine
// (quarantine_size_mb, 256 MiB unless ASAN_OPTIONS says otherwise, plus a per-thread quarantine of
// thread_local_quarantine_size_kb, 1 MiB), and with detect_stack_use_after_return=1 (as the asan
// presets set) each thread gets a fake stack of up to 12 MiB whose frames are handed out round
// robin, so all of it is touched in time. Those are added, read from ASAN_OPTIONS, with half as
// much again for their shadow memory and the allocator's caches: 740 MiB in all with the presets'
// options, against 502 MiB of growth measured in a 180 s run that leaked nothing (flat after the
// first 75 s).
//
// The bound is a backstop, not the leak detector: it catches growth the exact counters cannot see
// (a leak outside channel memory and message objects, say) once it is large. A leak of one list
// block of this test's messages (about 1.5 KiB) per episode comes to about 100 MiB over the deep
// run's 180 s (60,000 episodes or more), beyond the bound in a plain or ThreadSanitizer build; in a
// 3 s run, and under AddressSanitizer, the exact checks (live channel bytes back to zero, every
// message and tracked object destroyed, LeakSanitizer's report at exit) are what catch a leak.
#if defined(RILL_SOAK_ADDRESS_SANITIZER)
/// The number `name=<n>` in ASAN_OPTIONS, or `otherwise`.
long long address_sanitizer_option(const std::string& name, long long otherwise) {
  const char* options = std::getenv("ASAN_OPTIONS");
  if (options == nullptr) return otherwise;
  const std::string text = options;
  const std::string key = name + "=";
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    if (at == 0 || text[at - 1] == ':' || text[at - 1] == ' ' || text[at - 1] == ',') {
      return std::atoll(text.c_str() + at + key.size());
    }
  }
  return otherwise;
}
#endif

long long peak_growth_allowance_kib() {
  long long allowance_mib = 64;
#if defined(RILL_SOAK_ADDRESS_SANITIZER)
  const long long threads = thread_count + 1;  // and the main thread
  long long quarantine_mib = address_sanitizer_option("quarantine_size_mb", 256);
  if (quarantine_mib < 0) quarantine_mib = 256;  // -1: the default
  const long long thread_quarantines_mib =
      threads * std::max(0LL, address_sanitizer_option("thread_local_quarantine_size_kb", 1024)) / 1024;
  const long long fake_stacks_mib =
      address_sanitizer_option("detect_stack_use_after_return", 0) != 0 ? threads * 12 : 0;
  allowance_mib += (quarantine_mib + thread_quarantines_mib + fake_stacks_mib) * 3 / 2;
#endif
  return allowance_mib * 1024;
}

/// The process's peak and current resident set, in KiB (-1 if /proc/self/status lacks them).
struct process_memory {
  long long peak_kib = -1;      // VmHWM
  long long resident_kib = -1;  // VmRSS
};

process_memory read_process_memory() {
  process_memory result;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) result.peak_kib = std::atoll(line.c_str() + 6);
    if (line.rfind("VmRSS:", 0) == 0) result.resident_kib = std::atoll(line.c_str() + 6);
  }
  return result;
}

std::string mib(long long kib) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return text;
}

/// 1234567 -> "1,234,567".
std::string with_commas(long long value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string text = value < 0 ? "-" : "";
  for (std::size_t at = 0; at < digits.size(); ++at) {
    if (at != 0 && (digits.size() - at) % 3 == 0) text += ',';
    text += digits[at];
  }
  return text;
}

/// Something went wrong, in any thread. The first few are reported in full; the count is checked
/// at the end, and teams stop starting episodes once there is one.
std::atomic<int> problems{0};

void problem(const std::string& what) {
  if (problems.fetch_add(1) < 20) ADD_FAILURE() << what;
}

/// What the whole soak did, summed by the team leaders after each episode (and by throwaway
/// channels as they go).
struct soak_totals {
  std::atomic<long long> episodes{0};
  std::atomic<long long> channels{0};
  std::atomic<long long> sent{0};
  std::atomic<long long> received{0};
  std::atomic<long long> discarded{0};
  std::atomic<long long> handed_back{0};
  std::atomic<long long> retries{0};  // full or timeout, the message handed back and sent again
  std::atomic<long long> handle_operations{0};
};
soak_totals totals;

void add_to(std::atomic<long long>& counter, long long amount = 1) {
  counter.fetch_add(amount, std::memory_order_relaxed);
}

/// A small deterministic generator per thread (splitmix64): which operation, which timeout.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int bound) { return static_cast<int>(next() % static_cast<std::uint64_t>(bound)); }
  bool one_in(int odds) { return below(odds) == 0; }

 private:
  std::uint64_t state_;
};

/// A timeout for a timed operation: from the past ("try once", R20) to a millisecond.
std::chrono::microseconds short_timeout(random_source& random) {
  static constexpr std::array<std::chrono::microseconds, 5> choices{-5us, 0us, 20us, 200us, 1000us};
  return choices[static_cast<std::size_t>(random.below(static_cast<int>(choices.size())))];
}

// ---------------------------------------------------------------------------------------------
// Messages that account for themselves, one episode at a time
// ---------------------------------------------------------------------------------------------

enum class outcome : std::uint8_t { not_attempted, sent, handed_back };

/// Where each message of one episode went. A team owns one, sized once and cleared per episode,
/// so that the soak's own memory does not grow with its length. Producers write their own
/// outcomes; receptions and destructions are counted atomically by whoever does them; the leader
/// reads everything after the episode's closing barrier.
class episode_ledger {
 public:
  explicit episode_ledger(std::size_t capacity)
      : receptions_(capacity), destructions_(capacity), outcomes_(capacity, outcome::not_attempted) {}

  void start(int producers, int per_producer) {
    producers_ = producers;
    per_producer_ = per_producer;
    for (std::size_t i = 0; i < size(); ++i) {
      receptions_[i].store(0, std::memory_order_relaxed);
      destructions_[i].store(0, std::memory_order_relaxed);
      outcomes_[i] = outcome::not_attempted;
    }
  }
  [[nodiscard]] int producers() const { return producers_; }
  [[nodiscard]] int per_producer() const { return per_producer_; }
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(producers_ * per_producer_); }
  [[nodiscard]] std::size_t id(int producer, int sequence) const {
    return static_cast<std::size_t>(producer * per_producer_ + sequence);
  }

  void set(int producer, int sequence, outcome what) { outcomes_[id(producer, sequence)] = what; }
  void record_reception(int producer, int sequence) noexcept {
    receptions_[id(producer, sequence)].fetch_add(1, std::memory_order_relaxed);
  }
  void record_destruction(int producer, int sequence) noexcept {
    destructions_[id(producer, sequence)].fetch_add(1, std::memory_order_relaxed);
  }

  [[nodiscard]] outcome outcome_of(std::size_t message_id) const { return outcomes_[message_id]; }
  [[nodiscard]] int receptions(std::size_t message_id) const {
    return receptions_[message_id].load(std::memory_order_relaxed);
  }
  [[nodiscard]] int destructions(std::size_t message_id) const {
    return destructions_[message_id].load(std::memory_order_relaxed);
  }

 private:
  int producers_ = 0;
  int per_producer_ = 0;
  std::vector<std::atomic<int>> receptions_;
  std::vector<std::atomic<int>> destructions_;
  std::vector<outcome> outcomes_;
};

std::uint64_t checksum(int producer, int sequence) {
  const auto key =
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(producer)) << 32) | static_cast<std::uint32_t>(sequence);
  return (key + 1) * 0x9E3779B97F4A7C15ull;
}

/// A message that knows who sent it, owns a heap payload (so that ASan sees a double destruction
/// or a leak) and, sometimes, a sender of its producer's receipt channel.
///
/// `alive` counts objects, moved-from ones included: 0 exactly when every object is gone. The
/// ledger counts destructions of values: a moved-from object holds none.
class message {
 public:
  static inline std::atomic<long> alive{0};

  message(episode_ledger& ledger, int producer, int sequence, rill::sender<int> receipt)
      : ledger_(&ledger),
        producer_(producer),
        sequence_(sequence),
        payload_(std::make_unique<std::uint64_t>(checksum(producer, sequence))),
        receipt_(std::move(receipt)) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  message(message&& other) noexcept
      : ledger_(std::exchange(other.ledger_, nullptr)),
        producer_(other.producer_),
        sequence_(other.sequence_),
        payload_(std::move(other.payload_)),
        receipt_(std::move(other.receipt_)) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  message& operator=(message&& other) noexcept {
    if (this != &other) {
      if (ledger_ != nullptr) ledger_->record_destruction(producer_, sequence_);
      ledger_ = std::exchange(other.ledger_, nullptr);
      producer_ = other.producer_;
      sequence_ = other.sequence_;
      payload_ = std::move(other.payload_);
      receipt_ = std::move(other.receipt_);
    }
    return *this;
  }
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message() {
    if (ledger_ != nullptr) ledger_->record_destruction(producer_, sequence_);
    alive.fetch_sub(1, std::memory_order_relaxed);
  }

  [[nodiscard]] int producer() const noexcept { return producer_; }
  [[nodiscard]] int sequence() const noexcept { return sequence_; }
  [[nodiscard]] bool holds(int producer, int sequence) const {
    return ledger_ != nullptr && producer_ == producer && sequence_ == sequence && payload_ != nullptr &&
           *payload_ == checksum(producer, sequence);
  }
  [[nodiscard]] bool intact() const { return holds(producer_, sequence_); }
  [[nodiscard]] rill::sender<int>& receipt() noexcept { return receipt_; }

 private:
  episode_ledger* ledger_;
  int producer_;
  int sequence_;
  std::unique_ptr<std::uint64_t> payload_;
  rill::sender<int> receipt_;
};

// ---------------------------------------------------------------------------------------------
// Handle churn and throwaway channels
// ---------------------------------------------------------------------------------------------

template <class Handle>
std::size_t own_side_count(const Handle& handle) {
  if constexpr (std::is_same_v<Handle, rill::sender<message>>) {
    return handle.sender_count();
  } else {
    return handle.receiver_count();
  }
}

/// One random change to the handles a thread holds for its side of an episode's channel: `main`
/// (always valid before and after) and `spare` (a second handle, or empty). R21, R22, R1.
template <class Handle>
void churn(Handle& main, Handle& spare, random_source& random, std::optional<std::size_t> capacity) {
  add_to(totals.handle_operations);
  switch (random.below(7)) {
    case 0: {  // copy, then let the old handle go
      Handle copy = main;
      main = std::move(copy);
      break;
    }
    case 1:  // hold a second handle (releasing the previous second one, if any)
      spare = main;
      break;
    case 2: spare.reset(); break;
    case 3:
      if (spare.valid()) swap(main, spare);
      break;
    case 4: {  // move out and back; the moved-from handle is empty and says so (R22)
      Handle moved(std::move(main));
      if (main.valid()) problem("a moved-from handle is still valid (R21)");
      try {
        (void)main.size();
        problem("an operation on an empty handle did not throw (R22)");
      } catch (const rill::empty_handle_error&) {
      }
      main = std::move(moved);
      break;
    }
    case 5:  // drop this handle and carry on with the second
      if (spare.valid()) {
        main.reset();
        main = std::move(spare);
        if (spare.valid()) problem("a moved-from handle is still valid (R21)");
      }
      break;
    default: {  // queries: snapshots that must include the handles held here (R21, R26, R1)
      const std::size_t held = spare.valid() ? 2 : 1;
      if (own_side_count(main) < held) problem("a handle count is below the handles this thread holds (R21)");
      if (spare.valid() && !main.same_channel(spare)) problem("two copies are not of the same channel (R21)");
      if (main.capacity() != capacity) problem("capacity() changed: the flavor is not fixed (R1)");
      break;
    }
  }
}

/// A channel that lives for a few operations: filled with tracked messages without waiting, then
/// its handles dropped in either order. R11, R10, R25 on every flavor; checked at once, single
/// threaded, and by tracked::alive at the end.
void throwaway_channel(random_source& random) {
  static constexpr std::array<std::optional<std::size_t>, 4> capacities{std::size_t{0}, std::size_t{1}, std::size_t{3},
                                                                        std::nullopt};
  const auto capacity = capacities[static_cast<std::size_t>(random.below(4))];
  auto [tx, rx] = capacity ? rill::bounded<tracked>(*capacity) : rill::unbounded<tracked>();
  add_to(totals.channels);
  int sent = 0;
  for (int value = 0; value < 3; ++value) {
    if (tx.try_send(tracked(value))) ++sent;
  }
  const int room = capacity ? static_cast<int>(std::min<std::size_t>(*capacity, 3)) : 3;
  if (sent != room)
    problem("a throwaway channel with room for " + std::to_string(room) + " took " + std::to_string(sent));
  if (random.one_in(2)) {
    rx.reset();  // the last receiver: what is buffered dies now (R11)
    auto late = tx.try_send(tracked(7));
    if (late || late.error().reason != rill::send_errc::disconnected || late.error().message.value != 7) {
      problem("a send after the last receiver went did not fail with disconnected and the message (R11, R9)");
    }
    tx.reset();
  } else {
    tx.reset();  // the last sender: what is buffered stays for the receiver (R10)
    for (int value = 0; value < sent; ++value) {
      auto taken = rx.try_recv();
      if (!taken || taken->value != value) problem("a throwaway channel lost or reordered a message (R10, R13)");
    }
    if (rx.try_recv().error() != rill::recv_error::disconnected)
      problem("drained and disconnected is not disconnected (R7)");
    rx.reset();
  }
}

// ---------------------------------------------------------------------------------------------
// Teams and episodes
// ---------------------------------------------------------------------------------------------

enum class ending : std::uint8_t { senders_finish, sender_closes, receiver_closes, receivers_leave };

const char* name_of(ending how) {
  switch (how) {
    case ending::senders_finish: return "senders finish";
    case ending::sender_closes: return "a sender closes";
    case ending::receiver_closes: return "a receiver closes";
    case ending::receivers_leave: return "receivers leave";
  }
  return "?";
}

/// One episode: set by the team's leader before the opening barrier, read by all after it.
struct episode_plan {
  int number = 0;
  std::optional<std::size_t> capacity;  // nullopt: unbounded; 0: rendezvous
  ending how = ending::senders_finish;
  int producers = 1;
  int consumers = 1;
  int per_producer = 0;
  int quota = 0;  // receivers_leave: messages the consumers take before they go;
                  // receiver_closes: the reception after which a consumer closes

  [[nodiscard]] std::string describe(int team) const {
    const std::string kind = !capacity        ? "unbounded"
                             : *capacity == 0 ? "rendezvous"
                                              : "bounded " + std::to_string(*capacity);
    return "team " + std::to_string(team) + " episode " + std::to_string(number) + " (" + kind + ", " +
           std::to_string(producers) + "x" + std::to_string(consumers) + ", " + name_of(how) + "): ";
  }
};

class team {
 public:
  team(int index, int size, steady::time_point deadline, std::latch& warmed_up)
      : index_(index),
        size_(size),
        deadline_(deadline),
        warmed_up_(warmed_up),
        phase_(size),
        ledger_(messages_per_episode),
        receipts_(static_cast<std::size_t>(size), 0) {}

  /// The body of the team's thread number `member` (member 0 leads).
  void run(int member);

 private:
  struct role {
    bool producer;
    int index;  // among the producers, or among the consumers
  };
  [[nodiscard]] role role_of(int member) const {
    const int position = (member + plan_.number) % size_;
    return position < plan_.producers ? role{true, position} : role{false, position - plan_.producers};
  }

  void prepare(int episode);
  void produce(int producer, rill::sender<message> tx, random_source& random);
  void consume(int consumer, rill::receiver<message> rx, random_source& random);
  void take(int consumer, message& taken, rill::receiver<message>& rx, std::array<int, 4>& last);
  void check();
  void count_down_warm_up() {
    if (!counted_down_) {
      counted_down_ = true;
      warmed_up_.count_down();
    }
  }

  const int index_;
  const int size_;
  const steady::time_point deadline_;
  std::latch& warmed_up_;
  bool counted_down_ = false;  // leader only

  std::barrier<> phase_;
  // Written by the leader between episodes (before the opening barrier), read by all after it.
  bool stop_ = false;
  episode_plan plan_;
  rill::sender<message> tx_;    // the channel's original handles: the members copy them, then the
  rill::receiver<message> rx_;  // leader drops them
  episode_ledger ledger_;
  // During an episode.
  std::atomic<int> tickets_{0};     // receivers_leave: receptions claimed
  std::atomic<int> receptions_{0};  // receiver_closes: receptions so far
  std::vector<int> receipts_;       // per producer, written by that producer before the closing barrier
};

void team::run(int member) {
  random_source random(static_cast<std::uint64_t>(index_ * 100 + member + 1));
  for (int episode = 0;; ++episode) {
    if (member == 0) prepare(episode);
    phase_.arrive_and_wait();  // the plan and the channel are ready
    if (stop_) break;
    const role mine = role_of(member);
    rill::sender<message> tx;
    rill::receiver<message> rx;
    if (mine.producer) {
      tx = tx_;
    } else {
      rx = rx_;
    }
    phase_.arrive_and_wait();  // every member holds its handle
    if (member == 0) {
      // The originals go now, in either order, while the others already work: any thread may
      // turn out to hold a channel's last handle.
      if (random.one_in(2)) {
        tx_.reset();
        rx_.reset();
      } else {
        rx_.reset();
        tx_.reset();
      }
    }
    if (mine.producer) {
      produce(mine.index, std::move(tx), random);
    } else {
      consume(mine.index, std::move(rx), random);
    }
    phase_.arrive_and_wait();  // every handle of the episode's channel is gone
    if (member == 0) check();
  }
}

void team::prepare(int episode) {
  if (episode == warmup_episodes) count_down_warm_up();
  if (problems.load() > 0 || (episode >= minimum_episodes && steady::now() >= deadline_)) {
    stop_ = true;
    count_down_warm_up();  // however it ended, the main thread must not wait for this team
    return;
  }
  static constexpr std::array<std::size_t, 3> bounded_capacities{2, 8, 64};
  plan_.number = episode;
  switch ((episode + index_) % 4) {
    case 0: plan_.capacity = 0; break;
    case 1: plan_.capacity = 1; break;
    case 2: plan_.capacity = bounded_capacities[static_cast<std::size_t>(episode / 4 % 3)]; break;
    default: plan_.capacity = std::nullopt; break;
  }
  plan_.how = static_cast<ending>((episode / 4 + index_) % 4);
  plan_.producers = 1 + episode % (size_ - 1);
  plan_.consumers = size_ - plan_.producers;
  plan_.per_producer = messages_per_episode / plan_.producers;
  plan_.quota = plan_.producers * plan_.per_producer / 2;
  ledger_.start(plan_.producers, plan_.per_producer);
  tickets_.store(0);
  receptions_.store(0);
  std::fill(receipts_.begin(), receipts_.end(), 0);
  auto [tx, rx] = plan_.capacity ? rill::bounded<message>(*plan_.capacity) : rill::unbounded<message>();
  tx_ = std::move(tx);
  rx_ = std::move(rx);
  add_to(totals.channels);
}

/// Sends with the operation numbered `operation`: send (twice as likely), try_send, send_for,
/// send_until on the steady clock, send_until on the system clock.
rill::send_result<message> send_with(rill::sender<message>& tx, int operation, message&& pending,
                                     random_source& random) {
  switch (operation) {
    case 0:
    case 1: return tx.send(std::move(pending));
    case 2: return tx.try_send(std::move(pending));
    case 3: return tx.send_for(std::move(pending), short_timeout(random));
    case 4: return tx.send_until(std::move(pending), steady::now() + short_timeout(random));
    default: return tx.send_until(std::move(pending), std::chrono::system_clock::now() + short_timeout(random));
  }
}
constexpr int send_operations = 6;

void team::produce(int producer, rill::sender<message> tx, random_source& random) {
  rill::sender<message> spare;
  auto [receipt_tx, receipt_rx] = rill::unbounded<int>();
  add_to(totals.channels);
  const std::string where = plan_.describe(index_) + "producer " + std::to_string(producer) + ": ";
  bool stopped = false;
  for (int sequence = 0; sequence < plan_.per_producer && !stopped; ++sequence) {
    if (random.one_in(8)) churn(tx, spare, random, plan_.capacity);
    if (random.one_in(64)) throwaway_channel(random);
    if (plan_.how == ending::sender_closes && producer == 0 && sequence == plan_.per_producer / 2) tx.close();
    message pending(ledger_, producer, sequence, sequence % receipt_every == 0 ? receipt_tx : rill::sender<int>());
    for (;;) {
      const int operation = random.below(send_operations);
      auto result = send_with(tx, operation, std::move(pending), random);
      if (result) {
        ledger_.set(producer, sequence, outcome::sent);
        break;
      }
      auto& refused = result.error();
      if (!refused.message.holds(producer, sequence))
        problem(where + "a failed send did not hand back its message intact (R9)");
      const rill::send_errc reason = refused.reason;
      const bool retry =
          (reason == rill::send_errc::full && operation == 2) || (reason == rill::send_errc::timeout && operation >= 3);
      if (!retry) {
        // Only a close or the receivers' departure may refuse a message for good.
        if (reason != rill::send_errc::disconnected || plan_.how == ending::senders_finish) {
          problem(where + "send operation " + std::to_string(operation) + " failed with " +
                  std::string(rill::to_string(reason)) + " (R3-R5, R10-R12)");
        }
        ledger_.set(producer, sequence, outcome::handed_back);
        stopped = true;  // the handed-back message dies with `result`
        break;
      }
      add_to(totals.retries);
      pending = std::move(refused.message);  // retry with the very message handed back
      std::this_thread::yield();
    }
  }
  if (random.one_in(2)) {
    tx.reset();
    spare.reset();
  } else {
    spare.reset();
    tx.reset();
  }
  // Every receipt sender left is inside a message: in the channel, or held by a consumer. The
  // receipt channel disconnects once they are all gone (R10), which must happen (R11, R25). The
  // wait is bounded only so that a message that is never destroyed fails the test instead of
  // hanging it; no correct run comes anywhere near the bound.
  receipt_tx.reset();
  int receipts = 0;
  for (;;) {
    auto receipt = receipt_rx.recv_for(120s);
    if (!receipt) {
      if (receipt.error() != rill::recv_error::disconnected) {
        problem(where +
                "the receipt channel did not disconnect: a message that carried its sender was never "
                "destroyed (R11, R25)");
      }
      break;
    }
    if (*receipt % receipt_every != 0 || *receipt >= plan_.per_producer)
      problem(where + "a receipt for a message that carried none");
    ++receipts;
  }
  receipts_[static_cast<std::size_t>(producer)] = receipts;
}

void team::take(int consumer, message& taken, rill::receiver<message>& rx, std::array<int, 4>& last) {
  const int producer = taken.producer();
  const int sequence = taken.sequence();
  if (!taken.intact() || producer < 0 || producer >= plan_.producers || sequence < 0 ||
      sequence >= plan_.per_producer) {
    problem(plan_.describe(index_) + "consumer " + std::to_string(consumer) + " received a damaged message");
    return;
  }
  int& previous = last[static_cast<std::size_t>(producer)];
  if (sequence <= previous) {
    problem(plan_.describe(index_) + "consumer " + std::to_string(consumer) + " received " + std::to_string(producer) +
            ":" + std::to_string(sequence) + " after " + std::to_string(producer) + ":" + std::to_string(previous) +
            " (R13)");
  }
  previous = sequence;
  ledger_.record_reception(producer, sequence);
  if (taken.receipt().valid() && !taken.receipt().send(sequence)) {
    problem(plan_.describe(index_) + "a receipt could not be sent while its producer still waits for it");
  }
  if (plan_.how == ending::receiver_closes && receptions_.fetch_add(1) + 1 == plan_.quota) rx.close();
}

void team::consume(int consumer, rill::receiver<message> rx, random_source& random) {
  rill::receiver<message> spare;
  std::array<int, 4> last{-1, -1, -1, -1};  // per producer: the last sequence received (R13)
  const std::string where = plan_.describe(index_) + "consumer " + std::to_string(consumer) + ": ";
  const auto receive_with = [&](int operation) -> rill::recv_result<message> {
    switch (operation) {
      case 0: return rx.recv();
      case 1: return rx.try_recv();
      case 2: return rx.recv_for(short_timeout(random));
      case 3: return rx.recv_until(steady::now() + short_timeout(random));
      default: return rx.recv_until(std::chrono::system_clock::now() + short_timeout(random));
    }
  };
  const auto expected_failure = [](int operation, rill::recv_error error) {
    return (operation == 1 && error == rill::recv_error::empty) ||
           (operation >= 2 && error == rill::recv_error::timeout);
  };

  if (plan_.how == ending::receivers_leave) {
    // Take one message per ticket, then go. The senders cannot disconnect first: they have more
    // to send than the quota, and nothing refuses them while a receiver is left.
    bool disconnected = false;
    while (!disconnected && tickets_.fetch_add(1) < plan_.quota) {
      for (;;) {
        if (random.one_in(8)) churn(rx, spare, random, plan_.capacity);
        const int operation = random.below(5);
        auto result = receive_with(operation);
        if (result) {
          take(consumer, *result, rx, last);
          break;
        }
        if (!expected_failure(operation, result.error())) {
          problem(where + "receive operation " + std::to_string(operation) + " failed with " +
                  std::string(rill::to_string(result.error())) + " before the quota was taken");
          disconnected = true;
          break;
        }
        std::this_thread::yield();
      }
    }
  } else {
    // Receive until disconnected: by the last sender, or by a close.
    for (bool disconnected = false; !disconnected;) {
      if (random.one_in(8)) churn(rx, spare, random, plan_.capacity);
      if (random.one_in(64)) throwaway_channel(random);
      if (random.one_in(256)) {
        for (message& taken : rx) take(consumer, taken, rx, last);  // ends disconnected and drained (R27)
        break;
      }
      const int operation = random.below(6);
      if (operation == 5) {
        for (message& taken : rx.try_iter()) take(consumer, taken, rx, last);  // stops at empty or disconnected
        continue;
      }
      auto result = receive_with(operation);
      if (result) {
        take(consumer, *result, rx, last);
      } else if (result.error() == rill::recv_error::disconnected) {
        disconnected = true;
      } else if (!expected_failure(operation, result.error())) {
        problem(where + "receive operation " + std::to_string(operation) + " failed with " +
                std::string(rill::to_string(result.error())) + " (R6-R8)");
        break;
      } else {
        std::this_thread::yield();
      }
    }
    // Disconnected is for good (R10, R12).
    if (rx.try_recv().error() != rill::recv_error::disconnected)
      problem(where + "disconnected did not last (R10, R12)");
  }
  if (random.one_in(2)) {
    rx.reset();
    spare.reset();
  } else {
    spare.reset();
    rx.reset();
  }
}

void team::check() {
  const std::string where = plan_.describe(index_);
  long long sent = 0;
  long long received = 0;
  long long discarded = 0;
  long long handed_back = 0;
  std::vector<int> expected_receipts(static_cast<std::size_t>(plan_.producers), 0);
  for (int producer = 0; producer < plan_.producers; ++producer) {
    for (int sequence = 0; sequence < plan_.per_producer; ++sequence) {
      const std::size_t id = ledger_.id(producer, sequence);
      const int receptions = ledger_.receptions(id);
      const int destructions = ledger_.destructions(id);
      const std::string name = "message " + std::to_string(producer) + ":" + std::to_string(sequence);
      received += receptions;
      if (receptions > 1) problem(where + name + " was received " + std::to_string(receptions) + " times (R9)");
      switch (ledger_.outcome_of(id)) {
        case outcome::not_attempted:
          if (plan_.how == ending::senders_finish) problem(where + name + " was never sent (test bug)");
          if (receptions != 0 || destructions != 0)
            problem(where + name + " was never made, yet received or destroyed");
          continue;
        case outcome::sent:
          ++sent;
          if (receptions == 0) {
            ++discarded;
            if (plan_.how != ending::receivers_leave) problem(where + name + " was sent but never received: lost (R9)");
          }
          break;
        case outcome::handed_back:
          ++handed_back;
          if (receptions != 0) problem(where + name + " was handed back by a failed send and also received (R9)");
          break;
      }
      if (destructions != 1) {
        problem(where + name + "'s value was destroyed " + std::to_string(destructions) + " times, not once (R25)");
      }
      if (sequence % receipt_every == 0 && receptions == 1) ++expected_receipts[static_cast<std::size_t>(producer)];
    }
  }
  for (int producer = 0; producer < plan_.producers; ++producer) {
    const int got = receipts_[static_cast<std::size_t>(producer)];
    const int expected = expected_receipts[static_cast<std::size_t>(producer)];
    if (got != expected) {
      problem(where + "producer " + std::to_string(producer) + " got " + std::to_string(got) + " receipts for " +
              std::to_string(expected) + " received receipt-carrying messages");
    }
  }
  if (plan_.how == ending::receivers_leave && received != plan_.quota) {
    problem(where + std::to_string(received) + " messages received, not the quota of " + std::to_string(plan_.quota));
  }
  if (plan_.capacity == std::size_t{0} && discarded != 0) {
    problem(where + "a rendezvous completed " + std::to_string(discarded) + " sends nobody received (R18, R9)");
  }
  if (plan_.capacity && static_cast<std::size_t>(discarded) > *plan_.capacity) {
    problem(where + std::to_string(discarded) + " messages were buffered in a channel of capacity " +
            std::to_string(*plan_.capacity) + " (R1)");
  }
  add_to(totals.episodes);
  add_to(totals.sent, sent);
  add_to(totals.received, received);
  add_to(totals.discarded, discarded);
  add_to(totals.handed_back, handed_back);
}

// ---------------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------------

TEST(soak, churning_handles_and_channels_in_every_flavor_lose_nothing_and_keep_memory_flat) {
  // SPEC R9, R10, R11, R12, R13, R21, R22, R25, R27
  channel_memory_probe probe;
  message::alive.store(0);
  tracked::alive.store(0);
  problems.store(0);
  const double seconds = soak_seconds();
  const process_memory at_start = read_process_memory();
  std::printf("soak: start: %d threads, %.1f s (RILL_SOAK_SECONDS), VmHWM %s, VmRSS %s\n", thread_count, seconds,
              mib(at_start.peak_kib).c_str(), mib(at_start.resident_kib).c_str());
  std::fflush(stdout);

  const steady::time_point begin = steady::now();
  const steady::time_point deadline =
      begin + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  process_memory at_checkpoint;
  long long channel_bytes_at_checkpoint = 0;
  {
    std::latch warmed_up(static_cast<std::ptrdiff_t>(team_sizes.size()));
    std::vector<std::unique_ptr<team>> teams;
    for (std::size_t index = 0; index < team_sizes.size(); ++index) {
      teams.push_back(std::make_unique<team>(static_cast<int>(index), team_sizes[index], deadline, warmed_up));
    }
    std::vector<std::jthread> threads;
    for (std::size_t index = 0; index < team_sizes.size(); ++index) {
      for (int member = 0; member < team_sizes[index]; ++member) {
        threads.emplace_back([&crew = *teams[index], member] { crew.run(member); });
      }
    }
    warmed_up.wait();  // every team has run its warm-up episodes (or stopped)
    at_checkpoint = read_process_memory();
    channel_bytes_at_checkpoint = probe.live();
  }  // joins
  const double elapsed = std::chrono::duration<double>(steady::now() - begin).count();
  const process_memory at_end = read_process_memory();

  EXPECT_EQ(problems.load(), 0) << "the first problems are reported above";
  EXPECT_EQ(message::alive.load(), 0) << "message objects outlived the soak: leaked or destroyed twice (R25)";
  EXPECT_EQ(tracked::alive.load(), 0) << "throwaway channels leaked or double-destroyed messages (R25)";
  EXPECT_EQ(probe.live(), 0) << "channel memory was not given back when every handle was gone (R25)";
  probe.expect_wrapper_saw_every_request();
  EXPECT_GE(totals.episodes.load(), static_cast<long long>(team_sizes.size()) * minimum_episodes);
  const long long peak_growth = at_end.peak_kib - at_checkpoint.peak_kib;
  EXPECT_LE(peak_growth, peak_growth_allowance_kib())
      << "the peak resident set grew by " << mib(peak_growth) << " after warm-up, more than "
      << mib(peak_growth_allowance_kib()) << "; the bound and its reasons are at peak_growth_allowance_kib()";

  std::printf(
      "soak: %.1f s, %d threads, %s messages (%s received, %s discarded by a last receiver, %s handed back), "
      "%s channels, %s episodes, peak RSS start %s warm %s end %s (bound: warm + %s; VmRSS %s), "
      "peak live channel bytes %s, live channel bytes at warm-up %s, at end: %s\n",
      elapsed, thread_count, with_commas(totals.sent.load()).c_str(), with_commas(totals.received.load()).c_str(),
      with_commas(totals.discarded.load()).c_str(), with_commas(totals.handed_back.load()).c_str(),
      with_commas(totals.channels.load()).c_str(), with_commas(totals.episodes.load()).c_str(),
      mib(at_start.peak_kib).c_str(), mib(at_checkpoint.peak_kib).c_str(), mib(at_end.peak_kib).c_str(),
      mib(peak_growth_allowance_kib()).c_str(), mib(at_end.resident_kib).c_str(),
      with_commas(channel_memory.peak_bytes.load()).c_str(), with_commas(channel_bytes_at_checkpoint).c_str(),
      with_commas(probe.live()).c_str());
  std::fflush(stdout);
  RecordProperty("messages", std::to_string(totals.sent.load()));
  RecordProperty("channels", std::to_string(totals.channels.load()));
  RecordProperty("handle_operations", std::to_string(totals.handle_operations.load()));
  RecordProperty("retries", std::to_string(totals.retries.load()));
}

// ---------------------------------------------------------------------------------------------
// Memory given back by a drained channel
// ---------------------------------------------------------------------------------------------

/// Sends `messages` tracked messages from `threads` threads, each with its own copy of `tx`.
void send_all(const rill::sender<tracked>& tx, int messages, int threads) {
  std::vector<std::jthread> workers;
  for (int worker = 0; worker < threads; ++worker) {
    workers.emplace_back([messages, threads, worker, mine = tx]() mutable {
      for (int value = worker; value < messages; value += threads) {
        if (!mine.send(tracked(value))) problem("a send to a live channel failed");
      }
    });
  }
}

/// Receives `messages` messages with `threads` threads (each with its own copy of `rx`), one per
/// ticket, alternating recv and try_recv.
void receive_all(const rill::receiver<tracked>& rx, int messages, int threads) {
  std::atomic<int> tickets{0};
  std::vector<std::jthread> workers;
  for (int worker = 0; worker < threads; ++worker) {
    workers.emplace_back([&tickets, messages, mine = rx]() mutable {
      for (int ticket = tickets.fetch_add(1); ticket < messages; ticket = tickets.fetch_add(1)) {
        for (;;) {
          const auto taken = ticket % 2 == 0 ? mine.recv() : mine.try_recv();
          if (taken) break;
          if (taken.error() != rill::recv_error::empty) {
            problem("a receive from a channel with messages still to come failed");
            break;
          }
          std::this_thread::yield();  // try_recv found it empty: a sender has yet to send
        }
      }
    });
  }
}

TEST(soak, a_drained_channel_gives_its_blocks_back_and_a_bounded_one_allocates_only_when_created) {
  // SPEC R24, R25, R1
  // An unbounded channel is filled with 100,000 messages and drained, with its handles kept: the
  // list flavor must free each block once its last slot is read, so that afterwards the channel
  // holds what an empty one does plus, at most, the one block head and tail now point into. Once
  // from one thread, then from four producers and four consumers (blocks then are freed by
  // whichever reader finishes last in them). Bounded and rendezvous channels allocate only when
  // they are made (R24): traffic must not change their memory at all.
  channel_memory_probe probe;
  problems.store(0);
  tracked::alive.store(0);
  constexpr int messages = 100000;
  long long empty = 0;
  long long one_block = 0;
  long long full = 0;
  long long drained = 0;
  {
    auto [tx, rx] = rill::unbounded<tracked>();
    empty = probe.live();
    ASSERT_GT(empty, 0) << "making a channel allocated nothing the probe could see";
    ASSERT_TRUE(tx.send(tracked(-1)));
    one_block = probe.live() - empty;
    ASSERT_GT(one_block, 0) << "the first send of an unbounded channel allocates its first block";
    ASSERT_TRUE(rx.recv());
    for (const int threads : {1, 4}) {
      send_all(tx, messages, threads);
      full = probe.live();
      EXPECT_EQ(rx.size(), static_cast<std::size_t>(messages));
      EXPECT_GE(full - empty, messages / RILL_LIST_BLOCK_CAPACITY * one_block)
          << "the probe did not see the blocks that hold " << messages << " messages";
      receive_all(rx, messages, threads);
      drained = probe.live();
      EXPECT_EQ(rx.size(), 0u);
      EXPECT_EQ(tracked::alive.load(), 0);
      EXPECT_LE(drained - empty, one_block)
          << "a drained unbounded channel kept " << (drained - empty) << " bytes beyond an empty one; one block is "
          << one_block << " (" << threads << " threads)";
    }
    EXPECT_TRUE(tx.valid());
    EXPECT_TRUE(rx.valid());
  }
  EXPECT_EQ(probe.live(), 0) << "the drained channel's memory was not freed with its last handle (R25)";

  for (const std::size_t capacity : {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::size_t{1000}}) {
    auto [tx, rx] = rill::bounded<tracked>(capacity);
    const long long created = probe.live();
    for (std::size_t i = 0; i < capacity; ++i) EXPECT_TRUE(tx.try_send(tracked(static_cast<int>(i))));
    EXPECT_EQ(rx.size(), capacity);
    std::size_t taken = 0;
    for ([[maybe_unused]] tracked& buffered : rx.try_iter()) ++taken;
    EXPECT_EQ(taken, capacity);
    {
      std::jthread producers([&] { send_all(tx, 10000, 2); });
      receive_all(rx, 10000, 2);
    }
    EXPECT_EQ(probe.live(), created) << "a bounded(" << capacity << ") channel's memory changed after creation (R24)";
    EXPECT_EQ(tracked::alive.load(), 0);
  }
  EXPECT_EQ(probe.live(), 0);
  EXPECT_EQ(problems.load(), 0);
  probe.expect_wrapper_saw_every_request();

  std::printf(
      "soak: unbounded channel of %s messages: empty %s B, first block %s B, full %s B, drained %s B "
      "(handles kept); bounded and rendezvous channels unchanged by traffic\n",
      with_commas(messages).c_str(), with_commas(empty).c_str(), with_commas(one_block).c_str(),
      with_commas(full).c_str(), with_commas(drained).c_str());
  std::fflush(stdout);
}

}  // namespace
