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
// random_input() makes a whole input from a seed: the campaign mode of fuzz/replay, which needs
// no fuzzing engine and finds, per execution, what uniform random testing finds.
#pragma once

#include "rill/detail/sync/sync.hpp"

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

/// A whole input from a seed: a random program and a random schedule whose run lengths are
/// mostly short (many preemptions) and sometimes long.
inline std::vector<std::uint8_t> random_input(std::uint64_t seed) {
  splitmix random(seed);
  std::vector<std::uint8_t> input;
  const std::size_t program_length = 8 + random.below(120);
  input.push_back(static_cast<std::uint8_t>(program_length));
  for (std::size_t i = 0; i < program_length; ++i) input.push_back(static_cast<std::uint8_t>(random.next()));
  const std::size_t pairs = random.below(400);
  for (std::size_t i = 0; i < pairs; ++i) {
    input.push_back(static_cast<std::uint8_t>(random.next()));
    const std::uint64_t shape = random.below(4);
    const std::uint64_t length = shape < 2 ? random.below(4) : shape == 2 ? random.below(32) : random.below(256);
    input.push_back(static_cast<std::uint8_t>(length));
  }
  return input;
}

}  // namespace rill::fuzz
