// rill/detail/blocking_wait.hpp - the one blocking loop of the lock-free flavors: a blocking send
// on a bounded channel, a blocking receive on a bounded or unbounded one.
//
// A blocking operation that cannot complete now must neither burn a core nor miss the event that
// lets it complete. The loop, shared by array_flavor and list_flavor:
//
//   1. attempt   try the operation; a few failures are retried with growing spins, then yields
//                (sync::backoff): a partner is often only a few instructions from the event.
//   2. deadline  once it has passed, report a timeout; after the attempts, so that a deadline in
//                the past means "try once" and an operation that can complete does (R20).
//   3. register  put a waiter for this thread on the waker of the operation's direction (W1 in
//                waker.hpp, the X of the store-load pattern).
//   4. re-check  look again (the Y of the pattern): if the event came between the last attempt
//                and the registration, its notify may have seen no waiter; then do not park.
//   5. park      until a notify selects this context, or the deadline.
//   6. leave     unregister and go back to 1; a wake-up is a hint, not a claim, since another
//                thread may take the room or the message first.
//
// Nothing of the flavor's ordering argument lives here: the attempt and the re-check are the
// flavor's own functions, with their numbered edges in its header, and the waker's edges are in
// waker.hpp. What this file owns is the order of the steps, which is the whole of the no-lost-
// wake-up argument (register before the re-check, the re-check before parking).
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"

namespace rill::detail {

/// Runs the loop above. `attempt()` returns true when the operation is done (it claimed its
/// slot, or learned that the channel is disconnected; the caller keeps what it learned) and false
/// when it cannot complete now. `enter` and `leave` register and unregister a waiter on the waker
/// of the operation's direction (senders wait for room, receivers for a message; a flavor may
/// count its registered waiters too). `worth_waking()` is the re-check after the registration.
/// Returns whether the operation is done; false: the deadline passed first.
template <class Attempt, class Enter, class WorthWaking, class Leave>
bool wait_until_done(const sync::deadline& deadline, Attempt&& attempt, Enter&& enter, WorthWaking&& worth_waking,
                     Leave&& leave) {
  for (;;) {
    sync::backoff backoff;
    for (;;) {
      if (attempt()) return true;
      if (backoff.is_completed()) break;
      backoff.snooze();
    }
    if (sync::has_passed(deadline)) return false;
    context waiting;
    waiter entry(waiting);
    enter(entry);
    if (worth_waking()) waiting.try_select(selection_aborted);
    waiting.wait_until(deadline);
    leave(entry);
  }
}

}  // namespace rill::detail
