// rill/detail/sync/relacy_backend.hpp - the model-checking backend of the sync layer.
//
// Selected by RILL_SYNC_BACKEND_RELACY. Every operation is forwarded to Relacy (Debian's
// relacy-dev) together with the caller's std::source_location, so a counterexample history names
// the production file and line of each step.
//
// Facts this header encodes (each cost time to find):
//   * relacy_std.hpp does not compile against libstdc++ 12; relacy/relacy.hpp does, but it
//     defines macros (new, delete, malloc, free, assert, memory_order_*) that break ordinary C++.
//     They are undefined again below; rill never needs them, because it calls rl:: directly.
//   * Relacy threads are fibers on one OS thread: C++ thread_local is shared between them, so
//     thread identity comes from rl::thread_index().
//   * Spin loops must yield to Relacy's scheduler (rl::yield) or bounded search reports a
//     livelock; backoff limits are tiny so that blocking operations park soon.
//   * A timed wait times out whenever the scheduler chooses. Time is virtual: now() reads a
//     counter that a timed-out park advances to its deadline, so no real clock leaks in.
//   * Relacy objects (atomics, vars, mutexes) must be created inside the simulation.
//   * Relacy renames pthreads' types with macros, so standard headers that use them
//     (<shared_mutex>, and <memory_resource> through it) must be included before it.
// Build flags (verify/relacy/CMakeLists.txt): -O1 -fno-sized-deallocation, and on g++
// -fno-lifetime-dse, without which use of a destroyed Relacy object goes unseen at -O1.
#pragma once

// Standard headers that use pthreads' types must come before Relacy, which renames them with
// macros (pthread_rwlock_t and others): <memory_resource> (rill::selector's arena) includes
// <shared_mutex>, which then no longer compiles.
#include <memory_resource>
#include <shared_mutex>

#include <relacy/relacy.hpp>

#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef assert
#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <string_view>
#include <type_traits>

#include "rill/detail/sync/ordering_site.hpp"

namespace rill::detail::sync {

using site = std::source_location;

inline rl::debug_info debug_info_of(const site& where) noexcept {
  return rl::debug_info(where.function_name(), where.file_name(), where.line());
}

constexpr rl::memory_order relacy_order(std::memory_order order) noexcept {
  switch (order) {
    case std::memory_order_relaxed: return rl::mo_relaxed;
    case std::memory_order_consume: return rl::mo_consume;
    case std::memory_order_acquire: return rl::mo_acquire;
    case std::memory_order_release: return rl::mo_release;
    case std::memory_order_acq_rel: return rl::mo_acq_rel;
    default: return rl::mo_seq_cst;
  }
}

/// The mutant of this run: at most one named ordering site weakened to another ordering (the
/// mutation bank, verify/mutation/). Set by the scenario harness before any simulation starts;
/// `uses` counts how often the weakened site was executed, so that a mutant no scenario reaches
/// is reported as such and not as "survived".
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

// A weakened site keeps only the half of its ordering that the operation can have: seq_cst
// weakened to acq_rel is acquire on a load and release on a store.
inline rl::memory_order load_order(const ordering& order) noexcept {
  const std::memory_order resolved = resolve(order);
  if (resolved == std::memory_order_acq_rel) return rl::mo_acquire;
  if (resolved == std::memory_order_release) return rl::mo_relaxed;
  return relacy_order(resolved);
}
inline rl::memory_order store_order(const ordering& order) noexcept {
  const std::memory_order resolved = resolve(order);
  if (resolved == std::memory_order_acq_rel) return rl::mo_release;
  if (resolved == std::memory_order_acquire || resolved == std::memory_order_consume) return rl::mo_relaxed;
  return relacy_order(resolved);
}
inline rl::memory_order rmw_order(const ordering& order) noexcept { return relacy_order(resolve(order)); }

template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T>, "rill sync atomic<T> needs a trivially copyable T");

 public:
  atomic() : value_() {}
  explicit atomic(T initial) : value_(initial) {}
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(ordering order, site where = site::current()) const {
    return value_.load(load_order(order), debug_info_of(where));
  }
  void store(T desired, ordering order, site where = site::current()) {
    value_.store(desired, store_order(order), debug_info_of(where));
  }
  T exchange(T desired, ordering order, site where = site::current()) {
    return value_.exchange(desired, rmw_order(order), debug_info_of(where));
  }
  bool compare_exchange_weak(T& expected, T desired, ordering success, ordering failure, site where = site::current()) {
    const auto info = debug_info_of(where);
    return value_.compare_exchange_weak(expected, desired, rmw_order(success), info, load_order(failure), info);
  }
  bool compare_exchange_strong(T& expected, T desired, ordering success, ordering failure,
                               site where = site::current()) {
    const auto info = debug_info_of(where);
    return value_.compare_exchange_strong(expected, desired, rmw_order(success), info, load_order(failure), info);
  }
  T fetch_add(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return value_.fetch_add(operand, rmw_order(order), debug_info_of(where));
  }
  T fetch_sub(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return value_.fetch_sub(operand, rmw_order(order), debug_info_of(where));
  }
  T fetch_or(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return value_.fetch_or(operand, rmw_order(order), debug_info_of(where));
  }
  T fetch_and(T operand, ordering order, site where = site::current())
    requires std::is_integral_v<T>
  {
    return value_.fetch_and(operand, rmw_order(order), debug_info_of(where));
  }

 private:
  mutable rl::atomic<T> value_;
};

inline void fence(ordering order, site where = site::current()) {
  rl::atomic_thread_fence(rmw_order(order), debug_info_of(where));
}

/// Under Relacy a plain variable: a write or read mark is a non-atomic access that Relacy checks
/// for data races against every other mark on the same object.
class race_marker {
 public:
  race_marker() : marker_(0) {}
  // Ending the marked object's lifetime is a write too: a block freed, or a packet's frame left,
  // while another thread's access to it is not ordered before, is reported as a data race.
  race_marker(const race_marker&) = delete;
  race_marker& operator=(const race_marker&) = delete;
  ~race_marker() { marker_(debug_info_of(site::current())) = 0; }
  void mark_write(site where = site::current()) { marker_(debug_info_of(where)) = 0; }
  void mark_read(site where = site::current()) const { (void)static_cast<int>(marker_(debug_info_of(where))); }

 private:
  rl::var<int> marker_;
};

template <class T>
class plain {
 public:
  plain() : value_(T()) {}
  explicit plain(T initial) : value_(initial) {}
  T load(site where = site::current()) const { return static_cast<T>(value_(debug_info_of(where))); }
  void store(T value, site where = site::current()) { value_(debug_info_of(where)) = value; }

 private:
  rl::var<T> value_;
};

class mutex {
 public:
  void lock(site where = site::current()) { mutex_.lock(debug_info_of(where)); }
  bool try_lock(site where = site::current()) { return mutex_.try_lock(debug_info_of(where)); }
  void unlock(site where = site::current()) { mutex_.unlock(debug_info_of(where)); }

 private:
  friend class parker;
  rl::mutex mutex_;
};

/// Virtual time. Starts at the epoch; a timed park that times out moves it to its deadline.
/// Relacy runs all fibers on one OS thread, so a plain variable is enough; the scenario harness
/// calls reset_virtual_time() at the start of each iteration.
struct clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;
};
inline clock::time_point& virtual_now() noexcept {
  static clock::time_point value{};
  return value;
}
inline void reset_virtual_time() noexcept { virtual_now() = clock::time_point{}; }
inline clock::time_point now() noexcept { return virtual_now(); }

class parker {
 public:
  parker() : token_(false) {}
  void park(site where = site::current()) {
    const auto info = debug_info_of(where);
    lock_adapter lock{mutex_};
    mutex_.lock(info);
    while (!static_cast<bool>(token_(info))) condition_.wait(lock, info);
    token_(info) = false;
    mutex_.unlock(info);
  }
  bool park_until(clock::time_point deadline, site where = site::current()) {
    const auto info = debug_info_of(where);
    lock_adapter lock{mutex_};
    mutex_.lock(info);
    bool unparked = static_cast<bool>(token_(info));
    if (!unparked) {
      // Relacy decides whether this wait times out; a spurious wake-up is also possible, and is
      // reported to the caller as "not unparked" only after the deadline has passed.
      const bool notified = condition_.wait_for(lock, 0, info);
      unparked = static_cast<bool>(token_(info));
      if (!unparked && !notified && virtual_now() < deadline) virtual_now() = deadline;
    }
    token_(info) = false;
    mutex_.unlock(info);
    return unparked;
  }
  void unpark(site where = site::current()) {
    const auto info = debug_info_of(where);
    mutex_.lock(info);
    token_(info) = true;
    condition_.notify_one(info);
    mutex_.unlock(info);
  }

 private:
  struct lock_adapter {
    rl::mutex& mutex;
    void lock(rl::debug_info_param info) { mutex.lock(info); }
    void unlock(rl::debug_info_param info) { mutex.unlock(info); }
  };
  rl::mutex mutex_;
  rl::condition_variable condition_;
  rl::var<bool> token_;
};

inline void spin_pause() { rl::yield(1, debug_info_of(site::current())); }
inline void yield_now() { rl::yield(1, debug_info_of(site::current())); }

/// Under Relacy every spin is a yield to the scheduler, so the limits are tiny: a blocking
/// operation parks after its third failed attempt (try, yield, try, yield, try). The
/// verification harness can make it park after the first (--park-at-once): Relacy lets a thread read a stale value only
/// if it has not yielded since it first saw the newer one, so the spin-then-park path, which always yields, hides
/// store-load (Dekker) bugs between a failed attempt and the re-check after registering; parking
/// at once exposes them (the mutation bank needs both).
struct backoff_limits {
  static unsigned& park_steps() noexcept {
    static unsigned value = 2;
    return value;
  }
  static unsigned spin() noexcept { return 0; }
  static unsigned park_after() noexcept { return park_steps(); }
};

using allocation_filter = bool (*)(std::size_t bytes) noexcept;
inline allocation_filter allocation_hook = nullptr;

/// Relacy tracks every allocation (leaks, double frees, use after free). rl_malloc gives
/// malloc's alignment, so larger alignments are made by over-allocating and keeping the
/// original pointer just below the aligned block.
inline void* allocate_bytes(std::size_t bytes, std::size_t alignment, site where = site::current()) {
  if (allocation_hook != nullptr && !allocation_hook(bytes)) return nullptr;
  const std::size_t header = alignment < sizeof(void*) ? sizeof(void*) : alignment;
  void* raw = rl::rl_malloc(bytes + header + alignment, debug_info_of(where));
  auto address = reinterpret_cast<std::uintptr_t>(raw) + header;
  address = (address + alignment - 1) & ~(static_cast<std::uintptr_t>(alignment) - 1);
  reinterpret_cast<void**>(address)[-1] = raw;
  return reinterpret_cast<void*>(address);
}
inline void deallocate_bytes(void* pointer, std::size_t, std::size_t, site where = site::current()) {
  rl::rl_free(static_cast<void**>(pointer)[-1], debug_info_of(where));
}

/// Relacy's threads are fibers of one OS thread (they share its thread_local objects), so the
/// number is Relacy's thread index, distinct for each thread of a simulation.
inline std::uintptr_t thread_identity() { return static_cast<std::uintptr_t>(rl::thread_index()) + 1; }

/// A select's random choice is a choice of the model checker's scheduler: every order is
/// explored, and a failing run replays exactly.
inline std::size_t random_below(std::size_t bound) { return rl::rand(static_cast<unsigned>(bound)); }

}  // namespace rill::detail::sync
