// rill/detail/shared_state.hpp - the heap object every handle of one channel points to.
//
// Design
// ------
// It holds the flavor (array, list or zero) and two handle counts. Copying a handle increments
// its side's count; releasing one decrements it. The release that takes a side to zero
// disconnects the channel (the last receiver also destroys what is buffered, SPEC R11), then
// sets `destroy`; whichever side sets it second frees the whole object, so the last sender and
// the last receiver released at the same instant free it exactly once (R25, KB10).
//
// Progress: acquire and release are wait-free apart from what disconnect() does (waking the
// blocked, destroying buffered messages).
//
// Synchronisation edges
//   (K1) relaxed increment: a handle is copied from a live handle of the same side, which keeps
//        the count above zero; nothing is published by copying.
//   (K2) acq_rel decrement: release publishes everything this handle's thread did with the
//        channel; the acquire half lets the last releaser see all of it before it disconnects,
//        so the disconnect's release (and R16's happens-before) covers every handle, not only
//        the last one.
//   (K3) acq_rel exchange of `destroy`: the first side's release pairs with the second side's
//        acquire, so the freeing thread sees everything the other side did.
#pragma once

#include "rill/detail/sync/sync.hpp"

#include <cstddef>
#include <new>
#include <utility>

namespace rill::detail {

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace shared_order {
inline constexpr sync::ordering count_up = sync::ordering_site("shared.count_up", std::memory_order_relaxed);  // (K1)
inline constexpr sync::ordering count_down = sync::ordering_site("shared.count_down", std::memory_order_acq_rel);  // (K2)
inline constexpr sync::ordering destroy = sync::ordering_site("shared.destroy", std::memory_order_acq_rel);  // (K3)
// (K4) relaxed: the counts reported by sender_count()/receiver_count() are a snapshot for the
//      caller's information; nothing is synchronised through them.
inline constexpr sync::ordering count_read = sync::ordering_site("shared.count_read", std::memory_order_relaxed);  // (K4)
}  // namespace shared_order
// clang-format on

template <class Flavor>
class shared_state {
 public:
  /// Allocates the state through the sync layer; throws std::bad_alloc if that fails.
  template <class... Arguments>
  static shared_state* create(Arguments&&... arguments) {
    return allocate(1, 1, false, std::forward<Arguments>(arguments)...);
  }

  /// A channel that has receivers only (timers, never<T>): there is no sender side to release,
  /// so the last receiver's release frees it.
  template <class... Arguments>
  static shared_state* create_receiver_only(Arguments&&... arguments) {
    return allocate(0, 1, true, std::forward<Arguments>(arguments)...);
  }

  /// A channel that has senders only (never_sender<T>): the last sender's release frees it.
  template <class... Arguments>
  static shared_state* create_sender_only(Arguments&&... arguments) {
    return allocate(1, 0, true, std::forward<Arguments>(arguments)...);
  }

  Flavor& channel() noexcept { return channel_; }

  void acquire_sender() { senders_.fetch_add(1, shared_order::count_up); }
  void acquire_receiver() { receivers_.fetch_add(1, shared_order::count_up); }

  void release_sender() {
    if (senders_.fetch_sub(1, shared_order::count_down) == 1) {
      channel_.disconnect();
      free_if_other_side_gone();
    }
  }

  void release_receiver() {
    if (receivers_.fetch_sub(1, shared_order::count_down) == 1) {
      channel_.disconnect_receivers();
      free_if_other_side_gone();
    }
  }

  [[nodiscard]] std::size_t sender_count() const { return senders_.load(shared_order::count_read); }
  [[nodiscard]] std::size_t receiver_count() const { return receivers_.load(shared_order::count_read); }

 private:
  template <class... Arguments>
  static shared_state* allocate(std::size_t senders, std::size_t receivers, bool one_side_gone,
                                Arguments&&... arguments) {
    void* memory = sync::allocate_bytes(sizeof(shared_state), alignof(shared_state));
    if (memory == nullptr) throw std::bad_alloc();
    try {
      return ::new (memory) shared_state(senders, receivers, one_side_gone, std::forward<Arguments>(arguments)...);
    } catch (...) {
      sync::deallocate_bytes(memory, sizeof(shared_state), alignof(shared_state));
      throw;
    }
  }

  template <class... Arguments>
  explicit shared_state(std::size_t senders, std::size_t receivers, bool one_side_gone, Arguments&&... arguments)
      : senders_(senders),
        receivers_(receivers),
        destroy_(one_side_gone),
        channel_(std::forward<Arguments>(arguments)...) {}

  void free_if_other_side_gone() {
    if (destroy_.exchange(true, shared_order::destroy)) {
      this->~shared_state();
      sync::deallocate_bytes(this, sizeof(shared_state), alignof(shared_state));
    }
  }

  sync::atomic<std::size_t> senders_;
  sync::atomic<std::size_t> receivers_;
  sync::atomic<bool> destroy_;
  Flavor channel_;
};

}  // namespace rill::detail
