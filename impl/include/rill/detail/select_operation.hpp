// rill/detail/select_operation.hpp - one operation of a select, as the selection loop sees it.
//
// Design
// ------
// A select (select_loop.hpp) works with operations on channels of different flavors and message
// types, so it sees each one through a small table of functions (`operation_table`), filled in
// once per flavor and direction by `flavor_operations<Flavor>`. The protocol is crossbeam-
// channel's, with each step named after what it does here:
//
//   try_select   attempt the operation without blocking. For a receive, success means the
//                message (or `disconnected`) is already in the operation's result storage:
//                receives are completed eagerly, so a selected receive holds nothing of the
//                channel's. For a send, success means the operation is *committed*: a slot is
//                claimed (array), a waiting receiver is chosen (zero) or the channel needs no
//                room (list); `token` remembers which, and the send is finished when the user
//                supplies the message (complete_send) or given up (abandon_send).
//   register     put the operation's waiter on the channel's waker, then report whether the
//                operation is ready after all (the re-check half of the waker's store-load
//                pattern, waker.hpp). Timers register nothing; their `ready_at` bounds the wait.
//   accept       after a notifier selected this operation's waiter: claim what the notifier
//                offered (buffered flavors retry the claim, which another thread may have won;
//                the rendezvous flavor waits for its partner's half of the hand-off).
//   watch        register as an observer only (readiness waits: rill::selector::ready).
//   version      a reading of the channel state that changes whenever the operation may have
//                gone from not ready to ready (readiness_version below); a non-blocking select
//                compares two readings to prove that no operation was ready at one instant.
//
// An `operation` lives in the frame of the select statement, or inside the rill::selector that
// owns it, from before the selection until the operation is completed or abandoned: its waiter
// and rendezvous packet may be referenced by another thread during all that time.
#pragma once

#include "rill/detail/handoff_packet.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <cstdint>
#include <memory>
#include <utility>

namespace rill::detail {

/// What a successful try_select or accept committed to; meaningful to the flavor only.
struct select_token {
  void* pointer = nullptr;    // array: the claimed slot; zero: the packet to complete
  std::uint64_t value = 0;    // array: the stamp to publish
  bool disconnected = false;  // the operation is ready because the channel is disconnected
};

/// A reading of the words that decide a channel's readiness, taken by
/// `Flavor::readiness()`. Two equal readings taken at times a < b (with `stable` set in
/// both) mean that no operation on the channel went from not ready to ready between a and b:
/// each flavor makes that so for its own state (array_flavor.hpp and the others say how).
struct readiness_version {
  std::uint64_t words[4] = {0, 0, 0, 0};
  bool stable = true;  // false: a change is under way, the reading proves nothing

  friend bool operator==(const readiness_version&, const readiness_version&) = default;
};

/// A select's receive from a flavor whose try_recv never waits for a partner (array, list): the
/// attempt is try_recv itself. True, with `result` holding the message or `disconnected`, unless
/// the channel was empty. `result` is rebuilt in place rather than assigned: a message type need
/// not be assignable (R23).
template <class T>
bool keep_unless_empty(recv_result<T>&& received, recv_result<T>& result) {
  if (!received.has_value() && received.error() == recv_error::empty) return false;
  std::destroy_at(&result);
  std::construct_at(&result, std::move(received));
  return true;
}

struct operation;

struct operation_table {
  bool is_send;
  bool (*try_select)(operation&);
  bool (*register_waiter)(operation&);
  void (*unregister_waiter)(operation&);
  bool (*accept)(operation&);
  bool (*is_ready)(operation&);
  bool (*watch)(operation&);
  void (*unwatch)(operation&);
  sync::deadline (*ready_at)(operation&);  // when a timer becomes ready; no deadline otherwise
  void (*abandon)(operation&);             // send: release what try_select or accept committed
  readiness_version (*version)(operation&);
  // send: make the commitment final before the message is made (a select statement, before it
  // converts the message or calls a lazy case's callable). False if the partner has given the
  // pairing up since (a rendezvous receiver at its deadline): nothing was selected after all.
  bool (*claim)(operation&);
  // The rendezvous flavor: a message passes from sender to receiver in a hand-off (its packet).
  // There a receive's registration that reports ready may have paired it with a waiting select
  // sender and chosen its owner itself, linking nothing; and a chosen receive has received by the
  // time its owner is woken. rill/async.hpp, which does not block to accept, needs to know.
  bool rendezvous = false;
  // A timer's receive (after, at, tick): ready by time alone, with no notifier (ready_at).
  bool is_timer = false;
};

// Every member (and every member of a member) has a default member initializer: rill::selector
// default-initializes its operations rather than zeroing them first (selector.hpp, add).
struct operation {
  operation() = default;
  operation(const operation&) = delete;
  operation& operator=(const operation&) = delete;

  const operation_table* table = nullptr;
  void* channel = nullptr;         // the flavor object
  const void* identity = nullptr;  // the channel's shared state: which channel this is (KB9)
  void* result = nullptr;          // receive: the recv_result<T> the message is received into
  select_token token;
  waiter entry;
  handoff_packet packet;   // the rendezvous flavor's meeting point for this operation
  readiness_version seen;  // a non-blocking select's first reading (select_loop.hpp)
  bool removed = false;    // rill::selector::remove
};

/// The operation tables of one flavor.
template <class Flavor>
struct flavor_operations {
  using message = typename Flavor::message_type;

  static Flavor& channel(operation& op) { return *static_cast<Flavor*>(op.channel); }
  static recv_result<message>& result(operation& op) { return *static_cast<recv_result<message>*>(op.result); }
  static sync::deadline no_deadline(operation&) { return std::nullopt; }
  static constexpr bool rendezvous = requires { Flavor::is_rendezvous; };
  static constexpr bool timer = requires(Flavor& flavor) { flavor.recv_ready_at(); };

  static constexpr operation_table receive{
      .is_send = false,
      .try_select = [](operation& op) { return channel(op).select_try_recv(op.token, result(op)); },
      .register_waiter = [](operation& op) { return channel(op).select_register_recv(op.entry, result(op)); },
      .unregister_waiter = [](operation& op) { channel(op).select_unregister_recv(op.entry); },
      .accept = [](operation& op) { return channel(op).select_accept_recv(op.entry, op.token, result(op)); },
      .is_ready = [](operation& op) { return channel(op).is_recv_ready(); },
      .watch = [](operation& op) { return channel(op).watch_recv(op.entry); },
      .unwatch = [](operation& op) { channel(op).unwatch_recv(op.entry); },
      .ready_at = [](operation& op) -> sync::deadline {
        if constexpr (requires(Flavor& flavor) { flavor.recv_ready_at(); }) {
          return channel(op).recv_ready_at();
        } else {
          return std::nullopt;
        }
      },
      .abandon = [](operation&) {},  // a receive holds nothing of the channel's once it is selected
      .version = [](operation& op) { return channel(op).readiness(); },
      .claim = [](operation&) { return true; },  // a selected receive already holds its result
      .rendezvous = rendezvous,
      .is_timer = timer,
  };

  static constexpr operation_table send{
      .is_send = true,
      .try_select = [](operation& op) { return channel(op).select_try_send(op.token); },
      .register_waiter = [](operation& op) { return channel(op).select_register_send(op.entry); },
      .unregister_waiter = [](operation& op) { channel(op).select_unregister_send(op.entry); },
      .accept = [](operation& op) { return channel(op).select_accept_send(op.entry, op.token); },
      .is_ready = [](operation& op) { return channel(op).is_send_ready(); },
      .watch = [](operation& op) { return channel(op).watch_send(op.entry); },
      .unwatch = [](operation& op) { channel(op).unwatch_send(op.entry); },
      .ready_at = &no_deadline,
      .abandon = [](operation& op) { channel(op).select_abandon_send(op.token); },
      .version = [](operation& op) { return channel(op).readiness(); },
      .claim =
          [](operation& op) {
            if constexpr (requires(Flavor& flavor, select_token& token) { flavor.select_claim_send(token); }) {
              return channel(op).select_claim_send(op.token);
            } else {
              return true;  // a slot or a permission cannot be taken back by anyone else
            }
          },
      .rendezvous = rendezvous,
  };
};

}  // namespace rill::detail
