// rill/detail/handoff_packet.hpp - the meeting point of one rendezvous hand-off.
//
// A rendezvous channel (zero_flavor.hpp) buffers nothing: a thread that has to wait for a
// partner points to a packet it owns, and the partner that selects it completes the hand-off
// through the packet after releasing the channel mutex. The packet is untyped, so that a select
// can hold one per operation whatever the operation's message type; zero_flavor<T> knows the
// types behind the pointers.
//
//   message  a waiting sender's own argument (T*); nullptr for a waiting *select* sender, whose
//            message does not exist until its selected operation is completed (SPEC R33).
//   result   a waiting receiver's result (recv_result<T>*; for a select receiver, the
//            operation's result storage).
//   owner    the context (context.hpp) of the thread that waits on this packet: its parker is
//            what the partner unparks.
//   partner  for a waiting select sender: the packet of the receiver that paired with it,
//            stored by that receiver under the channel mutex, and set back to nullptr (under
//            the mutex) if that receiver gives the pairing up before the sender has accepted.
//   link     for a receiver paired with a select sender: the address of the sender's word that
//            holds this packet's address (the sender's `partner`, then, once it has accepted,
//            its select token). nullptr for any other partner, and once the select sender has
//            claimed the hand-off. Under the channel mutex.
//   state    see below.
//
// Who waits on what
// -----------------
// Only a packet's owner ever waits on it, and the partner's last access to the packet is the
// (Z2) exchange; its last access to the owner's context is the unpark that follows it, if any.
// The receiver waits on its *own* packet when it pairs with a select sender, never on the
// sender's: the select sender finishes the hand-off when its user completes the operation and
// may free its packet (a rill::selector's entry) at once, so a receiver still reading the
// sender's packet would read freed memory (a bug found by the benchmark's select_both workload
// before it was released).
//
// States of `state` (one word):
//   pending    registered, nothing done yet
//   sleeping   as pending, and the owner sleeps: it needs an unpark once the state is final
//   done       the partner has moved the message (into the waiting receiver's result, or out of
//              the waiting sender's argument)
//   declined   a select sender gave the pairing up (its operation was abandoned, SPEC R34)
//
// The hand-off, and why nobody spins on a partner for ever (SPEC R19)
// --------------------------------------------------------------------
// The partner selects the owner's context (C1, under the channel mutex), releases the mutex,
// moves the message, finishes the packet with one exchange (Z2), and only then unparks the owner,
// and only if the owner said it sleeps. An unpark that came before the move would let an owner
// of higher real-time priority preempt its partner and wait for a move that could then never
// run (on one CPU, under SCHED_FIFO, a spinning waiter starves its partner for ever). The owner
// spins briefly, then parks, never waiting by spinning alone. It can say that it sleeps in two
// places, and the partner learns it from one word in either case:
//   * before it was selected: it parks in context::wait_until after moving its context to
//     `sleeping` (C3). A partner whose selection finds `sleeping` stores `sleeping` into the
//     packet (Z6), under the mutex, before it releases the mutex.
//   * after it was selected, awake: it spins on `state`, then announces with a compare-exchange
//     pending -> sleeping (Z5); if that fails the state is final and it is done.
// The partner's exchange (Z2) reads what was there: `sleeping` means the owner parks, or is
// about to, until unparked, so the partner unparks it (its last access; the parker's unpark is
// safe against the owner leaving once it returns, sync/std_backend.hpp). Otherwise the owner is
// awake and will see the final state, and the partner touches nothing more.
// The owner that slept leaves only with the token in hand (context::unparked): a context
// receives at most one unpark, from the party that selected it, so the token is this one.
//
// Giving the pairing up (receivers paired with a select sender, SPEC R8, R20)
// ---------------------------------------------------------------------------
// A select sender's message may come much later, or never (R33). A receiver paired with one may
// therefore withdraw at its deadline, and the select sender, when its operation is completed or
// abandoned, *claims* the hand-off; exactly one of the two wins. The decision is taken under the
// channel mutex, not with a compare-exchange on a packet: the receiver's packet dies as soon as it
// has withdrawn, and the sender's word (its packet, then its token) as soon as it has claimed and
// finished, so a lock-free race on either word could touch freed memory; the channel outlives
// both, since each side holds a handle of it. Under the mutex:
//   withdraw   if `link` is not nullptr, store nullptr through it (the sender's word) and in
//              `link`: the sender will find no receiver and never touch this packet.
//   claim      if the sender's word is not nullptr, store nullptr into the packet's `link`: the
//              receiver can no longer withdraw, and waits for (Z2).
// A claimed hand-off is finished at once: done, or declined if the operation was abandoned.
// A completion that finds its receiver gone behaves as a plain blocking send of its message
// (zero_flavor.hpp).
//
// Synchronisation edges
//   (Z2) release, on the partner's exchange: the partner is done with the packet (the message has
//        been moved), or declines. Its read half needs no acquire: a partner that reads
//        `sleeping` only unparks, through the parker's mutex, a context published by the
//        registration under the channel mutex.
//   (Z3) acquire, on the owner's loads of `state` (after a failed (Z5) too): synchronises-with (Z2);
//        after it the owner uses its message or result again, and may leave the frame that holds
//        the packet.
//   (Z4) relaxed: resetting the packet before registration; the registration happens under the
//        channel mutex, and the partner finds the packet only through that list, so the mutex
//        orders the reset before every use by the partner.
//   (Z5) relaxed, on the owner's announcement: it publishes nothing (the partner that reads it only
//        unparks), and whether it succeeds or finds the state final, the owner reads the final
//        state afterwards with (Z3).
//   (Z6) relaxed: the selecting partner's store of `sleeping`, under the mutex, read by (Z2) of
//        the same thread, or of a select sender's completion after its claim under the same
//        mutex.
// Model-checking scenarios: handoff_zero, timed_handoff_zero (with and without parking at once),
// select_send_meets_select_recv, zero_timed_recv_withdraws_plain/_select (verify/relacy/).
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/sync/sync.hpp"

namespace rill::detail {

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace handoff_order {
inline constexpr sync::ordering done = sync::ordering_site("zero.handoff_done", std::memory_order_release);  // (Z2)
inline constexpr sync::ordering observe = sync::ordering_site("zero.handoff_observe", std::memory_order_acquire);  // (Z3)
inline constexpr sync::ordering reset = sync::ordering_site("zero.handoff_reset", std::memory_order_relaxed);  // (Z4)
inline constexpr sync::ordering announce = sync::ordering_site("zero.handoff_announce", std::memory_order_relaxed);  // (Z5)
inline constexpr sync::ordering sleeper = sync::ordering_site("zero.handoff_sleeper", std::memory_order_relaxed);  // (Z6)
}  // namespace handoff_order
// clang-format on

struct handoff_packet {
  enum status : int { pending = 0, sleeping = 1, done = 2, declined = 3 };

  handoff_packet() = default;
  handoff_packet(const handoff_packet&) = delete;
  handoff_packet& operator=(const handoff_packet&) = delete;

  void* message = nullptr;
  void* result = nullptr;
  context* owner = nullptr;
  void* partner = nullptr;  // guarded by the channel mutex
  void** link = nullptr;    // guarded by the channel mutex
  sync::atomic<int> state{pending};
  sync::race_marker marker;

  void reset(void* sender_message, void* receiver_result, context* waiting) {
    message = sender_message;
    result = receiver_result;
    owner = waiting;
    partner = nullptr;
    link = nullptr;
    state.store(pending, handoff_order::reset);  // (Z4)
  }

  /// The selecting partner, under the mutex, right after a selection that found the owner's
  /// context `sleeping`: the owner parks until unparked.
  void owner_sleeps() { state.store(sleeping, handoff_order::sleeper); }  // (Z6)

  /// The partner is finished with the packet; unparks the owner if it sleeps. The packet (and,
  /// without an unpark, the owner's context) may be gone as soon as the exchange is done.
  void finish(status outcome) {
    context* const sleeper = owner;
    if (state.exchange(outcome, handoff_order::done) == sleeping) sleeper->unpark();  // (Z2)
  }

  /// The owner, awake and selected, before it parks: true if the partner will unpark it, false
  /// if the hand-off is finished already (the owner then reads it with (Z3)).
  bool announce_sleep() {
    int expected = pending;
    return state.compare_exchange_strong(expected, sleeping, handoff_order::announce,
                                         sync::failure_order_for(handoff_order::announce));  // (Z5)
  }

  /// The final state, as the owner reads it once it knows it is final (or to see whether it is).
  [[nodiscard]] int current() const { return state.load(handoff_order::observe); }  // (Z3)
};

}  // namespace rill::detail
