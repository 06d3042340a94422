// verify/relacy/async_scenarios.hpp - coroutines awaiting channel operations (rill/async.hpp)
// against threads: the task context's wake-up (a post to a rill::run_loop instead of an unpark),
// the rendezvous hand-off finished before that post, and the destruction of a suspended
// coroutine racing the party that chooses it. Included by scenarios.cpp.
//
// Each coroutine runs on a run_loop driven by the thread that owns it; the loop's mutex and
// parker are the sync layer's, so Relacy sees every post and every wake-up.
#pragma once

#include "model_support.hpp"
#include "support/owned_coroutine.hpp"

#include <rill/async.hpp>

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace rill::verify {

using test::owned_coroutine;  // tests/support/owned_coroutine.hpp: the unit tests' own

inline async_task receive_into(receiver<owned_message> source, std::optional<recv_result<owned_message>>& into) {
  into.emplace(co_await source.async_recv());
}

inline async_task send_one(sender<owned_message> target, int value, std::optional<send_result<owned_message>>& into) {
  into.emplace(co_await target.async_send(owned_message(value)));
}

// async_recv_meets_thread_send_*: SPEC R6, R9, R18, R45, R46, R49. Thread 0 awaits a receive in a coroutine
// on its run loop; thread 1 sends with a blocking send. The coroutine gets the message exactly
// once (an owned message: a loss is a leak, a second delivery a double free). On a rendezvous
// channel the sender finishes the hand-off before it posts the coroutine: a post that came first
// would let the coroutine read its result before the move (a data race on the result).
template <int Capacity>
struct async_recv_meets_thread_send : rl::test_suite<async_recv_meets_thread_send<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<recv_result<owned_message>> received;
      loop.spawn(receive_into(channel->second, received));
      loop.run();
      RILL_MODEL_ASSERT(received.has_value() && received->has_value() && (*received)->value() == 7);
    } else {
      RILL_MODEL_ASSERT(channel->first.send(owned_message(7)).has_value());
    }
  }
};
using async_recv_meets_thread_send_zero = async_recv_meets_thread_send<0>;
using async_recv_meets_thread_send_array1 = async_recv_meets_thread_send<1>;
RILL_SCENARIO(async_recv_meets_thread_send_zero, "R6, R9, R18, R45, R46, R49");
RILL_SCENARIO(async_recv_meets_thread_send_array1, "R6, R9, R45, R46, R49");

// async_send_meets_thread_recv_*: SPEC R3, R9, R18, R45, R46, R49. The mirror: a coroutine awaits a send, a
// thread receives with a blocking recv. On a rendezvous channel the awaiting send is a select
// sender to the flavor: the receiver selects it, posts it, and waits for its completion.
template <int Capacity>
struct async_send_meets_thread_recv : rl::test_suite<async_send_meets_thread_recv<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<send_result<owned_message>> sent;
      if (Capacity > 0) RILL_MODEL_ASSERT(channel->first.send(owned_message(1)).has_value());  // full
      loop.spawn(send_one(channel->first, 7, sent));
      loop.run();
      RILL_MODEL_ASSERT(sent.has_value() && sent->has_value());
    } else {
      if (Capacity > 0) {
        auto first = channel->second.recv();
        RILL_MODEL_ASSERT(first.has_value() && first->value() == 1);
      }
      auto received = channel->second.recv();
      RILL_MODEL_ASSERT(received.has_value() && received->value() == 7);
    }
  }
};
using async_send_meets_thread_recv_zero = async_send_meets_thread_recv<0>;
using async_send_meets_thread_recv_array1 = async_send_meets_thread_recv<1>;
RILL_SCENARIO(async_send_meets_thread_recv_zero, "R3, R9, R18, R45, R46, R49");
RILL_SCENARIO(async_send_meets_thread_recv_array1, "R3, R9, R45, R46, R49");

// async_recv_meets_close_*: SPEC R12, R45. A coroutine awaits a receive while thread 1 closes
// the channel: it is woken with `disconnected` whether it registered before the close or after.
template <int Capacity>
struct async_recv_meets_close : rl::test_suite<async_recv_meets_close<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<recv_result<owned_message>> received;
      loop.spawn(receive_into(channel->second, received));
      loop.run();
      RILL_MODEL_ASSERT(received.has_value() && !received->has_value() &&
                        received->error() == recv_error::disconnected);
    } else {
      channel->first.close();
    }
  }
};
using async_recv_meets_close_zero = async_recv_meets_close<0>;
using async_recv_meets_close_array1 = async_recv_meets_close<1>;
RILL_SCENARIO(async_recv_meets_close_zero, "R12, R45");
RILL_SCENARIO(async_recv_meets_close_array1, "R12, R45");

// async_cancel_passes_recv_on_*: SPEC R9, R48. Thread 0 has two coroutines awaiting a receive on
// its loop (which does not run yet) and destroys the first, racing thread 1's send. If the send
// chose the first before the destruction, the destruction takes its posted wake-up back from the
// loop and passes the notification to the next waiter; otherwise it unregisters it. Either way
// the second coroutine receives the message (a lost notification leaves it suspended next to a
// message: Relacy reports the livelock of thread 0's loop), unless the send came before the
// first coroutine looked at all, which then received it at once, without suspending.
template <int Capacity>
struct async_cancel_passes_recv_on : rl::test_suite<async_cancel_passes_recv_on<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  static owned_coroutine await_one(receiver<owned_message> source, run_loop& loop,
                                   std::optional<recv_result<owned_message>>& into) {
    into.emplace(co_await source.async_recv(loop));
  }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<recv_result<owned_message>> first;
      std::optional<recv_result<owned_message>> second;
      owned_coroutine chosen = await_one(channel->second, loop, first);
      owned_coroutine next = await_one(channel->second, loop, second);
      const bool received_at_once = chosen.handle.done();
      chosen.handle.destroy();
      if (received_at_once) {
        RILL_MODEL_ASSERT(first.has_value() && first->has_value() && (*first)->value() == 5);
        next.handle.destroy();  // it waits for a message that never comes: unregistered
        return;
      }
      while (!next.handle.done()) {
        loop.run();  // runs what is queued, then returns: no task is spawned
        detail::sync::yield_now();
      }
      next.handle.destroy();
      RILL_MODEL_ASSERT(second.has_value() && second->has_value() && (*second)->value() == 5);
    } else {
      RILL_MODEL_ASSERT(channel->first.send(owned_message(5)).has_value());
    }
  }
};
using async_cancel_passes_recv_on_array1 = async_cancel_passes_recv_on<1>;
using async_cancel_passes_recv_on_list = async_cancel_passes_recv_on<unbounded_capacity>;
RILL_SCENARIO(async_cancel_passes_recv_on_array1, "R9, R48");
RILL_SCENARIO(async_cancel_passes_recv_on_list, "R9, R48");

// async_cancel_gives_send_back_*: SPEC R9, R48. Thread 0 has two coroutines awaiting a send on its
// loop (which does not run yet), on a full bounded channel or a rendezvous one, and destroys the
// first, racing thread 1's receive that may choose it. A chosen send that goes gives its chance
// back: the bounded channel's freed slot (claimed and given back, which wakes the next sender),
// the rendezvous receiver (declined, it looks again and pairs with the second). Thread 1 receives
// the buffered message, if any, then until the second coroutine's message (a chance that is not
// given back leaves the second suspended: Relacy reports the livelock of thread 0's loop). The
// destroyed send's message is delivered only if the send completed before the destruction,
// without suspending (then it comes first); otherwise never (an owned message: it is destroyed
// with the frame, and a second delivery would be a double free).
template <int Capacity>
struct async_cancel_gives_send_back : rl::test_suite<async_cancel_gives_send_back<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  bool sent_at_once = false;         // thread 0's
  bool destroyed_delivered = false;  // thread 1's

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
    if (Capacity > 0) (void)channel->first.try_send(owned_message(1));  // full
    sent_at_once = false;
    destroyed_delivered = false;
  }
  void after() {
    RILL_MODEL_ASSERT(destroyed_delivered == sent_at_once);
    channel.reset();
  }

  static owned_coroutine send_from(sender<owned_message> target, run_loop& loop, int value) {
    (void)co_await target.async_send(owned_message(value), loop);
  }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      owned_coroutine chosen = send_from(channel->first, loop, 2);
      owned_coroutine next = send_from(channel->first, loop, 3);
      sent_at_once = chosen.handle.done();
      chosen.handle.destroy();
      while (!next.handle.done()) {
        loop.run();  // runs what is queued, then returns: no task is spawned
        detail::sync::yield_now();
      }
      next.handle.destroy();
    } else {
      if (Capacity > 0) {
        auto first = channel->second.recv();
        RILL_MODEL_ASSERT(first.has_value() && first->value() == 1);
      }
      std::optional<recv_result<owned_message>> received;
      received.emplace(channel->second.recv());
      RILL_MODEL_ASSERT(received->has_value());
      if ((*received)->value() == 2) {
        destroyed_delivered = true;
        received.emplace(channel->second.recv());
      }
      RILL_MODEL_ASSERT(received->has_value() && (*received)->value() == 3);
    }
  }
};
using async_cancel_gives_send_back_zero = async_cancel_gives_send_back<0>;
using async_cancel_gives_send_back_array1 = async_cancel_gives_send_back<1>;
RILL_SCENARIO(async_cancel_gives_send_back_zero, "R9, R48");
RILL_SCENARIO(async_cancel_gives_send_back_array1, "R9, R48");

// async_recv_races_thread_recv: SPEC R9, R49. A coroutine waiter and a thread waiter on one bounded
// channel, and a third thread that sends two messages: each receiver gets exactly one. Three
// threads: random searches only.
struct async_recv_races_thread_recv : rl::test_suite<async_recv_races_thread_recv, 3> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 1>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<recv_result<owned_message>> received;
      loop.spawn(receive_into(channel->second, received));
      loop.run();
      RILL_MODEL_ASSERT(received.has_value() && received->has_value());
    } else if (index == 1) {
      auto received = channel->second.recv();
      RILL_MODEL_ASSERT(received.has_value());
    } else {
      RILL_MODEL_ASSERT(channel->first.send(owned_message(8)).has_value());
      RILL_MODEL_ASSERT(channel->first.send(owned_message(9)).has_value());
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(async_recv_races_thread_recv, "R9, R49");

/// Sets a flag when a started (not awaited) operation's result is ready: the done callback of
/// the engine's start(), as the Asio adaptor uses it (rill/asio.hpp).
inline void mark_done(void* flag) { *static_cast<bool*>(flag) = true; }

/// Starts `operation` (the engine the Asio adaptor drives) with `loop` as its executor and, if it
/// waits, requests its cancellation at once (R50); runs the loop until it has completed, and
/// returns its result.
template <class Operation>
auto start_then_cancel(Operation& operation, run_loop& loop) {
  bool done = operation.start(&mark_done, &done);
  if (!done) operation.request_cancel();
  while (!done) {
    loop.run();  // runs what is queued, then returns: no task is spawned
    detail::sync::yield_now();
  }
  return operation.await_resume();
}

// async_request_cancel_recv_*: SPEC R9, R50. Thread 0 starts a receive (the engine the Asio
// adaptor drives, with thread 0's run loop as its executor) and, if it waits, requests its
// cancellation at once, racing thread 1's send. The cancellation wins and the receive completes
// `cancelled` having taken nothing, or the send chose the receive first and it completes with
// the message. Then thread 0 receives with a blocking recv if it still lacks the message. The
// message arrives exactly once (an owned message: a loss is a leak or, on a rendezvous channel,
// a sender blocked for ever; a second delivery a double free).
template <int Capacity>
struct async_request_cancel_recv : rl::test_suite<async_request_cancel_recv<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<recv_result<owned_message>> result;
      {
        detail::recv_awaitable<owned_message> receive(channel->second, executor_ref(loop));
        result.emplace(start_then_cancel(receive, loop));
      }
      if (!result->has_value()) {
        RILL_MODEL_ASSERT(result->error() == recv_error::cancelled);
        result.emplace(channel->second.recv());
      }
      RILL_MODEL_ASSERT(result->has_value() && (*result)->value() == 5);
    } else {
      RILL_MODEL_ASSERT(channel->first.send(owned_message(5)).has_value());
    }
  }
};
using async_request_cancel_recv_zero = async_request_cancel_recv<0>;
using async_request_cancel_recv_array1 = async_request_cancel_recv<1>;
using async_request_cancel_recv_list = async_request_cancel_recv<unbounded_capacity>;
RILL_SCENARIO(async_request_cancel_recv_zero, "R9, R50");
RILL_SCENARIO(async_request_cancel_recv_array1, "R9, R50");
RILL_SCENARIO(async_request_cancel_recv_list, "R9, R50");

// async_request_cancel_send_*: SPEC R9, R50. Thread 0 starts a send of 2 on a full bounded
// channel or a rendezvous one and, if it waits, requests its cancellation at once, racing thread
// 1's receives. The send completes delivered, or `cancelled` with its message handed back, which
// thread 0 then sends with a blocking send. Thread 1 receives the buffered 1, if any, then 2:
// exactly once (a send that reported `cancelled` after a receiver took its message would deliver
// it twice: a double free of the owned message).
template <int Capacity>
struct async_request_cancel_send : rl::test_suite<async_request_cancel_send<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
    if (Capacity > 0) (void)channel->first.try_send(owned_message(1));  // full
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<send_result<owned_message>> result;
      {
        detail::send_awaitable<owned_message> send(channel->first, owned_message(2), executor_ref(loop));
        result.emplace(start_then_cancel(send, loop));
      }
      if (!result->has_value()) {
        RILL_MODEL_ASSERT(result->error().reason == send_errc::cancelled && result->error().message.value() == 2);
        RILL_MODEL_ASSERT(channel->first.send(std::move(result->error().message)).has_value());
      }
    } else {
      if (Capacity > 0) {
        auto first = channel->second.recv();
        RILL_MODEL_ASSERT(first.has_value() && first->value() == 1);
      }
      auto received = channel->second.recv();
      RILL_MODEL_ASSERT(received.has_value() && received->value() == 2);
    }
  }
};
using async_request_cancel_send_zero = async_request_cancel_send<0>;
using async_request_cancel_send_array1 = async_request_cancel_send<1>;
RILL_SCENARIO(async_request_cancel_send_zero, "R9, R50");
RILL_SCENARIO(async_request_cancel_send_array1, "R9, R50");

// async_select_meets_two_senders_*: SPEC R9, R30, R51. A coroutine on thread 0 awaits a select
// over two channels; threads 1 and 2 send one message each, one per channel, with blocking
// sends. Exactly one case fires; the other message is then received by a blocking recv (on a
// rendezvous channel its sender waits for it). Each message is received exactly once (owned
// messages: a loss is a leak, a second delivery a double free), whichever notifier wins the
// select's one task context and whether it wins before or during the registrations.
template <int Capacity>
struct async_select_meets_two_senders : rl::test_suite<async_select_meets_two_senders<Capacity>, 3> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> first;
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> second;

  void before() {
    detail::sync::reset_virtual_time();
    first.emplace(make_channel<owned_message, Capacity>());
    second.emplace(make_channel<owned_message, Capacity>());
  }
  void after() {
    first.reset();
    second.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<std::size_t> fired;
      std::optional<int> value;
      loop.spawn([](receiver<owned_message> a, receiver<owned_message> b, std::optional<std::size_t>& fired,
                    std::optional<int>& value) -> async_task {
        auto outcome = co_await async_select_which(on_recv(a), on_recv(b));
        fired = outcome.index();
        value = outcome.index() == 0 ? outcome.template get<0>()->value() : outcome.template get<1>()->value();
      }(first->second, second->second, fired, value));
      loop.run();
      RILL_MODEL_ASSERT(fired.has_value() && value == (*fired == 0 ? 1 : 2));
      auto rest = (*fired == 0 ? second : first)->second.recv();
      RILL_MODEL_ASSERT(rest.has_value() && rest->value() == (*fired == 0 ? 2 : 1));
    } else {
      auto& channel = index == 1 ? first : second;
      RILL_MODEL_ASSERT(channel->first.send(owned_message(static_cast<int>(index))).has_value());
    }
  }
};
using async_select_meets_two_senders_zero = async_select_meets_two_senders<0>;
using async_select_meets_two_senders_array1 = async_select_meets_two_senders<1>;
RILL_SCENARIO_RANDOM_ONLY(async_select_meets_two_senders_zero, "R9, R30, R51");
RILL_SCENARIO_RANDOM_ONLY(async_select_meets_two_senders_array1, "R9, R30, R51");

// async_select_pairs_with_select_sender_while_closed: SPEC R12, R38, R51. On rendezvous channels,
// a coroutine awaits a select over a and b; thread 1 sends on a with a blocking select (a select
// sender, which the coroutine's registration of a may pair with itself, the hand-off then posting
// it), while thread 2 closes b (a notifier of the other channel, which may choose the task
// context first, so that the pairing fails). Either a fires with the message, or b with
// `disconnected` and the message is then received by a blocking recv; never both, never neither.
struct async_select_pairs_with_select_sender_while_closed
    : rl::test_suite<async_select_pairs_with_select_sender_while_closed, 3> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> first;
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> second;

  void before() {
    detail::sync::reset_virtual_time();
    first.emplace(make_channel<owned_message, 0>());
    second.emplace(make_channel<owned_message, 0>());
  }
  void after() {
    first.reset();
    second.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      std::optional<std::size_t> fired;
      bool received = false;
      loop.spawn([](receiver<owned_message> a, receiver<owned_message> b, std::optional<std::size_t>& fired,
                    bool& received) -> async_task {
        auto outcome = co_await async_select_which(on_recv(a), on_recv(b));
        fired = outcome.index();
        received = outcome.index() == 0 ? outcome.template get<0>()->value() == 7
                                        : outcome.template get<1>().error() == recv_error::disconnected;
      }(first->second, second->second, fired, received));
      loop.run();
      RILL_MODEL_ASSERT(fired.has_value() && received);
      if (*fired == 1) {
        auto rest = first->second.recv();
        RILL_MODEL_ASSERT(rest.has_value() && rest->value() == 7);
      }
    } else if (index == 1) {
      select(on_send(first->first, owned_message(7),
                     [](send_result<owned_message> sent) { RILL_MODEL_ASSERT(sent.has_value()); }));
    } else {
      second->first.close();
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(async_select_pairs_with_select_sender_while_closed, "R12, R38, R51");

// async_timed_recv_races_send_*: SPEC R9, R20, R45. A coroutine awaits a timed receive on a
// rill::run_loop (its timer is the loop's timed work, run when virtual time reaches it) while
// thread 1 sends one message. The timer's abort and the sender's choice race for the task context
// (C1): either the receive gets the message, or it times out having taken nothing and a second,
// untimed receive gets it. Never both, never neither.
template <int Capacity>
struct async_timed_recv_races_send : rl::test_suite<async_timed_recv_races_send<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      run_loop loop;
      int value = 0;
      loop.spawn([](receiver<owned_message> source, int& value) -> async_task {
        auto received = co_await source.async_recv_for(std::chrono::milliseconds(1));
        if (received) {
          value = received->value();
          co_return;
        }
        RILL_MODEL_ASSERT(received.error() == recv_error::timeout);
        auto again = co_await source.async_recv();
        value = again.has_value() ? again->value() : -1;
      }(channel->second, value));
      loop.run();
      RILL_MODEL_ASSERT(value == 7);
      RILL_MODEL_ASSERT(loop.timers() == 0);
    } else {
      RILL_MODEL_ASSERT(channel->first.send(owned_message(7)).has_value());
    }
  }
};
using async_timed_recv_races_send_zero = async_timed_recv_races_send<0>;
using async_timed_recv_races_send_array1 = async_timed_recv_races_send<1>;
RILL_SCENARIO(async_timed_recv_races_send_zero, "R9, R20, R45");
RILL_SCENARIO(async_timed_recv_races_send_array1, "R9, R20, R45");

}  // namespace rill::verify
