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
// Execution is sequentially consistent (every load reads the latest store). The ordering of each
// access is kept in the trace (its site name, e.g. array.publish) but does not change what a load
// reads: bugs of interleaving and of logic are this backend's job, weak-memory bugs Relacy's.
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
// Progress guarantees and model-checking scenarios do not apply here: this is a test backend.
#pragma once

#include <sys/mman.h>
#include <ucontext.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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
  load, store, exchange, compare_exchange, fetch_add, fetch_sub, fetch_or, fetch_and, fence,
  lock, try_lock, unlock, park, park_until, unpark, spin, yield, clock, allocate, deallocate,
  random, time_jump,
};

constexpr std::string_view to_string(step_kind kind) noexcept {
  constexpr std::string_view names[] = {
      "load", "store", "exchange", "compare_exchange", "fetch_add", "fetch_sub", "fetch_or", "fetch_and", "fence",
      "lock", "try_lock", "unlock", "park", "park_until", "unpark", "spin", "yield", "now", "allocate",
      "deallocate", "random_below", "time_jump"};
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
  };

  explicit scheduler(decision_source& decisions, options settings = {})
      : decisions_(decisions), options_(settings) {}
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;
  ~scheduler() {
    if (active() == this) active() = nullptr;
    for (auto& each : threads_) detail_::stacks().give_back(each->stack);
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

  /// Called with every step after it took effect, when set (the replay's trace).
  std::function<void(const step&)> observer;

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

  void record(step_kind kind, const ordering* order, const std::source_location& where, std::uint64_t value,
              bool has_value) {
    if (!observer) return;
    step taken;
    taken.index = steps_;
    taken.thread = current_;
    taken.kind = kind;
    if (order != nullptr) {
      taken.site_name = order->name;
      taken.order = order->normal;
      taken.has_order = true;
    }
    taken.where = where;
    taken.value = value;
    taken.has_value = has_value;
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

  [[nodiscard]] bool all_finished() const {
    return std::all_of(threads_.begin(), threads_.end(), [](const auto& each) { return each->status == state::finished; });
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
inline void record(step_kind kind, const ordering* order, const std::source_location& where, std::uint64_t value = 0,
                   bool has_value = false) {
  if (scheduler* current = running()) current->record(kind, order, where, value, has_value);
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

 public:
  constexpr atomic() noexcept : value_() {}
  constexpr explicit atomic(T initial) noexcept : value_(initial) {}
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(ordering order, site where = site::current()) const {
    sim::point();
    const T result = value_;
    sim::record(sim::step_kind::load, &order, where, sim::bits_of(result), true);
    return result;
  }
  void store(T desired, ordering order, site where = site::current()) {
    sim::point();
    value_ = desired;
    sim::record(sim::step_kind::store, &order, where, sim::bits_of(desired), true);
  }
  T exchange(T desired, ordering order, site where = site::current()) {
    sim::point();
    const T previous = value_;
    value_ = desired;
    sim::record(sim::step_kind::exchange, &order, where, sim::bits_of(previous), true);
    return previous;
  }
  bool compare_exchange_weak(T& expected, T desired, ordering success, ordering failure,
                             site where = site::current()) {
    sim::point();
    if (sim::scheduler* current = sim::running();
        current != nullptr && current->settings().spurious_failures && current->choose_value(2) == 1) {
      expected = value_;
      sim::record(sim::step_kind::compare_exchange, &failure, where, sim::bits_of(value_), true);
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
  template <class Compute>
  T modify(sim::step_kind kind, Compute compute, const ordering& order, const site& where) {
    sim::point();
    const T previous = value_;
    value_ = compute(previous);
    sim::record(kind, &order, where, sim::bits_of(previous), true);
    return previous;
  }
  bool exchange_if(T& expected, T desired, const ordering& success, const ordering& failure, const site& where) {
    if (value_ == expected) {
      value_ = desired;
      sim::record(sim::step_kind::compare_exchange, &success, where, sim::bits_of(desired), true);
      return true;
    }
    expected = value_;
    sim::record(sim::step_kind::compare_exchange, &failure, where, sim::bits_of(expected), true);
    return false;
  }

  T value_;
};

inline void fence(ordering order, site where = site::current()) {
  sim::point();
  sim::record(sim::step_kind::fence, &order, where);
}

/// Accesses to non-atomic shared data take no step here: the execution is sequentially
/// consistent, and data races are Relacy's and TSan's to find.
class race_marker {
 public:
  void mark_write(site = site::current()) noexcept {}
  void mark_read(site = site::current()) const noexcept {}
};

template <class T>
class plain {
 public:
  constexpr plain() noexcept : value_() {}
  constexpr explicit plain(T initial) noexcept : value_(initial) {}
  T load(site = site::current()) const noexcept { return value_; }
  void store(T value, site = site::current()) noexcept { value_ = value; }

 private:
  T value_;
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
    current->record(sim::step_kind::lock, nullptr, where, 0, false);
  }
  bool try_lock(site where = site::current()) {
    sim::point();
    const bool taken = !locked_;
    if (taken) {
      locked_ = true;
      if (sim::scheduler* current = sim::running()) current->lock_taken();
    }
    sim::record(sim::step_kind::try_lock, nullptr, where, taken ? 1 : 0, true);
    return taken;
  }
  void unlock(site where = site::current()) {
    sim::point();
    locked_ = false;
    if (sim::scheduler* current = sim::running()) {
      current->lock_given_back();
      current->mutex_released(this);
    } else if (sim::scheduler* owner = sim::active()) {
      owner->mutex_released(this);
    }
    sim::record(sim::step_kind::unlock, nullptr, where);
  }

 private:
  bool locked_ = false;
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
  sim::record(sim::step_kind::clock, nullptr, where);
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
    current->record(sim::step_kind::park, nullptr, where, 0, false);
  }
  bool park_until(clock::time_point deadline, site where = site::current()) {
    sim::scheduler* current = sim::running();
    if (current == nullptr) std::abort();
    current->point(false);
    if (!token_ && current->now() < deadline) current->park(this, &deadline, where);
    const bool unparked = token_;
    token_ = false;
    current->record(sim::step_kind::park_until, nullptr, where, unparked ? 1 : 0, true);
    return unparked;
  }
  void unpark(site where = site::current()) {
    sim::point();
    token_ = true;
    if (sim::scheduler* owner = sim::active()) owner->unpark(this);
    sim::record(sim::step_kind::unpark, nullptr, where);
  }

 private:
  bool token_ = false;
};

inline void spin_pause(site where = site::current()) {
  sim::point(true);
  sim::record(sim::step_kind::spin, nullptr, where);
}
inline void yield_now(site where = site::current()) {
  sim::point(true);
  sim::record(sim::step_kind::yield, nullptr, where);
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

inline void* allocate_bytes(std::size_t bytes, std::size_t alignment, site where = site::current()) {
  sim::point();
  void* memory = nullptr;
  if (allocation_hook == nullptr || allocation_hook(bytes)) {
    memory = ::operator new(bytes, std::align_val_t{alignment}, std::nothrow);
    if (memory != nullptr) ++sim::live_allocations();
  }
  sim::record(sim::step_kind::allocate, nullptr, where, bytes, true);
  return memory;
}
inline void deallocate_bytes(void* pointer, std::size_t bytes, std::size_t alignment, site where = site::current()) {
  sim::point();
  --sim::live_allocations();
  ::operator delete(pointer, bytes, std::align_val_t{alignment});
  sim::record(sim::step_kind::deallocate, nullptr, where, bytes, true);
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
  sim::record(sim::step_kind::random, nullptr, where, chosen, true);
  return chosen;
}

}  // namespace rill::detail::sync
