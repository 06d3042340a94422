// rill/detail/sync/lock.hpp - scoped locking of a sync::mutex that names the caller's line.
//
// std::lock_guard and std::unique_lock would work with sync::mutex (it has lock() and unlock()),
// but then every lock and unlock step of a Relacy or sim trace would be reported at the line in
// <mutex> that calls it, the same line for every lock of the library. These guards pass the line
// of the channel code that made them (and, for unique_lock, of each later lock() and unlock())
// down to the backend, so a trace reads "zero_flavor.hpp(171) lock" instead. Channel code uses
// these; `ctest -L lint` rejects the std guards outside this directory.
#pragma once

#include <source_location>

namespace rill::detail::sync {

/// Holds `m` for its scope, as std::lock_guard.
template <class Mutex>
class [[nodiscard]] basic_lock_guard {
 public:
  explicit basic_lock_guard(Mutex& m, std::source_location where = std::source_location::current())
      : mutex_(m), where_(where) {
    mutex_.lock(where_);
  }
  ~basic_lock_guard() { mutex_.unlock(where_); }
  basic_lock_guard(const basic_lock_guard&) = delete;
  basic_lock_guard& operator=(const basic_lock_guard&) = delete;

 private:
  Mutex& mutex_;
  std::source_location where_;
};

/// Holds `m` from construction; may release it and take it again before its scope ends (the
/// rendezvous flavor releases the channel lock before it moves a message), as std::unique_lock.
/// Each step names its own caller; the destructor's unlock, if still held, names the last lock.
template <class Mutex>
class [[nodiscard]] basic_unique_lock {
 public:
  explicit basic_unique_lock(Mutex& m, std::source_location where = std::source_location::current())
      : mutex_(m), where_(where) {
    mutex_.lock(where_);
    owns_ = true;
  }
  ~basic_unique_lock() {
    if (owns_) mutex_.unlock(where_);
  }
  basic_unique_lock(const basic_unique_lock&) = delete;
  basic_unique_lock& operator=(const basic_unique_lock&) = delete;

  void lock(std::source_location where = std::source_location::current()) {
    mutex_.lock(where);
    where_ = where;
    owns_ = true;
  }
  void unlock(std::source_location where = std::source_location::current()) {
    owns_ = false;
    mutex_.unlock(where);
  }
  [[nodiscard]] bool owns_lock() const noexcept { return owns_; }

 private:
  Mutex& mutex_;
  std::source_location where_;
  bool owns_ = false;
};

using lock_guard = basic_lock_guard<mutex>;
using unique_lock = basic_unique_lock<mutex>;

}  // namespace rill::detail::sync
