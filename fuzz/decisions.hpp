// fuzz/decisions.hpp - where a simulated execution's choices come from.
//
// byte_decisions answers the scheduler (sim_backend.hpp's decision_source) from the schedule part
// of a fuzz input:
//
//   * who runs: when the running thread may go on and its run length is not used up, it goes on
//     without reading anything. Otherwise two bytes are read: a thread byte (its value modulo the
//     number of runnable threads, plus one if the clock may jump, picks a runnable thread in
//     ascending id order, or the clock jump) and a run length (that many further scheduling
//     points the chosen thread keeps running, if it can). A thread that spins or yields always
//     ends its run, so a spinning thread never holds the processor by default.
//   * a value (random_below, a spurious compare-exchange failure): one byte, modulo the bound.
//
// Once the bytes run out, the defaults are fixed and fair: the running thread goes on while it
// can; when it blocks, finishes, spins or yields, the next runnable thread in id order runs; a
// value is 0. So every input terminates (a livelock excepted, which the scheduler's step budget
// reports), and short inputs mean few preemptions.
//
// splitmix is the campaign mode's generator (fuzz/generator.hpp makes whole inputs from a seed)
// and PCT's.
#pragma once

#include "rill/detail/sync/sync.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rill::fuzz {

class byte_decisions final : public detail::sync::sim::decision_source {
 public:
  explicit byte_decisions(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t choose_thread(std::span<const unsigned> runnable, unsigned current, bool yielded,
                            bool can_jump_time) override {
    std::size_t mine = runnable.size();
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      if (runnable[i] == current) mine = i;
    }
    const bool may_go_on = !yielded && mine < runnable.size();
    if (may_go_on && remaining_ > 0) {
      --remaining_;
      return mine;
    }
    if (position_ + 2 <= bytes_.size()) {
      const std::uint8_t thread = bytes_[position_++];
      remaining_ = bytes_[position_++];
      return thread % (runnable.size() + (can_jump_time ? 1 : 0));
    }
    exhausted_ = true;
    if (may_go_on) return mine;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      if (current == detail::sync::sim::no_thread || runnable[i] > current) return i;
    }
    return 0;
  }

  std::size_t choose_value(std::size_t bound) override {
    if (position_ < bytes_.size()) return bytes_[position_++] % bound;
    exhausted_ = true;
    return 0;
  }

  [[nodiscard]] bool exhausted() const noexcept { return exhausted_; }
  [[nodiscard]] std::size_t consumed() const noexcept { return position_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
  unsigned remaining_ = 0;
  bool exhausted_ = false;
};

/// SplitMix64: a small, well-mixed generator for the campaign mode.
class splitmix {
 public:
  explicit splitmix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t mixed = (state_ += 0x9E3779B97F4A7C15ull);
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ull;
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBull;
    return mixed ^ (mixed >> 31);
  }
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  std::uint64_t state_;
};

/// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): every thread gets a random
/// distinct priority, d - 1 change points are drawn among the first `steps` scheduling points,
/// and the highest-priority runnable thread always runs; at change point i the running thread's
/// priority drops to i, below every initial priority. A bug that needs d ordering constraints is
/// found with probability at least 1 / (n k^(d-1)) per run (n threads, k steps).
///
/// Two departures, both for liveness: a thread that spins or yields drops below every other
/// thread (otherwise a spinning thread of top priority would run for ever, as in Coyote's fair
/// variant), and the clock jump is a pseudo-thread with a priority of its own, so timeouts race
/// with operations as under the uniform schedule. Values (a select's random order, a spurious
/// failure, which store a weak load reads) are uniform.
///
/// Every answer is recorded in the byte format of byte_decisions (a thread choice as the pair
/// (index, run length 0), a value as one byte), so a failing PCT run is saved as an ordinary
/// input and replays without PCT.
class pct_decisions final : public detail::sync::sim::decision_source {
 public:
  pct_decisions(std::uint64_t seed, unsigned depth, std::uint64_t steps) : random_(seed) {
    // Initial priorities depth .. depth + slots - 1, in random order (slot `slots - 1` is the clock jump).
    for (std::size_t i = 0; i < slots; ++i) priority_[i] = static_cast<long>(depth + i);
    for (std::size_t i = slots - 1; i > 0; --i) std::swap(priority_[i], priority_[random_.below(i + 1)]);
    for (unsigned i = 1; i < depth; ++i) change_points_.push_back(1 + random_.below(std::max<std::uint64_t>(steps, 1)));
  }

  std::size_t choose_thread(std::span<const unsigned> runnable, unsigned current, bool yielded,
                            bool can_jump_time) override {
    ++step_;
    if (current < slots - 1) {
      for (std::size_t i = 0; i < change_points_.size(); ++i) {
        if (change_points_[i] == step_) priority_[current] = static_cast<long>(change_points_.size() - i);
      }
      if (yielded) priority_[current] = --lowest_;
    }
    std::size_t best = 0;
    long best_priority = 0;
    bool found = false;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      const long mine = runnable[i] < slots - 1 ? priority_[runnable[i]] : 0;
      if (!found || mine > best_priority) {
        best = i;
        best_priority = mine;
        found = true;
      }
    }
    if (can_jump_time && priority_[slots - 1] > best_priority) {
      best = runnable.size();
      priority_[slots - 1] = --lowest_;  // one jump, then threads run again before the next
    }
    schedule_.push_back(static_cast<std::uint8_t>(best));
    schedule_.push_back(0);
    return best;
  }

  std::size_t choose_value(std::size_t bound) override {
    const auto chosen = static_cast<std::size_t>(random_.below(bound));
    schedule_.push_back(static_cast<std::uint8_t>(chosen));
    return chosen;
  }

  /// The answers so far, as the schedule part of an input.
  [[nodiscard]] const std::vector<std::uint8_t>& schedule() const noexcept { return schedule_; }

 private:
  static constexpr std::size_t slots = 9;  // 8 threads and the clock jump
  splitmix random_;
  std::array<long, slots> priority_{};
  std::vector<std::uint64_t> change_points_;
  std::uint64_t step_ = 0;
  long lowest_ = 0;
  std::vector<std::uint8_t> schedule_;
};

}  // namespace rill::fuzz
