// spec/model/channel_model.hpp - the executable sequential reference model of a rill channel.
//
// What this is
// ------------
// A plain, single-threaded description of what spec/SPEC.md allows a channel to do, written so
// that it can be read next to the rules and trusted by inspection. Property tests and fuzzers use
// it as their oracle: they run a sequence of operations on a real channel and on the model and
// check, operation by operation, that the real result is one the model allows.
//
// It does not include rill, uses no threads and no atomics. Messages are ints; a test that sends
// distinct values can therefore account for every message exactly once (R9, R25).
//
// Shape
// -----
//   state        everything that matters about one channel between operations
//   operation    one call on one handle (or a handle-count change)
//   allowed()    every (result, next state) pair the spec allows for that call in that state
//
// allowed() usually returns exactly one step. It returns several where the spec leaves a choice:
//   - a send on an unbounded channel whose allocator is failing may succeed (its block had
//     room) or fail with out_of_memory (it needed a new block), R24;
//   - a receive on a rendezvous channel with several parked senders may take any one of their
//     messages: they come from different threads, and R13 orders only one sender's messages.
// It returns no step at all for an operation outside the model's domain: one that needs a live
// handle the state says nobody holds (for example a recv after the last receiver was dropped,
// which in a real program can only be made through an empty handle), or a peer operation on a
// buffered channel. Harnesses must not issue such operations; `allowed(...).empty()` tells them.
//
// Single-threaded view, and peers
// -------------------------------
// The "driver" is the one thread the test runs on. Nothing else runs, so an operation that would
// have to wait for another thread can never complete: the model answers `blocks` for it and
// leaves the state unchanged. A sequential test never issues such an operation (it would hang).
//
// A rendezvous channel (capacity 0) can do nothing useful without a second thread, so the model
// has one extension for it: *peers*. `peer_send` / `peer_recv` stand for another thread calling
// the blocking `send` / `recv` with its own handle (one counted in `senders` / `receivers`). If
// the peer can complete at once it does; otherwise it stays parked in the channel
// (`waiting_senders`, `waiting_receivers`) until a later driver operation pairs with it, or a
// disconnection wakes it. That is enough to express R18 (try_send succeeds only if a receiver is
// waiting) and rendezvous hand-offs in a sequential oracle. Peers are not modelled on buffered
// channels, where the moment a woken peer completes is not determined by the driver's actions.
//
// Accounting (R9, R25)
// --------------------
// Every message the driver or a peer offers ends up in exactly one place:
//   - a successful receive's result (driver) or `peer_received` (peer receivers);
//   - `buffer`, or `waiting_senders` (still in the channel / still held by a parked sender);
//   - a failed send's result (handed back to the driver) or `returned_to_peers` (handed back to a
//     parked peer sender when the channel disconnected);
//   - `destroyed`: discarded by the channel because the last receiver went (R11, KB6);
//   - `abandoned_receives`: taken by a selected receive that was then abandoned, and destroyed
//     as if received and dropped (R34).
// The model never copies a message into two of these places; model_test.cpp checks that over
// long random runs.
//
// Selection and timers
// --------------------
// The second half of this file extends the model to selection (R30-R39) and to the timer
// receivers (R40-R43), still for one driver thread; see "Selection" below.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace rill::model {

/// The three kinds of channel (R1). Fixed at construction: nothing in the model changes it.
enum class flavor { array, list, zero };

/// One channel between two operations.
struct state {
  /// nullopt: unbounded (list flavor); 0: rendezvous (zero flavor); n >= 1: bounded (array).
  std::optional<std::size_t> capacity;
  /// Messages sent and not yet received, oldest first (R13). Always empty for a rendezvous.
  std::deque<int> buffer;
  /// Live handles of each side (R21), including those held by parked peers.
  std::size_t senders = 1;
  std::size_t receivers = 1;
  /// close() has been called on some handle (R12).
  bool closed = false;

  /// Rendezvous only: peers parked in `recv` waiting for a sender.
  std::size_t waiting_receivers = 0;
  /// Rendezvous only: messages of peers parked in `send`, in the order they parked.
  std::deque<int> waiting_senders;

  /// Messages destroyed by the channel itself (R11, KB6), in the order it destroyed them.
  std::vector<int> destroyed;
  /// Messages received by peers (immediately in peer_recv, or later when a driver send paired
  /// with a parked peer receiver).
  std::vector<int> peer_received;
  /// Messages handed back to parked peer senders when the channel disconnected under them.
  std::vector<int> returned_to_peers;
  /// Messages a selected receive took and its abandonment destroyed (R34), in that order.
  std::vector<int> abandoned_receives;

  friend bool operator==(const state&, const state&) = default;
};

/// The kind of a state's channel, derived from its capacity.
inline flavor kind_of(const state& channel) {
  if (!channel.capacity) return flavor::list;
  return *channel.capacity == 0 ? flavor::zero : flavor::array;
}

/// A fresh channel: one sender, one receiver, nothing buffered (R1).
inline state make_bounded(std::size_t capacity) {
  state channel;
  channel.capacity = capacity;
  return channel;
}
inline state make_unbounded() { return state{}; }

/// Sends fail with `disconnected` once the channel is closed or every receiver is gone (R3, R11, R12).
inline bool send_disconnected(const state& channel) { return channel.closed || channel.receivers == 0; }

/// Receives report `disconnected` once the channel is closed or every sender is gone, *and*
/// nothing is left to drain (R6, R7, R10, KB13). This is only the first half of that test.
inline bool recv_disconnected(const state& channel) { return channel.closed || channel.senders == 0; }

/// What is_disconnected() reports: any of the three ways to disconnect has happened (R26).
inline bool is_disconnected(const state& channel) {
  return channel.closed || channel.senders == 0 || channel.receivers == 0;
}

enum class op_kind {
  send,            ///< blocking send (R3)
  try_send,        ///< R4
  send_timed,      ///< send_for / send_until (R5, R20); see operation::timing
  recv,            ///< blocking receive (R6)
  try_recv,        ///< R7
  recv_timed,      ///< recv_for / recv_until (R8, R20)
  clone_sender,    ///< copy a sender handle (R21)
  clone_receiver,  ///< copy a receiver handle (R21)
  drop_sender,     ///< destroy or reset() a sender handle (R10, R21)
  drop_receiver,   ///< destroy or reset() a receiver handle (R11, R21)
  close,           ///< close() on any handle (R12)
  query,           ///< size, empty, full, capacity, is_disconnected, handle counts (R21, R26)
  peer_send,       ///< rendezvous only: another thread calls send (see the header comment)
  peer_recv,       ///< rendezvous only: another thread calls recv
};

/// The deadline of a timed operation, as far as a single thread can tell (R20).
enum class timing {
  /// Any deadline that can be reached: already passed, zero, negative or in the future. With no
  /// other thread running, waiting until it cannot change anything, so they all behave alike.
  expires,
  /// The largest duration the type can hold, or one for which `now + d` overflows: no
  /// deadline at all (KB5). The operation behaves like its blocking form.
  never_expires,
};

struct operation {
  op_kind kind = op_kind::query;
  /// The message, for the send kinds.
  int message = 0;
  /// For send_timed and recv_timed.
  timing deadline = timing::expires;
  /// The call is made on an empty (moved-from or reset) handle (R22).
  bool on_empty_handle = false;
  /// Unbounded channel only: the allocator fails if this send needs a new block (R24).
  bool allocation_fails = false;

  friend bool operator==(const operation&, const operation&) = default;
};

enum class outcome {
  ok,
  full,           ///< try_send: no room (rendezvous: no receiver waiting)
  timeout,        ///< a timed operation's deadline passed first
  disconnected,   ///< see send_disconnected / recv_disconnected
  empty,          ///< try_recv: nothing to receive now
  out_of_memory,  ///< unbounded send: a block could not be allocated (R24)
  blocks,         ///< cannot complete without another thread: a sequential program would hang
  empty_handle,   ///< the call throws rill::empty_handle_error (R22)
};

/// The answers of the query operations, all taken at one instant (R26).
struct snapshot {
  std::size_t size = 0;
  bool empty = true;
  bool full = false;
  std::optional<std::size_t> capacity;
  bool is_disconnected = false;
  std::size_t sender_count = 0;
  std::size_t receiver_count = 0;

  friend bool operator==(const snapshot&, const snapshot&) = default;
};

struct result {
  outcome what = outcome::ok;
  /// The received message (successful receive), or the message handed back (failed send, R9).
  /// Empty otherwise, and for `blocks` (the caller still holds it: the call has not returned).
  std::optional<int> message;
  /// For op_kind::query with outcome ok.
  std::optional<snapshot> query;

  friend bool operator==(const result&, const result&) = default;
};

struct step {
  model::result result;  // qualified: the member's name is the type's name
  state next;
};

namespace detail {

/// Handles not tied up in a parked peer: the driver (or a new peer) must use one of these.
inline std::size_t free_senders(const state& channel) { return channel.senders - channel.waiting_senders.size(); }
inline std::size_t free_receivers(const state& channel) { return channel.receivers - channel.waiting_receivers; }

/// Disconnection wakes every parked peer (R10, R11, R12): parked senders get their messages back,
/// parked receivers see `disconnected` (nothing is ever buffered in a rendezvous to drain first).
inline void wake_parked_peers(state& channel) {
  for (int message : channel.waiting_senders) channel.returned_to_peers.push_back(message);
  channel.waiting_senders.clear();
  channel.waiting_receivers = 0;
}

inline std::vector<step> one(result outcome_of_call, state next) {
  return {step{std::move(outcome_of_call), std::move(next)}};
}

/// A send that cannot proceed now (full, or a rendezvous with no receiver parked).
inline std::vector<step> send_cannot_proceed(const state& channel, const operation& call) {
  switch (call.kind) {
    case op_kind::try_send: return one({outcome::full, call.message, {}}, channel);
    case op_kind::send_timed:
      if (call.deadline == timing::expires) return one({outcome::timeout, call.message, {}}, channel);
      [[fallthrough]];
    default: return one({outcome::blocks, std::nullopt, {}}, channel);
  }
}

/// Every send kind, by the driver (R3, R4, R5, R9, R18, R24).
inline std::vector<step> send(const state& channel, const operation& call) {
  if (free_senders(channel) == 0) return {};
  // Disconnection is checked first (R4): a closed channel with room still refuses.
  if (send_disconnected(channel)) return one({outcome::disconnected, call.message, {}}, channel);
  switch (kind_of(channel)) {
    case flavor::zero: {
      if (channel.waiting_receivers == 0) return send_cannot_proceed(channel, call);
      // A parked receiver takes the message; the send returns only after that (R18, KB23).
      state next = channel;
      next.waiting_receivers -= 1;
      next.peer_received.push_back(call.message);
      return one({outcome::ok, {}, {}}, next);
    }
    case flavor::array: {
      if (channel.buffer.size() >= *channel.capacity) return send_cannot_proceed(channel, call);
      state next = channel;
      next.buffer.push_back(call.message);
      return one({outcome::ok, {}, {}}, next);
    }
    case flavor::list: {
      state next = channel;
      next.buffer.push_back(call.message);
      std::vector<step> steps = one({outcome::ok, {}, {}}, next);
      // With a failing allocator the send fails if it needed a new block, and the model does not
      // know the block size (an implementation detail), so both are allowed. Nothing changes on
      // failure (R24).
      if (call.allocation_fails) steps.push_back({{outcome::out_of_memory, call.message, {}}, channel});
      return steps;
    }
  }
  return {};
}

/// Every receive kind, by the driver (R6, R7, R8, R10, R13, KB13, KB14, KB22).
inline std::vector<step> receive(const state& channel, const operation& call) {
  if (free_receivers(channel) == 0) return {};
  // A buffered message is taken first, even when the channel is disconnected: drain before
  // reporting disconnection (R7, R10, R12).
  if (!channel.buffer.empty()) {
    state next = channel;
    const int message = next.buffer.front();
    next.buffer.pop_front();
    return one({outcome::ok, message, {}}, next);
  }
  // Rendezvous: pair with any one parked sender.
  if (!channel.waiting_senders.empty()) {
    std::vector<step> steps;
    for (std::size_t index = 0; index < channel.waiting_senders.size(); ++index) {
      state next = channel;
      const int message = next.waiting_senders[index];
      next.waiting_senders.erase(next.waiting_senders.begin() + static_cast<std::ptrdiff_t>(index));
      steps.push_back({{outcome::ok, message, {}}, next});
    }
    return steps;
  }
  if (recv_disconnected(channel)) return one({outcome::disconnected, {}, {}}, channel);
  switch (call.kind) {
    case op_kind::try_recv: return one({outcome::empty, {}, {}}, channel);
    case op_kind::recv_timed:
      if (call.deadline == timing::expires) return one({outcome::timeout, {}, {}}, channel);
      [[fallthrough]];
    default: return one({outcome::blocks, {}, {}}, channel);
  }
}

/// A peer thread's blocking send on a rendezvous channel.
inline std::vector<step> peer_send(const state& channel, const operation& call) {
  if (kind_of(channel) != flavor::zero || free_senders(channel) == 0) return {};
  if (send_disconnected(channel)) return one({outcome::disconnected, call.message, {}}, channel);
  state next = channel;
  if (next.waiting_receivers > 0) {
    next.waiting_receivers -= 1;
    next.peer_received.push_back(call.message);
    return one({outcome::ok, {}, {}}, next);
  }
  next.waiting_senders.push_back(call.message);
  return one({outcome::blocks, {}, {}}, next);
}

/// A peer thread's blocking receive on a rendezvous channel.
inline std::vector<step> peer_recv(const state& channel) {
  if (kind_of(channel) != flavor::zero || free_receivers(channel) == 0) return {};
  if (!channel.waiting_senders.empty()) {
    std::vector<step> steps;
    for (std::size_t index = 0; index < channel.waiting_senders.size(); ++index) {
      state next = channel;
      const int message = next.waiting_senders[index];
      next.waiting_senders.erase(next.waiting_senders.begin() + static_cast<std::ptrdiff_t>(index));
      next.peer_received.push_back(message);
      steps.push_back({{outcome::ok, message, {}}, next});
    }
    return steps;
  }
  if (recv_disconnected(channel)) return one({outcome::disconnected, {}, {}}, channel);
  state next = channel;
  next.waiting_receivers += 1;
  return one({outcome::blocks, {}, {}}, next);
}

inline snapshot take_snapshot(const state& channel) {
  snapshot answer;
  answer.size = channel.buffer.size();
  answer.empty = channel.buffer.empty();
  switch (kind_of(channel)) {
    case flavor::array: answer.full = channel.buffer.size() >= *channel.capacity; break;
    case flavor::list: answer.full = false; break;
    case flavor::zero: answer.full = true; break;  // nothing buffered and no room: empty and full (R26)
  }
  answer.capacity = channel.capacity;
  answer.is_disconnected = is_disconnected(channel);
  answer.sender_count = channel.senders;
  answer.receiver_count = channel.receivers;
  return answer;
}

}  // namespace detail

/// Every (result, next state) the spec allows for `call` in `channel`. See the header comment.
inline std::vector<step> allowed(const state& channel, const operation& call) {
  using detail::one;
  const result ok{outcome::ok, {}, {}};

  if (call.on_empty_handle) {
    switch (call.kind) {
      // Copying an empty handle gives another empty handle; reset() of an empty handle does
      // nothing. Neither throws, and the channel is untouched (R22).
      case op_kind::clone_sender:
      case op_kind::clone_receiver:
      case op_kind::drop_sender:
      case op_kind::drop_receiver: return one(ok, channel);
      // A peer is a thread with its own live handle by definition.
      case op_kind::peer_send:
      case op_kind::peer_recv: return {};
      default: return one({outcome::empty_handle, {}, {}}, channel);
    }
  }

  switch (call.kind) {
    case op_kind::send:
    case op_kind::try_send:
    case op_kind::send_timed: return detail::send(channel, call);

    case op_kind::recv:
    case op_kind::try_recv:
    case op_kind::recv_timed: return detail::receive(channel, call);

    case op_kind::clone_sender: {
      if (detail::free_senders(channel) == 0) return {};
      state next = channel;
      next.senders += 1;  // copying never reconnects a disconnected channel
      return one(ok, next);
    }
    case op_kind::clone_receiver: {
      if (detail::free_receivers(channel) == 0) return {};
      state next = channel;
      next.receivers += 1;
      return one(ok, next);
    }

    case op_kind::drop_sender: {
      if (detail::free_senders(channel) == 0) return {};
      state next = channel;
      next.senders -= 1;
      // The last sender: receivers drain what is buffered, then see disconnected (R10). Parked
      // peer receivers wake (there are no parked senders: they would hold sender handles).
      if (next.senders == 0) detail::wake_parked_peers(next);
      return one(ok, next);
    }
    case op_kind::drop_receiver: {
      if (detail::free_receivers(channel) == 0) return {};
      state next = channel;
      next.receivers -= 1;
      if (next.receivers == 0) {
        // The last receiver: everything buffered is destroyed now, in every flavor (R11, KB6),
        // and parked peer senders get their messages back.
        for (int message : next.buffer) next.destroyed.push_back(message);
        next.buffer.clear();
        detail::wake_parked_peers(next);
      }
      return one(ok, next);
    }

    case op_kind::close: {
      if (detail::free_senders(channel) + detail::free_receivers(channel) == 0) return {};
      // Destroys nothing; idempotent (R12).
      state next = channel;
      next.closed = true;
      detail::wake_parked_peers(next);
      return one(ok, next);
    }

    case op_kind::query: {
      if (detail::free_senders(channel) + detail::free_receivers(channel) == 0) return {};
      return one({outcome::ok, {}, detail::take_snapshot(channel)}, channel);
    }

    case op_kind::peer_send: return detail::peer_send(channel, call);
    case op_kind::peer_recv: return detail::peer_recv(channel);
  }
  return {};
}

/// The next state after `call` produced `observed`, or nullopt if the spec does not allow that
/// result. In this model a result always determines the next state uniquely, so an oracle can
/// follow a real channel one operation at a time.
inline std::optional<state> follow(const state& channel, const operation& call, const result& observed) {
  for (step& candidate : allowed(channel, call)) {
    if (candidate.result == observed) return std::move(candidate.next);
  }
  return std::nullopt;
}

/// The invariants every reachable state satisfies.
inline bool valid(const state& channel) {
  const flavor kind = kind_of(channel);
  // Never more than the capacity buffered; a rendezvous buffers nothing (R1, R26).
  if (kind == flavor::array && channel.buffer.size() > *channel.capacity) return false;
  if (kind == flavor::zero && !channel.buffer.empty()) return false;
  // Peers exist only on rendezvous channels, and hold handles of their side.
  if (kind != flavor::zero && (channel.waiting_receivers != 0 || !channel.waiting_senders.empty())) return false;
  if (channel.waiting_senders.size() > channel.senders || channel.waiting_receivers > channel.receivers) return false;
  // A parked sender and a parked receiver on one rendezvous would have paired.
  if (!channel.waiting_senders.empty() && channel.waiting_receivers != 0) return false;
  // Disconnection wakes everyone it concerns (R10, R11, R12).
  if (send_disconnected(channel) && !channel.waiting_senders.empty()) return false;
  if (recv_disconnected(channel) && channel.waiting_receivers != 0) return false;
  // With no receiver left nothing stays buffered (R11, KB6).
  if (channel.receivers == 0 && !channel.buffer.empty()) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Selection (R30-R39) and timers (R40-R43), as one driver thread sees them
// ---------------------------------------------------------------------------------------------
//
// A selection is a list of operations, each a receive or a send on a channel (the same channel
// may appear more than once, in either direction, R37), or a receive on a timer. The model says
// of each operation whether it is ready (R30, R32); a selection must then return an operation
// that is ready, and may report that nothing is (would_block, timeout, its default or timeout
// case) only if no operation is certainly ready. The biased mode may not pass over an operation
// that is certainly ready (R31). A readiness query (R36) answers the same way and changes no
// state.
//
// What the chosen operation does to its channel is a step like the others:
//   - a selected receive has received when it is returned (R30): its result is the one try_recv
//     would give; if it is then abandoned, the message is destroyed as if received and dropped
//     (R34), and the model records it in `abandoned_receives`;
//   - a selected send, completed with a message, does what try_send would (R33); abandoned, it
//     changes nothing: nothing is sent, a bounded channel's claimed slot is free again and a
//     rendezvous peer paired with it goes back to waiting (R34).
// The step of a selected receive is taken when it is selected; that of a send when it is
// completed or abandoned. The driver does nothing in between except, possibly, release the
// channel's last receiver: that release must not wait for the pending send (R34), and the send
// then completes with `disconnected` and its message back, which is what completed_send says of
// the state after the release (R33). The model does not describe other operations in between
// (for example sends that claim slots past a pending bounded send, which R34's holes are about).
//
// A rendezvous operation is ready only through a parked peer (or disconnection): the driver
// never pairs with itself (R35), so a selection with a send and a receive on one rendezvous
// channel, and nobody else there, has nothing ready.
//
// Timers make their messages from the clock, and one thread cannot say when "soon" has come. So
// a timer's message is due `now` (its time was at or before the timer's creation: a delay of
// zero or less, a time point in the past, R40), `never` while the test runs (a time that is far
// away, or too far to represent, R44; never<T>(), R42), or `unknown` (a short positive delay: it
// may or may not have come at any one look; once seen due, it stays due until received).

/// The direction of one operation of a selection.
enum class direction { recv, send };

/// Whether an operation is ready. `maybe`: the model cannot tell (a timer whose time is near).
enum class readiness { no, yes, maybe };

/// R30, R32, R35: a selected receive or send on `channel` is ready. The driver must hold a live
/// handle of that side (an empty one makes the selection throw, R39).
inline readiness select_ready(const state& channel, direction dir) {
  const auto answer = [](bool ready) { return ready ? readiness::yes : readiness::no; };
  if (dir == direction::recv) {
    // A buffered message, a parked peer sender, or disconnection (R32; drained first, R10).
    return answer(!channel.buffer.empty() || !channel.waiting_senders.empty() || recv_disconnected(channel));
  }
  if (send_disconnected(channel)) return readiness::yes;  // completes with `disconnected` (R32)
  switch (kind_of(channel)) {
    case flavor::zero: return answer(channel.waiting_receivers != 0);  // another thread's receiver (R35)
    case flavor::array: return answer(channel.buffer.size() < *channel.capacity);
    case flavor::list: return readiness::yes;
  }
  return readiness::no;
}

/// R30, R32: what a selected receive holds (the message, or `disconnected`), and the channel
/// afterwards: the steps of try_recv, or none if the receive is not ready.
inline std::vector<step> selected_recv(const state& channel) {
  if (select_ready(channel, direction::recv) != readiness::yes) return {};
  operation call;
  call.kind = op_kind::try_recv;
  return detail::receive(channel, call);
}

/// R33: completing a selected send with `message` does what try_send would (a rendezvous send
/// hands it to the parked peer receiver the selection paired with; a disconnected channel hands
/// it back). No steps if the send was not ready.
inline std::vector<step> completed_send(const state& channel, int message) {
  if (select_ready(channel, direction::send) != readiness::yes) return {};
  operation call;
  call.kind = op_kind::try_send;
  call.message = message;
  return detail::send(channel, call);
}

/// R34: an abandoned send sends nothing and leaves the channel as it was (room, peer receiver).
inline std::vector<step> abandoned_send(const state& channel) {
  if (select_ready(channel, direction::send) != readiness::yes) return {};
  return detail::one({outcome::ok, {}, {}}, channel);
}

/// R34: an abandoned receive's message is destroyed as if received and dropped. The result is
/// what the selection had received (the message, or `disconnected`, which destroys nothing).
inline std::vector<step> abandoned_recv(const state& channel) {
  std::vector<step> steps = selected_recv(channel);
  for (step& each : steps) {
    if (each.result.what == outcome::ok && each.result.message)
      each.next.abandoned_receives.push_back(*each.result.message);
  }
  return steps;
}

/// When a timer's (next) message is due, as far as a single thread can tell (see above).
enum class timer_due { now, never, unknown };

/// A timer receiver (rill::after, rill::at, rill::tick) or a never<T>() receiver (R40-R43).
struct timer_state {
  /// tick: a message follows every one taken (R41); after / at deliver one (R40).
  bool periodic = false;
  timer_due due = timer_due::never;
  /// tick: when the message after a taken one is due (the class of the period: `unknown` for a
  /// short one, `never` for one too long to reach or represent, R44).
  timer_due rearmed = timer_due::never;
  /// after / at: the one message has been taken; the channel is empty for good (R40).
  bool received = false;
  /// 1 for after, at and tick; 0 for never<T>() (R43).
  std::size_t capacity = 1;

  friend bool operator==(const timer_state&, const timer_state&) = default;
};

inline timer_state make_timer_once(timer_due due) { return timer_state{false, due, timer_due::never, false, 1}; }
inline timer_state make_timer_tick(timer_due period) { return timer_state{true, period, period, false, 1}; }
inline timer_state make_never() { return timer_state{false, timer_due::never, timer_due::never, false, 0}; }

/// R40-R43: a receive from the timer (or a selected receive of it) is ready. Never disconnected.
inline readiness timer_ready(const timer_state& timer) {
  if (timer.received) return readiness::no;
  switch (timer.due) {
    case timer_due::now: return readiness::yes;
    case timer_due::never: return readiness::no;
    case timer_due::unknown: return readiness::maybe;
  }
  return readiness::no;
}

/// One allowed outcome of a try_recv (or a selected receive) on a timer.
struct timer_step {
  bool received = false;  // a message was taken; otherwise `empty`
  timer_state next;
};

inline std::vector<timer_step> timer_receive(const timer_state& timer) {
  std::vector<timer_step> steps;
  const readiness ready = timer_ready(timer);
  if (ready != readiness::yes) steps.push_back({false, timer});
  if (ready != readiness::no) {
    timer_state next = timer;
    if (timer.periodic) {
      next.due = timer.rearmed;  // ticks are not queued: the next one is a period away (R41)
    } else {
      next.received = true;  // empty forever after (R40)
    }
    steps.push_back({true, next});
  }
  return steps;
}

/// The timer after its message was seen due (a readiness query, size() 1): it stays due until
/// it is received, for time only moves forward.
inline timer_state seen_due(timer_state timer) {
  if (timer_ready(timer) == readiness::maybe) timer.due = timer_due::now;
  return timer;
}

/// R30, R31: may a selection whose operations have readiness `ready` return operation `chosen`?
/// (An operation removed from a selector, R39, counts as `no`.)
inline bool may_select(const std::vector<readiness>& ready, std::size_t chosen, bool biased) {
  if (chosen >= ready.size() || ready[chosen] == readiness::no) return false;
  if (biased) {
    for (std::size_t earlier = 0; earlier < chosen; ++earlier) {
      if (ready[earlier] == readiness::yes) return false;  // the biased mode takes the first ready one
    }
  }
  return true;
}

/// R30: may the selection report that nothing is ready (would_block, timeout, default case)?
inline bool may_find_nothing(const std::vector<readiness>& ready) {
  for (readiness each : ready) {
    if (each == readiness::yes) return false;
  }
  return true;
}

/// R30: a blocking selection (select(), ready(), a deadline that is never reached) returns
/// without another thread's help: some operation is ready, or will be soon.
inline bool returns_without_help(const std::vector<readiness>& ready) {
  for (readiness each : ready) {
    if (each != readiness::no) return true;
  }
  return false;
}

inline std::string_view to_string(outcome what) {
  switch (what) {
    case outcome::ok: return "ok";
    case outcome::full: return "full";
    case outcome::timeout: return "timeout";
    case outcome::disconnected: return "disconnected";
    case outcome::empty: return "empty";
    case outcome::out_of_memory: return "out_of_memory";
    case outcome::blocks: return "blocks";
    case outcome::empty_handle: return "empty_handle";
  }
  return "unknown";
}

inline std::string_view to_string(op_kind kind) {
  switch (kind) {
    case op_kind::send: return "send";
    case op_kind::try_send: return "try_send";
    case op_kind::send_timed: return "send_timed";
    case op_kind::recv: return "recv";
    case op_kind::try_recv: return "try_recv";
    case op_kind::recv_timed: return "recv_timed";
    case op_kind::clone_sender: return "clone_sender";
    case op_kind::clone_receiver: return "clone_receiver";
    case op_kind::drop_sender: return "drop_sender";
    case op_kind::drop_receiver: return "drop_receiver";
    case op_kind::close: return "close";
    case op_kind::query: return "query";
    case op_kind::peer_send: return "peer_send";
    case op_kind::peer_recv: return "peer_recv";
  }
  return "unknown";
}

inline std::string_view to_string(readiness ready) {
  switch (ready) {
    case readiness::no: return "no";
    case readiness::yes: return "yes";
    case readiness::maybe: return "maybe";
  }
  return "unknown";
}

}  // namespace rill::model
