// rill/detail/sync/std_backend.hpp - the production backend of the sync layer.
//
// Thin wrappers over the standard library. The std::source_location parameters exist only so
// that the Relacy backend can report production file:line; here they are unused and cost nothing
// after inlining.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <new>
#include <source_location>
#include <thread>
#include <type_traits>

#include "rill/detail/sync/ordering_site.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace rill::detail::sync {

using site = std::source_location;

template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T>, "rill sync atomic<T> needs a trivially copyable T");

 public:
  constexpr atomic() noexcept : value_() {}
  constexpr explicit atomic(T initial) noexcept : value_(initial) {}
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(ordering order, site = site::current()) const noexcept { return value_.load(order.normal); }
  void store(T desired, ordering order, site = site::current()) noexcept { value_.store(desired, order.normal); }
  T exchange(T desired, ordering order, site = site::current()) noexcept {
    return value_.exchange(desired, order.normal);
  }
  bool compare_exchange_weak(T& expected, T desired, ordering success, ordering failure,
                             site = site::current()) noexcept {
    return value_.compare_exchange_weak(expected, desired, success.normal, failure.normal);
  }
  bool compare_exchange_strong(T& expected, T desired, ordering success, ordering failure,
                               site = site::current()) noexcept {
    return value_.compare_exchange_strong(expected, desired, success.normal, failure.normal);
  }
  T fetch_add(T operand, ordering order, site = site::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value_.fetch_add(operand, order.normal);
  }
  T fetch_sub(T operand, ordering order, site = site::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value_.fetch_sub(operand, order.normal);
  }
  T fetch_or(T operand, ordering order, site = site::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value_.fetch_or(operand, order.normal);
  }
  T fetch_and(T operand, ordering order, site = site::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value_.fetch_and(operand, order.normal);
  }

 private:
  std::atomic<T> value_;
};

// ThreadSanitizer and fences. TSan builds its happens-before graph from atomic operations and
// does not model standalone fences (g++ says so with -Wtsan, an error under -Werror). The fence
// still runs (it is the same instruction as in production); TSan only leaves it out of its graph.
// That loses no edge TSan needs: rill's fences (array.full_fence, array.empty_fence,
// list.empty_fence) sit between two loads, for the store-load half of the full and empty checks,
// and no message data is read on the strength of them. The data edges all come from
// release/acquire pairs on the stamps and block bits, which TSan does see. So the warning is
// silenced here, and only here.
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
inline void fence(ordering order, site = site::current()) noexcept { std::atomic_thread_fence(order.normal); }
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Marks accesses to non-atomic shared data. Empty in production.
class race_marker {
 public:
  void mark_write(site = site::current()) noexcept {}
  void mark_read(site = site::current()) const noexcept {}
};

/// A non-atomic shared variable. Production: the value itself.
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

inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// The channel mutex (a sync_waker's list, a rendezvous channel's pairing): std::mutex, with a
/// short spin before blocking. Every critical section under it is a few list operations, so a
/// thread that finds it taken usually gets it a few hundred nanoseconds later; blocking at once
/// (a futex wait and a wake-up, microseconds each, and a context switch) was what made rill's
/// selection over capacity-1 channels from 8 threads (bounded1_select_both) take twice
/// crossbeam's time, whose waker lock is a spinlock (docs/performance.md, "Locks"). The spin is
/// bounded: spin_tries attempts, spin_pauses pause instructions apart (about 1.5 microseconds in
/// all on the machine of docs/performance.md), then std::mutex::lock, which blocks.
class mutex {
 public:
  static constexpr unsigned spin_tries = 16;
  static constexpr unsigned spin_pauses = 4;

  void lock(site = site::current()) {
    if (mutex_.try_lock()) return;
    for (unsigned attempt = 0; attempt < spin_tries; ++attempt) {
      for (unsigned pause = 0; pause < spin_pauses; ++pause) spin_pause();
      if (mutex_.try_lock()) return;
    }
    mutex_.lock();
  }
  bool try_lock(site = site::current()) { return mutex_.try_lock(); }
  void unlock(site = site::current()) { mutex_.unlock(); }

 private:
  std::mutex mutex_;
};

using clock = std::chrono::steady_clock;
inline clock::time_point now() noexcept { return clock::now(); }

/// Parks one thread until it is unparked or a deadline passes.
///
/// The unpark token is sticky: an unpark() that arrives before park() makes the next park()
/// return at once, so a waker never has to know whether the sleeper has gone to sleep yet.
/// unpark() sets the token and notifies while holding the mutex, so once it returns it touches
/// the parker no more and the parked thread may destroy it (the parker lives in a stack frame).
class parker {
 public:
  void park(site = site::current()) {
    std::unique_lock lock(mutex_);
    condition_.wait(lock, [this] { return token_; });
    token_ = false;
  }
  /// Returns true if unparked, false if the deadline passed first.
  bool park_until(clock::time_point deadline, site = site::current()) {
    std::unique_lock lock(mutex_);
    const bool unparked = condition_.wait_until(lock, deadline, [this] { return token_; });
    token_ = false;
    return unparked;
  }
  void unpark(site = site::current()) {
    std::lock_guard lock(mutex_);
    token_ = true;
    condition_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable condition_;
  bool token_ = false;
};

inline void yield_now() noexcept { std::this_thread::yield(); }

/// How long sync::backoff spins before it yields, and after how many steps a blocking operation
/// stops spinning and parks: up to 2^6 pause instructions a step for the first 7 steps, then
/// yields, parking from step 11 on (about 1-10 microseconds of spinning on this class of machine).
struct backoff_limits {
  static constexpr unsigned spin() noexcept { return 6; }
  static constexpr unsigned park_after() noexcept { return 11; }
};

/// Test hook for allocation failure (fault injection): when set, it is asked before every
/// allocation and a `false` answer makes the allocation fail as if memory were exhausted.
using allocation_filter = bool (*)(std::size_t bytes) noexcept;
inline std::atomic<allocation_filter> allocation_hook{nullptr};

/// Large allocations: from this size on (in practice only a bounded channel's ring, from a
/// capacity of about 116 Ki messages of 8 bytes), allocate_bytes rounds the size up to whole
/// 2 MiB pages, aligns the block to 2 MiB and asks the kernel for transparent huge pages
/// (madvise MADV_HUGEPAGE). A ring is written whole when it is made (every slot's stamp), so each
/// 4 KiB page of it would otherwise be faulted in on its own: 512 faults per 2 MiB where one will
/// do. docs/performance.md (Memory, the page faults) has the measurement: one thread filling
/// and draining a ring of 5,000,000 slots took 22,089 page faults before and 161 after. The
/// advice changes nothing where the kernel backs every mapping with huge pages anyway
/// (transparent_hugepage=always), is ignored where they are off (=never), and costs no memory:
/// the whole ring is touched when it is made, so it is resident either way.
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

/// The bytes and alignment a request is served with: itself, or whole huge pages (above).
struct allocation_shape {
  std::size_t bytes;
  std::size_t alignment;
};
inline allocation_shape shape_of_allocation(std::size_t bytes, std::size_t alignment) noexcept {
  if (bytes < huge_page_bytes || bytes > std::numeric_limits<std::size_t>::max() - huge_page_bytes) {
    return {bytes, alignment};  // small, or too large to round up (such a request fails anyway)
  }
  return {(bytes + huge_page_bytes - 1) & ~(huge_page_bytes - 1),
          alignment > huge_page_bytes ? alignment : huge_page_bytes};
}

/// Allocates `bytes` aligned to `alignment`; nullptr when memory is exhausted (or the hook says
/// so). Never throws. Large requests are served in huge pages (huge_page_bytes, above).
inline void* allocate_bytes(std::size_t bytes, std::size_t alignment, site = site::current()) noexcept {
  if (auto filter = allocation_hook.load(std::memory_order_acquire); filter != nullptr && !filter(bytes)) {
    return nullptr;
  }
  const allocation_shape shape = shape_of_allocation(bytes, alignment);
  void* memory = ::operator new(shape.bytes, std::align_val_t{shape.alignment}, std::nothrow);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advice only: if the kernel refuses it (huge pages disabled), the block is ordinary memory.
  if (memory != nullptr && shape.bytes != bytes) ::madvise(memory, shape.bytes, MADV_HUGEPAGE);
#endif
  return memory;
}
inline void deallocate_bytes(void* pointer, std::size_t bytes, std::size_t alignment, site = site::current()) noexcept {
  const allocation_shape shape = shape_of_allocation(bytes, alignment);
  ::operator delete(pointer, shape.bytes, std::align_val_t{shape.alignment});
}

/// A number naming the calling thread, different from that of every other running thread by
/// construction: the address of a thread_local object, of which each thread has its own. (A hash
/// of std::thread::id is not: two ids may hash alike.) A thread that has ended may leave its
/// number to a thread started later; rill compares the numbers of threads that are both inside a
/// channel operation, so both are running.
inline std::uintptr_t thread_identity() noexcept {
  thread_local const char anchor = 0;
  return reinterpret_cast<std::uintptr_t>(&anchor);
}

/// A uniformly distributed integer in [0, bound), bound >= 1: the random choices of an unbiased
/// select (SPEC R31). Go once shipped an unfair select because its random source was weak (KB18),
/// so this is SplitMix64 (Steele, Lea and Flood; passes BigCrush) over a per-thread state, with
/// Lemire's multiply-and-reject reduction, which has no modulo bias. Each thread's state starts
/// from a distinct odd multiple of the golden-ratio increment, mixed with the clock, so two
/// threads never walk the same sequence.
inline std::uint64_t random_u64() noexcept {
  static std::atomic<std::uint64_t> streams{0};
  thread_local std::uint64_t state =
      (streams.fetch_add(1, std::memory_order_relaxed) * 2 + 1) * 0x9E3779B97F4A7C15ull ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::uint64_t mixed = (state += 0x9E3779B97F4A7C15ull);
  mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ull;
  mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBull;
  return mixed ^ (mixed >> 31);
}
inline std::size_t random_below(std::size_t bound) noexcept {
  // Lemire, "Fast random integer generation in an interval" (2019): the high word of a 128-bit
  // product, rejecting the few low words that would make some results more likely.
  __extension__ using wide = unsigned __int128;  // a GCC and Clang extension on 64-bit targets
  const std::uint64_t range = bound;
  wide product = static_cast<wide>(random_u64()) * range;
  auto low = static_cast<std::uint64_t>(product);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      product = static_cast<wide>(random_u64()) * range;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::size_t>(product >> 64);
}

}  // namespace rill::detail::sync
