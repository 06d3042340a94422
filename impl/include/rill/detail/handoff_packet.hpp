// rill/detail/handoff_packet.hpp - the meeting point of one rendezvous hand-off.
//
// A rendezvous channel (zero_flavor.hpp) buffers nothing: a thread that has to wait for a
// partner registers a waiter (waker.hpp) that points to a packet it owns, and the partner that
// selects that waiter completes the hand-off through the packet after releasing the channel
// mutex. The packet is untyped, so that a select can hold one per operation whatever the
// operation's message type; zero_flavor<T> knows the types behind the two pointers.
//
//   message  a waiting sender's own argument (T*); nullptr for a waiting *select* sender, whose
//            message does not exist until its selected operation is completed (SPEC R33).
//   result   a waiting receiver's result (recv_result<T>*; for a select receiver, the
//            operation's result storage).
//   partner  for a waiting select sender: the packet of the receiver that paired with it,
//            stored by that receiver under the channel mutex. The receiver waits on its *own*
//            packet, never on the sender's: the select sender finishes the hand-off when its
//            user completes the operation and may free its packet (a rill::selector's entry)
//            at once, so a receiver still reading the sender's packet would read freed memory
//            (a bug found by the benchmark's select_both workload before it was released).
//   state    pending until the partner has finished (done) or has given the pairing up
//            (declined: a selected operation abandoned without completion, SPEC R34).
//
// The rule that makes every packet safe to free: only its owner waits on it, and the partner's
// last access is the (Z2) store. Exactly two threads touch a packet after registration, the
// owner and the partner, and the only synchronisation between them is `state`:
//   (Z2) release: the partner is done with the packet (the message has been moved into the
//        waiting receiver's result or out of the waiting sender's argument), or declines.
//   (Z3) acquire: synchronises-with (Z2); after it the owner uses its message or result again,
//        and may leave the frame that holds the packet.
//   (Z4) relaxed: resetting the packet before registration; the registration happens under the
//        channel mutex, and the partner finds the packet only through that list, so the mutex
//        orders the reset before every use by the partner.
#pragma once

#include "rill/detail/sync/sync.hpp"

namespace rill::detail {

namespace handoff_order {
inline constexpr sync::ordering done = sync::ordering_site("zero.handoff_done", std::memory_order_release);  // (Z2)
inline constexpr sync::ordering observe = sync::ordering_site("zero.handoff_observe", std::memory_order_acquire);  // (Z3)
inline constexpr sync::ordering reset = sync::ordering_site("zero.handoff_reset", std::memory_order_relaxed);  // (Z4)
}  // namespace handoff_order

struct handoff_packet {
  enum status : int { pending = 0, done = 1, declined = 2 };

  handoff_packet() = default;
  handoff_packet(const handoff_packet&) = delete;
  handoff_packet& operator=(const handoff_packet&) = delete;

  void* message = nullptr;
  void* result = nullptr;
  handoff_packet* partner = nullptr;
  sync::atomic<int> state{pending};
  sync::race_marker marker;

  void reset(void* sender_message, void* receiver_result) {
    message = sender_message;
    result = receiver_result;
    partner = nullptr;
    state.store(pending, handoff_order::reset);  // (Z4)
  }

  /// The owner waits for the partner to finish; true if it completed the hand-off, false if it
  /// declined. A bounded number of the partner's instructions, unless the partner is a select
  /// whose user has not completed the selected operation yet (SPEC R33).
  bool wait() {
    sync::backoff backoff;
    int current = pending;
    while ((current = state.load(handoff_order::observe)) == pending) backoff.snooze();  // (Z3)
    marker.mark_write();  // the owner uses its message or result again from here on
    return current == done;
  }

  /// The partner is finished with the packet.
  void finish(status outcome) { state.store(outcome, handoff_order::done); }  // (Z2)
};

}  // namespace rill::detail
