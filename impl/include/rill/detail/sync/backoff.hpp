// rill/detail/sync/backoff.hpp - exponential backoff for spin loops.
//
// Two kinds of waiting appear in channel code:
//   * spin():   a compare-exchange lost to another thread; retry almost at once, a few pause
//               instructions longer each time.
//   * snooze(): waiting for another thread to finish a step it has already started (a sender
//               that reserved a slot and is writing it); spin at first, then yield the CPU.
// is_completed() tells a blocking operation that spinning has stopped paying off and it should
// park instead. The limits come from the backend: under Relacy every spin is a yield to the model
// checker's scheduler and the limits are tiny, so that spin loops are not reported as livelocks.
#pragma once

namespace rill::detail::sync {

class backoff {
 public:
  /// Spins 2^step pause instructions (capped); for retrying a lost compare-exchange.
  void spin() noexcept {
    const unsigned step = step_ < backoff_limits::spin() ? step_ : backoff_limits::spin();
    for (unsigned i = 0; i < (1u << step); ++i) spin_pause();
    if (step_ <= backoff_limits::spin()) ++step_;
  }

  /// Spins while the step is small, then yields; for waiting on another thread's progress.
  void snooze() noexcept {
    if (step_ <= backoff_limits::spin()) {
      for (unsigned i = 0; i < (1u << step_); ++i) spin_pause();
    } else {
      yield_now();
    }
    if (step_ < backoff_limits::park_after()) ++step_;
  }

  /// True once snoozing has gone on long enough that parking the thread is cheaper.
  [[nodiscard]] bool is_completed() const noexcept { return step_ >= backoff_limits::park_after(); }

 private:
  unsigned step_ = 0;
};

}  // namespace rill::detail::sync
