// verify/relacy/model_support.hpp - helpers shared by the channel scenarios.
#pragma once

#include "harness.hpp"

#include <rill/rill.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace rill::verify {

/// A message that owns memory allocated through the sync layer, so Relacy tracks it: a message
/// lost without destruction is reported as a leak, one destroyed twice as a double free, and a
/// read of a destroyed message as an access to freed memory.
class owned_message {
 public:
  explicit owned_message(int value) : box_(static_cast<int*>(detail::sync::allocate_bytes(sizeof(int), alignof(int)))) {
    *box_ = value;
  }
  owned_message(owned_message&& other) noexcept : box_(std::exchange(other.box_, nullptr)) {}
  owned_message& operator=(owned_message&&) = delete;
  ~owned_message() {
    if (box_ != nullptr) detail::sync::deallocate_bytes(box_, sizeof(int), alignof(int));
  }
  [[nodiscard]] int value() const { return *box_; }

 private:
  int* box_;
};

/// The channel kind of a scenario: a capacity, or unbounded_capacity.
inline constexpr int unbounded_capacity = -1;

template <class T, int Capacity>
std::pair<sender<T>, receiver<T>> make_channel() {
  if constexpr (Capacity == unbounded_capacity) {
    return unbounded<T>();
  } else {
    return bounded<T>(static_cast<std::size_t>(Capacity));
  }
}

/// Spins until `flag` is set, yielding to Relacy's scheduler on every turn.
inline void await(const detail::sync::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire)) detail::sync::yield_now();
}

}  // namespace rill::verify
