// rill/detail/sync/sim_backend.hpp - the schedule-fuzzing backend of the sync layer.
//
// Selected by RILL_SYNC_BACKEND_SIM. The real channel headers run unchanged on a deterministic
// cooperative scheduler (fuzz/ drives it; docs/fuzzing.md is the user's guide).
//
// Design
// ------
// Logical threads are fibers (ucontext) on one OS thread, run one at a time. Every operation of
// the sync layer (each atomic access, fence, mutex lock and unlock, park, unpark, spin, yield,
// clock read, allocation, random_below) is a *scheduling point*: before the operation takes
// effect, the scheduler asks a decision_source which runnable thread runs next, switches to it if
// that is another thread, and the operation then happens at once (nothing else runs in between).
// So an execution is a sequence of sync-layer steps, fully determined by the program and by the
// answers of the decision source: a failing run replays exactly from the same answers.
//
// Memory is sequentially consistent by default (every load reads the latest store), or weak when
// the run asks for it (options::weak_memory). Weak memory, C11Tester's way, bounded:
//
//   * Every atomic location keeps its last `history_limit` stores in modification order (the
//     order in which they took effect), each with its thread, that thread's vector clock entry
//     (the store's epoch), the clock an acquire that reads it joins (the storing thread's clock for
//     a release store, its last release fence's for a relaxed one, joined with the clock of the
//     store a read-modify-write read: a release sequence), and a global commit number.
//   * A load may read any store of the history that coherence still allows: none of the newer
//     stores happens-before the load (written by a thread whose epoch the loader's clock covers),
//     was read by a thread whose read happens-before the load, or was committed before the
//     loader's last seq_cst fence, spin or wake-up. A seq_cst load reads no store older than the
//     location's last seq_cst store. Which one it reads is a decision (0: the newest), so a stale
//     read replays like a schedule. An acquire load that reads a store joins its clock; a relaxed
//     one keeps it for the thread's next acquire fence.
//   * Read-modify-writes, and compare-exchanges that fail, read the newest store (atomicity).
//   * That subsumes a store buffer: a relaxed or release store that other threads do not see yet
//     is a store they may still read past. A seq_cst fence (and a spin, a yield, a wake-up: a
//     spinning thread must see progress eventually, or every spin loop would livelock) makes
//     every store committed so far visible to the fencing thread; seq_cst fences do not create
//     happens-before between threads, as in C++.
//   * Non-atomic accesses (race_marker, plain<T>) are checked with the same clocks: a write that
//     is not ordered after the last write and every read since, or a read not ordered after the
//     last write, is a data race and stops the run, as it does under Relacy. The end of a
//     marker's life (a freed block, a packet's frame) is a write. Memory freed through the sync
//     layer is kept (not reused) until the run ends, so an access through a stale pointer is a
//     use after free the run reports instead of reading another object.
//   * A mutex unlock releases its clock to the next lock; unpark releases to the woken park.
//
// The model is a subset of C++'s: every execution it produces is allowed by the standard, so a
// failure under weak memory is a real bug, but it does not produce every allowed execution (the
// history is bounded, a read-modify-write never reads an old value, fences and spins refresh more
// than they must). `--mutate SITE=ORDER` weakens one named ordering site, as under Relacy
// (relacy_backend.hpp, the mutation bank): the run then uses the weakened ordering everywhere
// that site is used. Under sequentially consistent memory an ordering changes nothing.
//
// Fibers rather than OS threads handed a baton: a switch is a swapcontext (no kernel wake-up), a
// run needs no thread creation, and a run that is abandoned (a livelock, a failure) is dropped by
// never resuming its fibers. Channel code keeps no thread_local state outside the sync layer, and
// this backend keeps its own state per fiber, so sharing one OS thread is invisible to it.
//
// Blocking: mutex::lock on a held mutex, and parker::park without a token, take the thread out
// of the runnable set; unlock and unpark put it back. A park with a deadline also waits on the
// clock.
//
// Time is virtual. now() reads a clock that moves only when the scheduler moves it: when no
// thread can run and some thread waits for a deadline, the clock jumps to the earliest deadline
// (and wakes those threads); the decision source may also choose to jump it while threads can
// run, so that timeouts race with operations. No real time passes anywhere.
//
// When no thread can run and none waits for a deadline, run() returns `stuck`: the harness
// decides whether the program legitimately blocks for ever. A run that takes `no_progress_limit`
// steps without the harness reporting progress (note_progress) ends with `step_limit`: a
// livelock. A thread that parks while holding a sync::mutex is a bug in itself (nobody could
// take that lock): the run stops with a violation.
//
// Allocation failure: with options::allocation_failures, every allocation a simulated thread
// makes through the sync layer (a list block, a timer's shared state) may fail, by a value
// decision, so that the library's documented outcome (SPEC R24) is checked on the paths that
// reach it.
//
// Progress guarantees and model-checking scenarios do not apply here: this is a test backend.
#pragma once

#include <pthread.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rill/detail/sync/ordering_site.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RILL_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RILL_SIM_ASAN 1
#endif
#endif
#if defined(RILL_SIM_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

namespace rill::detail::sync {

using site = std::source_location;

namespace sim {

using time_point = std::chrono::steady_clock::time_point;

/// What a step of the execution did. The trace names each step by its kind, its ordering site
/// (when it has one) and the production file:line that called the sync layer.
enum class step_kind : std::uint8_t {
  load,
  store,
  exchange,
  compare_exchange,
  fetch_add,
  fetch_sub,
  fetch_or,
  fetch_and,
  fence,
  lock,
  try_lock,
  unlock,
  park,
  park_until,
  unpark,
  spin,
  yield,
  clock,
  allocate,
  deallocate,
  random,
  time_jump,
};

constexpr std::string_view to_string(step_kind kind) noexcept {
  constexpr std::string_view names[] = {
      "load",  "store", "exchange", "compare_exchange", "fetch_add",    "fetch_sub",  "fetch_or", "fetch_and",
      "fence", "lock",  "try_lock", "unlock",           "park",         "park_until", "unpark",   "spin",
      "yield", "now",   "allocate", "deallocate",       "random_below", "time_jump"};
  return names[static_cast<std::size_t>(kind)];
}

constexpr std::string_view to_string(std::memory_order order) noexcept {
  switch (order) {
    case std::memory_order_relaxed: return "relaxed";
    case std::memory_order_consume: return "consume";
    case std::memory_order_acquire: return "acquire";
    case std::memory_order_release: return "release";
    case std::memory_order_acq_rel: return "acq_rel";
    default: return "seq_cst";
  }
}

/// One step of an execution, as the trace observer sees it (after the step took effect).
struct step {
  std::uint64_t index = 0;
  unsigned thread = 0;
  step_kind kind = step_kind::load;
  const char* site_name = nullptr;  // the ordering site, if the access has a named one
  std::memory_order order = std::memory_order_seq_cst;
  bool has_order = false;
  std::source_location where;
  std::uint64_t value = 0;  // value read or written (atomics), result (try_lock, park_until, random)
  bool has_value = false;
  unsigned stale = 0;  // weak memory: how many newer stores of the location this load read past
  time_point clock{};
};

/// Where every choice of an execution comes from. Replaying an execution means answering the
/// same questions the same way.
class decision_source {
 public:
  virtual ~decision_source() = default;
  /// Who runs next: an index into `runnable` (thread ids, ascending), or runnable.size() to make
  /// the clock jump to the earliest pending deadline (offered only when `can_jump_time`).
  /// `current` is the thread that reached the scheduling point (or no_thread); it is in
  /// `runnable` unless it blocked or finished. `yielded`: it reached a spin or a yield, where a
  /// fair schedule lets someone else run.
  virtual std::size_t choose_thread(std::span<const unsigned> runnable, unsigned current, bool yielded,
                                    bool can_jump_time) = 0;
  /// A value in [0, bound): random_below, and whether a compare_exchange_weak fails spuriously.
  virtual std::size_t choose_value(std::size_t bound) = 0;
};

inline constexpr unsigned no_thread = ~0u;

enum class run_status : std::uint8_t {
  finished,    ///< every thread returned
  stuck,       ///< no thread can run and no deadline is pending
  step_limit,  ///< no progress within the step budget: a livelock
  stopped,     ///< stop() was called (a failure found by the harness, or a violation)
};

struct options {
  /// Steps without note_progress() after which a run is a livelock.
  std::uint64_t no_progress_limit = 200000;
  /// backoff_limits::park_after() for this run (0 parks at the first failed attempt).
  unsigned park_after = 2;
  /// compare_exchange_weak may fail spuriously (one decision per call).
  bool spurious_failures = false;
  /// Weak memory (see the design note); otherwise every load reads the newest store.
  bool weak_memory = false;
  /// Stores kept per atomic location under weak memory (the oldest is forgotten first).
  std::size_t history_limit = 4;
  /// An allocation by a simulated thread may fail: one value decision per allocation, and one
  /// answer in allocation_failure_odds fails it (0, the answer of exhausted input, never does).
  /// Allocations of the main context (the program's setup) never fail.
  bool allocation_failures = false;
};
inline constexpr std::size_t allocation_failure_odds = 8;

/// A vector clock. Entry t is thread t's epoch; epochs start at 1, so an access stamped with
/// epoch 0 (the main context: setting up before any thread starts, tearing down after every
/// thread finished) happens-before everything.
inline constexpr unsigned clock_threads = 8;
struct vector_clock {
  std::array<std::uint32_t, clock_threads> at{};
  void join(const vector_clock& other) noexcept {
    for (unsigned i = 0; i < clock_threads; ++i) at[i] = std::max(at[i], other.at[i]);
  }
  /// Whether the access of thread `thread` at `epoch` happens-before the owner of this clock.
  [[nodiscard]] bool covers(unsigned thread, std::uint32_t epoch) const noexcept { return epoch <= at[thread]; }
};

/// The last accesses of a non-atomic object (race_marker, plain<T>): the last write, and each
/// thread's last read since it.
struct race_state {
  std::uint32_t write_epoch = 0;
  std::uint8_t writer = 0;
  std::uint8_t readers = 0;  // bit t: thread t read since the last write
  std::array<std::uint32_t, clock_threads> read_epochs{};
  std::source_location write_where{};
  std::array<std::source_location, clock_threads> read_where{};
};

namespace detail_ {

inline std::size_t stack_bytes() noexcept {
#if defined(RILL_SIM_ASAN)
  return std::size_t{1} << 20;
#else
  return std::size_t{256} << 10;
#endif
}

/// Fiber stacks are mmap'd once, with a guard page below, and reused by every later run.
class stack_pool {
 public:
  void* take() {
    if (!free_.empty()) {
      void* stack = free_.back();
      free_.pop_back();
      return stack;
    }
    const std::size_t page = 4096;
    void* memory = ::mmap(nullptr, stack_bytes() + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    ::mprotect(memory, page, PROT_NONE);
    return static_cast<std::byte*>(memory) + page;
  }
  void give_back(void* stack) { free_.push_back(stack); }

 private:
  std::vector<void*> free_;
};

inline stack_pool& stacks() {
  static stack_pool pool;
  return pool;
}

}  // namespace detail_

/// The mutant of this run, as under Relacy (relacy_backend.hpp): at most one named ordering site
/// weakened to another ordering; `uses` counts how often the weakened site was executed.
struct mutant {
  std::string_view site;
  std::memory_order order = std::memory_order_seq_cst;
  unsigned long long uses = 0;
};
inline mutant& current_mutant() noexcept {
  static mutant value;
  return value;
}

/// The memory_order a site runs with in this run.
inline std::memory_order resolve(const ordering& order) noexcept {
  mutant& weakened = current_mutant();
  if (order.name == nullptr || weakened.site.empty() || weakened.site != order.name) return order.normal;
  ++weakened.uses;
  return order.is_failure_of_site ? failure_order_of(weakened.order) : weakened.order;
}
// A weakened site keeps only the half of its ordering that the operation can have, as under Relacy.
inline std::memory_order load_order(std::memory_order resolved) noexcept {
  if (resolved == std::memory_order_acq_rel) return std::memory_order_acquire;
  if (resolved == std::memory_order_release) return std::memory_order_relaxed;
  if (resolved == std::memory_order_consume) return std::memory_order_acquire;
  return resolved;
}
inline std::memory_order store_order(std::memory_order resolved) noexcept {
  if (resolved == std::memory_order_acq_rel) return std::memory_order_release;
  if (resolved == std::memory_order_acquire || resolved == std::memory_order_consume) return std::memory_order_relaxed;
  return resolved;
}
inline bool acquires(std::memory_order order) noexcept {
  return order == std::memory_order_acquire || order == std::memory_order_acq_rel ||
         order == std::memory_order_seq_cst || order == std::memory_order_consume;
}
inline bool releases(std::memory_order order) noexcept {
  return order == std::memory_order_release || order == std::memory_order_acq_rel || order == std::memory_order_seq_cst;
}

class scheduler;
inline scheduler*& active() noexcept {
  static scheduler* current = nullptr;
  return current;
}

/// The deterministic scheduler. One exists per run; it is made active by run().
class scheduler {
 public:
  enum class state : std::uint8_t { runnable, blocked_on_mutex, parked, finished };

  struct thread {
    ucontext_t context{};
    void* stack = nullptr;
    std::function<void()> body;
    state status = state::runnable;
    const void* waits_on = nullptr;  // the mutex or parker
    bool timed = false;              // parked with a deadline
    bool timed_out = false;
    time_point wake_at{};
    unsigned locks_held = 0;
    std::source_location blocked_where;
    // Weak memory: this thread's clock, its clock at its last release fence, the clocks of the
    // stores its relaxed loads read (for its next acquire fence), and the commit number below
    // which it sees every store (its last seq_cst fence, spin, yield or wake-up).
    vector_clock clock;
    vector_clock release_fence;
    vector_clock pending_acquire;
    std::uint64_t visible_from = 0;
    bool sees_newest = false;  // the harness's own checks read the newest stores
  };

  /// One store of an atomic location's history (weak memory).
  struct store_record {
    std::array<std::byte, 16> bytes{};
    std::uint8_t writer = 0;
    bool seq_cst = false;
    std::uint32_t epoch = 0;  // 0: happens-before everything (the main context)
    std::uint64_t commit = 0;
    vector_clock synchronizes;                              // what an acquire that reads this store joins
    std::array<std::uint32_t, clock_threads> first_read{};  // per thread: epoch of its first read, 0 if none
  };
  struct location {
    std::vector<store_record> stores;  // modification order, oldest first
  };

  explicit scheduler(decision_source& decisions, options settings = {}) : decisions_(decisions), options_(settings) {}
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;
  ~scheduler() {
    if (active() == this) active() = nullptr;
    for (auto& each : threads_) detail_::stacks().give_back(each->stack);
    for (const auto& [start, freed] : quarantine_)
      ::operator delete(reinterpret_cast<void*>(start), freed.bytes, std::align_val_t{freed.alignment});
  }

  /// Adds a thread; it starts running at the next scheduling decision. Callable from the main
  /// context between runs, or from a thread.
  unsigned spawn(std::function<void()> body) {
    auto added = std::make_unique<thread>();
    added->stack = detail_::stacks().take();
    added->body = std::move(body);
    ::getcontext(&added->context);
    added->context.uc_stack.ss_sp = added->stack;
    added->context.uc_stack.ss_size = detail_::stack_bytes();
    added->context.uc_link = nullptr;
    ::makecontext(&added->context, &scheduler::entry, 0);
    if (threads_.size() < clock_threads) added->clock.at[threads_.size()] = 1;
    threads_.push_back(std::move(added));
    return static_cast<unsigned>(threads_.size() - 1);
  }

  /// Runs threads until all have finished, none can run, or the run is stopped.
  run_status run() {
    active() = this;
    status_ = run_status::finished;
    last_progress_ = steps_;
    const unsigned next = pick(no_thread, false);
    if (next == no_thread) return all_finished() ? run_status::finished : run_status::stuck;
    switch_to(next);
    return status_;
  }

  /// Ends the run from inside a thread: control returns to run()'s caller and this thread (and
  /// every other unfinished one) is never resumed.
  [[noreturn]] void stop() {
    status_ = run_status::stopped;
    switch_to(no_thread);
    std::abort();  // never resumed
  }
  /// Stops the run with a message: a bug the backend itself sees.
  [[noreturn]] void violation(std::string what) {
    violation_ = std::move(what);
    stop();
  }
  [[nodiscard]] const std::string& violation_message() const noexcept { return violation_; }

  /// The harness reports progress (an operation returned); the livelock budget restarts.
  void note_progress() noexcept { last_progress_ = steps_; }

  [[nodiscard]] unsigned current() const noexcept { return current_; }
  [[nodiscard]] bool in_thread() const noexcept { return current_ != no_thread; }
  [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }
  [[nodiscard]] time_point now() const noexcept { return now_; }
  [[nodiscard]] std::size_t thread_count() const noexcept { return threads_.size(); }
  [[nodiscard]] const thread& thread_at(unsigned id) const { return *threads_[id]; }
  [[nodiscard]] const options& settings() const noexcept { return options_; }
  [[nodiscard]] std::uint64_t switches() const noexcept { return switches_; }
  [[nodiscard]] bool weak() const noexcept { return options_.weak_memory; }

  /// Called with every step after it took effect, when set (the replay's trace).
  std::function<void(const step&)> observer;
  /// Called in the current thread when it is about to park (the harness's check that operations
  /// which never wait do not park); it may stop the run.
  std::function<void()> on_park;

  // ---- used by the backend's primitives ----

  /// A scheduling point before an operation of the current thread.
  void point(bool yielded) {
    if (!in_thread()) return;
    ++steps_;
    if (steps_ - last_progress_ > options_.no_progress_limit) {
      status_ = run_status::step_limit;
      switch_to(no_thread);
      std::abort();
    }
    const unsigned next = pick(current_, yielded);
    if (next != current_) switch_to(next);
  }

  /// `order` names the site; `effective` is the ordering the step ran with (a mutant's).
  void record(step_kind kind, const ordering* order, std::memory_order effective, const std::source_location& where,
              std::uint64_t value, bool has_value, unsigned stale = 0) {
    if (!observer) return;
    step taken;
    taken.index = steps_;
    taken.thread = current_;
    taken.kind = kind;
    if (order != nullptr) {
      taken.site_name = order->name;
      taken.order = effective;
      taken.has_order = true;
    }
    taken.where = where;
    taken.value = value;
    taken.has_value = has_value;
    taken.stale = stale;
    taken.clock = now_;
    observer(taken);
  }

  /// The current thread waits until `object` (a mutex) is released.
  void block_on_mutex(const void* object, const std::source_location& where) {
    thread& self = *threads_[current_];
    self.status = state::blocked_on_mutex;
    self.waits_on = object;
    self.blocked_where = where;
    reschedule();
  }
  void mutex_released(const void* object) {
    for (auto& each : threads_) {
      if (each->status == state::blocked_on_mutex && each->waits_on == object) {
        each->status = state::runnable;
        each->waits_on = nullptr;
      }
    }
  }
  void lock_taken() { ++threads_[current_]->locks_held; }
  void lock_given_back() {
    if (threads_[current_]->locks_held > 0) --threads_[current_]->locks_held;
  }

  /// The current thread parks on `object` (a parker) until unparked, or until `deadline`.
  /// Returns false if it woke because the deadline passed.
  bool park(const void* object, const time_point* deadline, const std::source_location& where) {
    thread& self = *threads_[current_];
    if (self.locks_held != 0) {
      violation(std::string("a thread parks while holding a sync::mutex (nobody can take it while it sleeps) at ") +
                where.file_name() + ":" + std::to_string(where.line()));
    }
    if (on_park) on_park();
    self.status = state::parked;
    self.waits_on = object;
    self.timed = deadline != nullptr;
    self.timed_out = false;
    if (deadline != nullptr) self.wake_at = *deadline;
    self.blocked_where = where;
    reschedule();
    self.timed = false;
    return !self.timed_out;
  }
  void unpark(const void* object) {
    for (auto& each : threads_) {
      if (each->status == state::parked && each->waits_on == object) {
        each->status = state::runnable;
        each->waits_on = nullptr;
      }
    }
  }

  std::size_t choose_value(std::size_t bound) { return bound <= 1 ? 0 : decisions_.choose_value(bound) % bound; }

  /// Whether the current thread's allocation fails (options::allocation_failures): a decision.
  bool allocation_fails() {
    if (!options_.allocation_failures || !in_thread()) return false;
    return choose_value(allocation_failure_odds) == allocation_failure_odds - 1;
  }

  // ---- weak memory (options::weak_memory; the design note) ----

  /// The current thread's clock (a thread's clock is meaningful only under weak memory).
  [[nodiscard]] const vector_clock& clock_of(unsigned id) const { return threads_[id]->clock; }
  /// The epoch of the current thread now: an event it does now happens-before a thread whose
  /// clock covers (current(), epoch).
  [[nodiscard]] std::uint32_t epoch_now() const {
    return in_thread() && current_ < clock_threads ? threads_[current_]->clock.at[current_] : 0;
  }
  /// The harness's own checks (the rescue's look at channels) read the newest stores.
  void see_newest(bool on) {
    if (in_thread()) threads_[current_]->sees_newest = on;
  }

  /// A new atomic object at `address`: forget what an earlier object there stored.
  void forget(const void* address) { locations_.erase(address); }

  /// Weak load of `size` bytes into `out`; `newest` is the object's newest value. Returns how many
  /// newer stores the load read past.
  unsigned load(const void* address, std::size_t size, const void* newest, void* out, std::memory_order order) {
    thread& self = me();
    location& here = location_of(address, size, newest);
    std::size_t floor = visible_floor(here, self, order == std::memory_order_seq_cst);
    std::size_t chosen = here.stores.size() - 1;
    if (!self.sees_newest && chosen > floor) chosen -= choose_value(chosen - floor + 1);
    store_record& read = here.stores[chosen];
    note_read(read);
    if (acquires(order)) {
      self.clock.join(read.synchronizes);
    } else {
      self.pending_acquire.join(read.synchronizes);
    }
    std::memcpy(out, read.bytes.data(), size);
    return static_cast<unsigned>(here.stores.size() - 1 - chosen);
  }

  /// Weak store of `size` bytes from `in`.
  void store(const void* address, std::size_t size, const void* newest, const void* in, std::memory_order order) {
    location& here = location_of(address, size, newest);
    commit(here, size, in, order, nullptr);
  }

  /// The read half of a read-modify-write (or of a failed compare-exchange): the newest store.
  /// Copies its value into `out` and returns it, for the write half.
  const store_record& read_newest(const void* address, std::size_t size, const void* newest, void* out,
                                  std::memory_order order) {
    thread& self = me();
    location& here = location_of(address, size, newest);
    store_record& read = here.stores.back();
    note_read(read);
    if (acquires(order)) {
      self.clock.join(read.synchronizes);
    } else {
      self.pending_acquire.join(read.synchronizes);
    }
    std::memcpy(out, read.bytes.data(), size);
    return read;
  }
  /// The write half of a read-modify-write: continues the release sequence of the store it read.
  void write_after_read(const void* address, std::size_t size, const void* in, std::memory_order order) {
    location& here = locations_.find(address)->second;
    const vector_clock continued = here.stores.back().synchronizes;
    commit(here, size, in, order, &continued);
  }

  void fence(std::memory_order order) {
    thread& self = me();
    if (acquires(order)) self.clock.join(self.pending_acquire);
    if (releases(order)) {
      self.release_fence = self.clock;
      tick(self);
    }
    if (order == std::memory_order_seq_cst) self.visible_from = commits_;
  }
  /// A spin, a yield or a wake-up: the thread sees every store committed so far.
  void refresh() {
    if (in_thread()) me().visible_from = commits_;
  }
  /// Release (unlock, unpark) into `into`, acquire (lock, wake-up) from `from`.
  void release_to(vector_clock& into) {
    if (!in_thread()) return;
    thread& self = me();
    into.join(self.clock);
    tick(self);
  }
  void acquire_from(const vector_clock& from) {
    if (in_thread()) me().clock.join(from);
  }

  /// Data-race checks of a non-atomic access (race_marker, plain<T>).
  /// `ending`: the access is the end of the object's life (`where` is then the sync layer's).
  void check_access(race_state& state, bool write, const void* address, const std::source_location& where,
                    bool ending = false) {
    check_freed(address, where);
    if (!in_thread()) {
      state = race_state{};  // the main context: before every thread, or after all of them
      state.write_where = where;
      return;
    }
    thread& self = me();
    const unsigned id = current_;
    const char* access = ending ? "ends the object's life (a free, or a frame left)" : write ? "writes" : "reads";
    if (!self.clock.covers(state.writer, state.write_epoch))
      race(access, where, state.writer, "write", state.write_where, ending);
    if (write) {
      for (unsigned t = 0; t < clock_threads; ++t) {
        if ((state.readers >> t & 1) != 0 && !self.clock.covers(t, state.read_epochs[t])) {
          race(access, where, t, "read", state.read_where[t], ending);
        }
      }
      state.writer = static_cast<std::uint8_t>(id);
      state.write_epoch = self.clock.at[id];
      state.write_where = where;
      state.readers = 0;
    } else {
      state.readers = static_cast<std::uint8_t>(state.readers | (1u << id));
      state.read_epochs[id] = self.clock.at[id];
      state.read_where[id] = where;
    }
  }

  /// Memory freed through the sync layer under weak memory: kept until the run ends.
  void quarantine(void* pointer, std::size_t bytes, std::size_t alignment) {
    const auto start = reinterpret_cast<std::uintptr_t>(pointer);
    quarantine_[start] = freed_block{start + std::max<std::size_t>(bytes, 1), bytes, alignment};
  }
  void check_freed(const void* address, const std::source_location& where) {
    if (quarantine_.empty() || !in_thread()) return;
    const auto at = reinterpret_cast<std::uintptr_t>(address);
    auto after = quarantine_.upper_bound(at);
    if (after == quarantine_.begin()) return;
    --after;
    if (at < after->second.end) {
      violation("use after free: T" + std::to_string(current_) + " accesses memory the sync layer freed, at " +
                short_name(where.file_name()) + ":" + std::to_string(where.line()));
    }
  }

 private:
  static void entry() {
    scheduler& self = *active();
#if defined(RILL_SIM_ASAN)
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
    thread& mine = *self.threads_[self.current_];
    try {
      mine.body();
    } catch (...) {
      self.violation("an exception escaped a simulated thread");
    }
    mine.status = state::finished;
    self.last_progress_ = self.steps_;
    mine.body = nullptr;
    self.reschedule();
    std::abort();  // a finished thread is never resumed
  }

  thread& me() {
    if (current_ >= clock_threads) violation("weak memory tracks at most 8 threads");
    return *threads_[current_];
  }
  void tick(thread& self) { ++self.clock.at[current_]; }

  location& location_of(const void* address, std::size_t size, const void* newest) {
    auto [found, added] = locations_.try_emplace(address);
    if (added) {
      // The value the object had before this run's first weak access: stored by the main
      // context (its construction), so it happens-before everything.
      store_record initial;
      std::memcpy(initial.bytes.data(), newest, size);
      initial.seq_cst = true;
      found->second.stores.push_back(initial);
    }
    return found->second;
  }

  /// The oldest store of `here` that `self` may still read: no newer store happens-before it,
  /// was read by a thread whose read happens-before it, or was committed before its last refresh;
  /// for a seq_cst load, no store older than the last seq_cst store.
  std::size_t visible_floor(const location& here, const thread& self, bool seq_cst) const {
    for (std::size_t i = here.stores.size(); i-- > 0;) {
      const store_record& each = here.stores[i];
      if ((seq_cst && each.seq_cst) || each.commit <= self.visible_from || self.clock.covers(each.writer, each.epoch)) {
        return i;
      }
      for (unsigned t = 0; t < clock_threads; ++t) {
        if (each.first_read[t] != 0 && self.clock.covers(t, each.first_read[t])) return i;
      }
    }
    return 0;
  }

  void note_read(store_record& read) {
    if (!in_thread()) return;
    thread& self = me();
    if (read.first_read[current_] == 0) read.first_read[current_] = self.clock.at[current_];
  }

  void commit(location& here, std::size_t size, const void* in, std::memory_order order,
              const vector_clock* continued) {
    store_record added;
    std::memcpy(added.bytes.data(), in, size);
    added.seq_cst = order == std::memory_order_seq_cst;
    added.commit = ++commits_;
    if (in_thread()) {
      thread& self = me();
      added.writer = static_cast<std::uint8_t>(current_);
      added.epoch = self.clock.at[current_];
      added.synchronizes = releases(order) ? self.clock : self.release_fence;
      if (continued != nullptr) added.synchronizes.join(*continued);
      if (releases(order)) tick(self);
    }
    here.stores.push_back(added);
    if (here.stores.size() > std::max<std::size_t>(options_.history_limit, 1)) here.stores.erase(here.stores.begin());
  }

  [[noreturn]] void race(const char* access, const std::source_location& where, unsigned other,
                         const char* other_access, const std::source_location& other_where, bool ending) {
    const std::string place = ending ? "" : " at " + short_name(where.file_name()) + ":" + std::to_string(where.line());
    violation(std::string("data race: T") + std::to_string(current_) + " " + access + place + ", not ordered after T" +
              std::to_string(other) + "'s " + other_access + " at " + short_name(other_where.file_name()) + ":" +
              std::to_string(other_where.line()));
  }
  static std::string short_name(const char* file) {
    std::string name = file == nullptr ? "?" : file;
    if (const auto cut = name.find("include/rill/"); cut != std::string::npos) name = name.substr(cut + 8);
    return name;
  }

  [[nodiscard]] bool all_finished() const {
    return std::all_of(threads_.begin(), threads_.end(),
                       [](const auto& each) { return each->status == state::finished; });
  }

  /// The current thread cannot continue: run someone else, or return to run()'s caller.
  void reschedule() {
    const unsigned next = pick(current_, true);
    if (next == current_) return;  // woken already (a deadline jump)
    if (next == no_thread) status_ = all_finished() ? run_status::finished : run_status::stuck;
    switch_to(next);
  }

  bool deadline_pending() const {
    return std::any_of(threads_.begin(), threads_.end(),
                       [](const auto& each) { return each->status == state::parked && each->timed; });
  }

  /// Moves the clock to the earliest pending deadline and wakes every thread whose deadline it is.
  void jump_time() {
    time_point earliest = time_point::max();
    for (const auto& each : threads_) {
      if (each->status == state::parked && each->timed) earliest = std::min(earliest, each->wake_at);
    }
    if (earliest > now_) now_ = earliest;
    for (auto& each : threads_) {
      if (each->status == state::parked && each->timed && each->wake_at <= now_) {
        each->status = state::runnable;
        each->timed_out = true;
        each->waits_on = nullptr;
      }
    }
    if (observer) {
      step jumped;
      jumped.index = steps_;
      jumped.thread = current_;
      jumped.kind = step_kind::time_jump;
      jumped.clock = now_;
      observer(jumped);
    }
  }

  unsigned pick(unsigned from, bool yielded) {
    for (;;) {
      runnable_.clear();
      for (unsigned id = 0; id < threads_.size(); ++id) {
        if (threads_[id]->status == state::runnable) runnable_.push_back(id);
      }
      const bool can_jump = deadline_pending();
      if (runnable_.empty()) {
        if (!can_jump) return no_thread;
        jump_time();
        continue;
      }
      if (runnable_.size() == 1 && !can_jump) return runnable_.front();
      const std::size_t choice = decisions_.choose_thread(runnable_, from, yielded, can_jump);
      if (choice < runnable_.size()) return runnable_[choice];
      jump_time();
    }
  }

  void switch_to(unsigned next) {
    const unsigned previous = current_;
    if (next == previous) return;
    ++switches_;
    ucontext_t& from = previous == no_thread ? main_context_ : threads_[previous]->context;
    ucontext_t& to = next == no_thread ? main_context_ : threads_[next]->context;
    current_ = next;
#if defined(RILL_SIM_ASAN)
    void* fake_stack = nullptr;
    const bool leaving_for_good = previous != no_thread && threads_[previous]->status == state::finished;
    if (next == no_thread) {
      if (main_stack_ == nullptr) find_main_stack();
      __sanitizer_start_switch_fiber(leaving_for_good ? nullptr : &fake_stack, main_stack_, main_stack_size_);
    } else {
      __sanitizer_start_switch_fiber(leaving_for_good ? nullptr : &fake_stack, threads_[next]->stack,
                                     detail_::stack_bytes());
    }
#endif
    ::swapcontext(&from, &to);
#if defined(RILL_SIM_ASAN)
    __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
  }

#if defined(RILL_SIM_ASAN)
  void find_main_stack() {
    pthread_attr_t attributes;
    ::pthread_getattr_np(::pthread_self(), &attributes);
    ::pthread_attr_getstack(&attributes, &main_stack_, &main_stack_size_);
    ::pthread_attr_destroy(&attributes);
  }
  void* main_stack_ = nullptr;
  std::size_t main_stack_size_ = 0;
#endif

  decision_source& decisions_;
  options options_;
  std::vector<std::unique_ptr<thread>> threads_;
  std::vector<unsigned> runnable_;
  ucontext_t main_context_{};
  unsigned current_ = no_thread;
  run_status status_ = run_status::finished;
  std::uint64_t steps_ = 0;
  std::uint64_t last_progress_ = 0;
  std::uint64_t switches_ = 0;
  time_point now_ = time_point(std::chrono::seconds(1));
  std::string violation_;
  std::unordered_map<const void*, location> locations_;
  std::uint64_t commits_ = 0;
  struct freed_block {
    std::uintptr_t end;
    std::size_t bytes;
    std::size_t alignment;
  };
  std::map<std::uintptr_t, freed_block> quarantine_;
};

/// The active scheduler if the caller is one of its threads, else null (the main context, or no
/// simulation: operations then take effect at once, as in a single-threaded program).
inline scheduler* running() noexcept {
  scheduler* current = active();
  return current != nullptr && current->in_thread() ? current : nullptr;
}

template <class T>
std::uint64_t bits_of(const T& value) noexcept {
  if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    return static_cast<std::uint64_t>(value);
  } else if constexpr (std::is_pointer_v<T>) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(value));
  } else {
    return 0;
  }
}

inline void point(bool yielded = false) {
  if (scheduler* current = running()) current->point(yielded);
}
inline void record(step_kind kind, const ordering* order, std::memory_order effective,
                   const std::source_location& where, std::uint64_t value = 0, bool has_value = false,
                   unsigned stale = 0) {
  if (scheduler* current = running()) current->record(kind, order, effective, where, value, has_value, stale);
}
inline void record(step_kind kind, const std::source_location& where, std::uint64_t value = 0, bool has_value = false) {
  record(kind, nullptr, std::memory_order_seq_cst, where, value, has_value);
}

/// The active scheduler if it runs weak memory (from a thread or from the main context), else null.
inline scheduler* weak_active() noexcept {
  scheduler* current = active();
  return current != nullptr && current->weak() ? current : nullptr;
}
/// The active scheduler if it runs weak memory and the caller is one of its threads, else null.
inline scheduler* weak_running() noexcept {
  scheduler* current = running();
  return current != nullptr && current->weak() ? current : nullptr;
}

/// Live allocations made through the sync layer (allocate_bytes) and not yet freed: the harness
/// checks it returns to its starting value at the end of a run.
inline long long& live_allocations() noexcept {
  static long long count = 0;
  return count;
}

}  // namespace sim

template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T>, "rill sync atomic<T> needs a trivially copyable T");
  static_assert(sizeof(T) <= 16, "the sim backend's weak memory keeps values of up to 16 bytes");

 public:
  constexpr atomic() noexcept : value_() { forget(); }
  constexpr explicit atomic(T initial) noexcept : value_(initial) { forget(); }
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(ordering order, site where = site::current()) const {
    sim::point();
    const std::memory_order effective = sim::load_order(sim::resolve(order));
    T result = value_;
    unsigned stale = 0;
    if (sim::scheduler* weak = sim::weak_running()) {
      weak->check_freed(this, where);
      stale = weak->load(this, sizeof(T), &value_, &result, effective);
    }
    sim::record(sim::step_kind::load, &order, effective, where, sim::bits_of(result), true, stale);
    return result;
  }
  void store(T desired, ordering order, site where = site::current()) {
    sim::point();
    const std::memory_order effective = sim::store_order(sim::resolve(order));
    if (sim::scheduler* weak = sim::weak_active()) {
      weak->check_freed(this, where);
      weak->store(this, sizeof(T), &value_, &desired, effective);
    }
    value_ = desired;
    sim::record(sim::step_kind::store, &order, effective, where, sim::bits_of(desired), true);
  }
  T exchange(T desired, ordering order, site where = site::current()) {
    return modify(sim::step_kind::exchange, [desired](T) { return desired; }, order, where);
  }
  bool compare_exchange_weak(T& expected, T desired, ordering success, ordering failure, site where = site::current()) {
    sim::point();
    if (sim::scheduler* current = sim::running();
        current != nullptr && current->settings().spurious_failures && current->choose_value(2) == 1) {
      const std::memory_order effective = sim::load_order(sim::resolve(failure));
      expected = read_newest(effective, where);
      sim::record(sim::step_kind::compare_exchange, &failure, effective, where, sim::bits_of(expected), true);
      return false;
    }
    return exchange_if(expected, desired, success, failure, where);
  }
  bool compare_exchange_strong(T& expected, T desired, ordering success, ordering failure,
                               site where = site::current()) {
    sim::point();
    return exchange_if(expected, desired, success, failure, where);
  }
  T fetch_add(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return modify(sim::step_kind::fetch_add, [operand](T old) { return static_cast<T>(old + operand); }, order, where);
  }
  T fetch_sub(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return modify(sim::step_kind::fetch_sub, [operand](T old) { return static_cast<T>(old - operand); }, order, where);
  }
  T fetch_or(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return modify(sim::step_kind::fetch_or, [operand](T old) { return static_cast<T>(old | operand); }, order, where);
  }
  T fetch_and(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return modify(sim::step_kind::fetch_and, [operand](T old) { return static_cast<T>(old & operand); }, order, where);
  }

 private:
  /// A new object may take the address of one that ended (a packet in a reused stack frame).
  constexpr void forget() noexcept {
    if !consteval {
      if (sim::scheduler* weak = sim::weak_active()) weak->forget(this);
    }
  }
  /// The read half of a read-modify-write: the newest value (under weak memory, with the clocks).
  T read_newest(std::memory_order order, const site& where) {
    T result = value_;
    if (sim::scheduler* weak = sim::weak_running()) {
      weak->check_freed(this, where);
      weak->read_newest(this, sizeof(T), &value_, &result, order);
    }
    return result;
  }
  void write_after_read(T desired, std::memory_order order) {
    if (sim::scheduler* weak = sim::weak_active()) {
      if (weak->in_thread()) {
        weak->write_after_read(this, sizeof(T), &desired, order);
      } else {
        weak->store(this, sizeof(T), &value_, &desired, order);
      }
    }
    value_ = desired;
  }
  template <class Compute>
  T modify(sim::step_kind kind, Compute compute, const ordering& order, const site& where) {
    sim::point();
    const std::memory_order effective = sim::resolve(order);
    const T previous = read_newest(effective, where);
    write_after_read(compute(previous), effective);
    sim::record(kind, &order, effective, where, sim::bits_of(previous), true);
    return previous;
  }
  bool exchange_if(T& expected, T desired, const ordering& success, const ordering& failure, const site& where) {
    const std::memory_order on_success = sim::resolve(success);
    const std::memory_order on_failure = sim::load_order(sim::resolve(failure));
    // The comparison reads the newest value; its ordering is the success one if it succeeds.
    const T current = value_;
    if (std::memcmp(&current, &expected, sizeof(T)) == 0) {
      (void)read_newest(on_success, where);
      write_after_read(desired, on_success);
      sim::record(sim::step_kind::compare_exchange, &success, on_success, where, sim::bits_of(desired), true);
      return true;
    }
    expected = read_newest(on_failure, where);
    sim::record(sim::step_kind::compare_exchange, &failure, on_failure, where, sim::bits_of(expected), true);
    return false;
  }

  T value_;
};

inline void fence(ordering order, site where = site::current()) {
  sim::point();
  const std::memory_order effective = sim::resolve(order);
  if (sim::scheduler* weak = sim::weak_running()) weak->fence(effective);
  sim::record(sim::step_kind::fence, &order, effective, where);
}

/// Accesses to non-atomic shared data. Under weak memory each is checked for a data race with
/// the threads' clocks (the design note); under sequentially consistent memory they take no step.
class race_marker {
 public:
  race_marker() noexcept = default;
  race_marker(const race_marker&) = delete;
  race_marker& operator=(const race_marker&) = delete;
  // Ending the marked object's lifetime is a write, as under Relacy.
  ~race_marker() {
    if (sim::scheduler* weak = sim::weak_active()) weak->check_access(state_, true, this, site::current(), true);
  }
  void mark_write(site where = site::current()) { access(true, where); }
  void mark_read(site where = site::current()) const { access(false, where); }

 private:
  void access(bool write, const site& where) const {
    if (sim::scheduler* weak = sim::weak_active()) weak->check_access(state_, write, this, where);
  }
  mutable sim::race_state state_;
};

template <class T>
class plain {
 public:
  constexpr plain() noexcept : value_() {}
  constexpr explicit plain(T initial) noexcept : value_(initial) {}
  T load(site where = site::current()) const {
    if (sim::scheduler* weak = sim::weak_active()) weak->check_access(state_, false, this, where);
    return value_;
  }
  void store(T value, site where = site::current()) {
    if (sim::scheduler* weak = sim::weak_active()) weak->check_access(state_, true, this, where);
    value_ = value;
  }

 private:
  T value_;
  mutable sim::race_state state_;
};

class mutex {
 public:
  void lock(site where = site::current()) {
    sim::scheduler* current = sim::running();
    if (current == nullptr) {
      if (locked_) std::abort();  // the main context cannot wait for a simulated thread
      locked_ = true;
      return;
    }
    current->point(false);
    while (locked_) current->block_on_mutex(this, where);
    locked_ = true;
    current->lock_taken();
    if (current->weak()) current->acquire_from(clock_);
    current->record(sim::step_kind::lock, nullptr, std::memory_order_seq_cst, where, 0, false);
  }
  bool try_lock(site where = site::current()) {
    sim::point();
    const bool taken = !locked_;
    if (taken) {
      locked_ = true;
      if (sim::scheduler* current = sim::running()) {
        current->lock_taken();
        if (current->weak()) current->acquire_from(clock_);
      }
    }
    sim::record(sim::step_kind::try_lock, where, taken ? 1 : 0, true);
    return taken;
  }
  void unlock(site where = site::current()) {
    sim::point();
    locked_ = false;
    if (sim::scheduler* current = sim::running()) {
      if (current->weak()) current->release_to(clock_);
      current->lock_given_back();
      current->mutex_released(this);
    } else if (sim::scheduler* owner = sim::active()) {
      owner->mutex_released(this);
    }
    sim::record(sim::step_kind::unlock, where);
  }

 private:
  bool locked_ = false;
  sim::vector_clock clock_;  // weak memory: what the last unlock released
};

/// Virtual time (see the design note). The time_point type is steady_clock's, as rill::instant
/// requires.
struct clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;
};

inline clock::time_point now(site where = site::current()) {
  sim::scheduler* current = sim::active();
  if (current == nullptr) return clock::time_point(std::chrono::seconds(1));
  sim::point();
  sim::record(sim::step_kind::clock, where);
  return current->now();
}

/// A sticky token, as in the other backends; a park without a token takes the thread out of the
/// runnable set until unpark() or its deadline.
class parker {
 public:
  void park(site where = site::current()) {
    sim::scheduler* current = sim::running();
    if (current == nullptr) std::abort();  // the main context would sleep for ever
    current->point(false);
    while (!token_) current->park(this, nullptr, where);
    token_ = false;
    woken(*current);
    current->record(sim::step_kind::park, nullptr, std::memory_order_seq_cst, where, 0, false);
  }
  bool park_until(clock::time_point deadline, site where = site::current()) {
    sim::scheduler* current = sim::running();
    if (current == nullptr) std::abort();
    current->point(false);
    if (!token_ && current->now() < deadline) current->park(this, &deadline, where);
    const bool unparked = token_;
    token_ = false;
    if (unparked) woken(*current);
    if (current->weak()) current->refresh();
    current->record(sim::step_kind::park_until, nullptr, std::memory_order_seq_cst, where, unparked ? 1 : 0, true);
    return unparked;
  }
  void unpark(site where = site::current()) {
    sim::point();
    if (sim::scheduler* weak = sim::weak_running()) weak->release_to(clock_);
    token_ = true;
    if (sim::scheduler* owner = sim::active()) owner->unpark(this);
    sim::record(sim::step_kind::unpark, where);
  }

 private:
  void woken(sim::scheduler& current) const {
    if (!current.weak()) return;
    current.acquire_from(clock_);
    current.refresh();
  }
  bool token_ = false;
  sim::vector_clock clock_;  // weak memory: what the unparks released
};

inline void spin_pause(site where = site::current()) {
  sim::point(true);
  if (sim::scheduler* weak = sim::weak_running()) weak->refresh();
  sim::record(sim::step_kind::spin, where);
}
inline void yield_now(site where = site::current()) {
  sim::point(true);
  if (sim::scheduler* weak = sim::weak_running()) weak->refresh();
  sim::record(sim::step_kind::yield, where);
}

/// Spinning is a yield to the scheduler, so the limits are small; park_after comes from the run's
/// options (0: park at the first failed attempt, exposing the register-then-recheck paths).
struct backoff_limits {
  static unsigned spin() noexcept { return 0; }
  static unsigned park_after() noexcept {
    const sim::scheduler* current = sim::active();
    return current == nullptr ? 2 : current->settings().park_after;
  }
};

using allocation_filter = bool (*)(std::size_t bytes) noexcept;
inline allocation_filter allocation_hook = nullptr;

/// An allocation fails when the hook says so, or (options::allocation_failures) by decision; the
/// trace then shows `allocate = 0`.
inline void* allocate_bytes(std::size_t bytes, std::size_t alignment, site where = site::current()) {
  sim::point();
  void* memory = nullptr;
  sim::scheduler* current = sim::running();
  const bool refused = current != nullptr && current->allocation_fails();
  if (!refused && (allocation_hook == nullptr || allocation_hook(bytes))) {
    memory = ::operator new(bytes, std::align_val_t{alignment}, std::nothrow);
    if (memory != nullptr) ++sim::live_allocations();
  }
  sim::record(sim::step_kind::allocate, where, memory != nullptr ? bytes : 0, true);
  return memory;
}
inline void deallocate_bytes(void* pointer, std::size_t bytes, std::size_t alignment, site where = site::current()) {
  sim::point();
  --sim::live_allocations();
  if (sim::scheduler* weak = sim::weak_active()) {
    weak->quarantine(pointer, bytes, alignment);
  } else {
    ::operator delete(pointer, bytes, std::align_val_t{alignment});
  }
  sim::record(sim::step_kind::deallocate, where, bytes, true);
}

/// The simulated thread's index + 1; 0 in the main context.
inline std::uintptr_t thread_identity() {
  sim::scheduler* current = sim::running();
  return current == nullptr ? 0 : static_cast<std::uintptr_t>(current->current()) + 1;
}

/// A select's random choice is a decision, so that every order can be chosen and replayed.
inline std::size_t random_below(std::size_t bound, site where = site::current()) {
  sim::point();
  sim::scheduler* current = sim::running();
  const std::size_t chosen = current == nullptr ? 0 : current->choose_value(bound);
  sim::record(sim::step_kind::random, where, chosen, true);
  return chosen;
}

}  // namespace rill::detail::sync
