// verify/relacy/disconnect_scenarios.hpp - disconnection and lifetime, in every flavor.
// Included by scenarios.cpp. Each scenario is a template over the channel kind (capacity 0 =
// rendezvous, 1 = bounded, unbounded_capacity = unbounded), registered once per kind.
#pragma once

#include "model_support.hpp"

#include <chrono>
#include <cstdint>

namespace rill::verify {

// disconnect_visibility_*: SPEC R10, R16 (KB7). Thread 0 writes plain data and then releases
// the only sender; thread 1 receives until told "disconnected" and then reads the data. Only the
// happens-before edge from the last sender's release to the receive that reports disconnection
// makes that read race-free.
template <int Capacity>
struct disconnect_visibility : rl::test_suite<disconnect_visibility<Capacity>, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::plain<int> payload{0};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      payload.store(1);
      channel->first.reset();
    } else {
      auto result = channel->second.recv();
      RILL_MODEL_ASSERT(!result.has_value() && result.error() == recv_error::disconnected);
      RILL_MODEL_ASSERT(payload.load() == 1);
    }
  }
};
using disconnect_visibility_array = disconnect_visibility<1>;
using disconnect_visibility_list = disconnect_visibility<unbounded_capacity>;
using disconnect_visibility_zero = disconnect_visibility<0>;
RILL_SCENARIO(disconnect_visibility_array, "R10, R16, KB7");
RILL_SCENARIO(disconnect_visibility_list, "R10, R16, KB7");
RILL_SCENARIO(disconnect_visibility_zero, "R10, R16, KB7");

// close_visibility_*: SPEC R12, R16, R7 (KB7, KB13). A message is sent, then data written, then
// close() from the sender side; the receiver drains the message first (try_recv never reports
// disconnected while something is buffered) and then, seeing disconnected, reads the data.
template <int Capacity>
struct close_visibility : rl::test_suite<close_visibility<Capacity>, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::plain<int> payload{0};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      RILL_MODEL_ASSERT(channel->first.send(7).has_value());
      payload.store(1);
      channel->first.close();
    } else {
      auto first = channel->second.recv();
      RILL_MODEL_ASSERT(first.has_value() && *first == 7);
      for (;;) {
        auto next = channel->second.try_recv();
        RILL_MODEL_ASSERT(!next.has_value());
        if (next.error() == recv_error::disconnected) break;
        detail::sync::yield_now();
      }
      RILL_MODEL_ASSERT(payload.load() == 1);
    }
  }
};
using close_visibility_array = close_visibility<1>;
using close_visibility_list = close_visibility<unbounded_capacity>;
RILL_SCENARIO(close_visibility_array, "R7, R12, R16, KB7, KB13");
RILL_SCENARIO(close_visibility_list, "R7, R12, R16, KB7, KB13");

// last_handles_together_*: SPEC R25 (KB10). The last sender and the last receiver are released
// at the same time by two threads while a message is buffered: the shared state is freed exactly
// once and the message destroyed exactly once (Relacy reports a leak or a double free).
template <int Capacity>
struct last_handles_together : rl::test_suite<last_handles_together<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
    if constexpr (Capacity != 0) RILL_MODEL_ASSERT(channel->first.try_send(owned_message(1)).has_value());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      channel->first.reset();
    } else {
      channel->second.reset();
    }
  }
};
using last_handles_together_array = last_handles_together<1>;
using last_handles_together_list = last_handles_together<unbounded_capacity>;
using last_handles_together_zero = last_handles_together<0>;
RILL_SCENARIO(last_handles_together_array, "R25, KB10");
RILL_SCENARIO(last_handles_together_list, "R25, KB10");
RILL_SCENARIO(last_handles_together_zero, "R25, KB10");

// last_receiver_vs_send_*: SPEC R9, R11, R25 (KB6). A send races the last receiver's release:
// either the send succeeds and the buffered message is destroyed by the release, or the send
// fails with the message handed back. Never lost, never destroyed twice.
template <int Capacity>
struct last_receiver_vs_send : rl::test_suite<last_receiver_vs_send<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      auto result = channel->first.send(owned_message(5));
      if (!result) {
        RILL_MODEL_ASSERT(result.error().reason == send_errc::disconnected);
        RILL_MODEL_ASSERT(result.error().message.value() == 5);
      }
    } else {
      channel->second.reset();
    }
  }
};
using last_receiver_vs_send_array = last_receiver_vs_send<1>;
using last_receiver_vs_send_list = last_receiver_vs_send<unbounded_capacity>;
using last_receiver_vs_send_zero = last_receiver_vs_send<0>;
RILL_SCENARIO(last_receiver_vs_send_array, "R9, R11, R25, KB6");
RILL_SCENARIO(last_receiver_vs_send_list, "R9, R11, R25, KB6");
RILL_SCENARIO(last_receiver_vs_send_zero, "R9, R11, R25, KB6");

// list_first_block_vs_last_receiver: SPEC R11, R25 (KB1, KB2, KB3). Two senders race to send
// the first messages of an unbounded channel (one installs the first block in two steps, the
// other may claim a slot in between) while the last receiver is released; then the channel is
// destroyed. No crash on a null head block, no leaked block, no double free.
struct list_first_block_vs_last_receiver : rl::test_suite<list_first_block_vs_last_receiver, 3> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  std::optional<sender<owned_message>> second_sender;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(unbounded<owned_message>());
    second_sender.emplace(channel->first);
  }
  void after() {
    second_sender.reset();
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      (void)channel->first.send(owned_message(1));
      channel->first.reset();
    } else if (index == 1) {
      (void)second_sender->send(owned_message(2));
      second_sender->reset();
    } else {
      channel->second.reset();
    }
  }
};
RILL_SCENARIO(list_first_block_vs_last_receiver, "R11, R25, KB1, KB2, KB3");

// try_recv_after_last_sender_*: SPEC R7, R14 (KB13, KB14, KB22). Thread 0 sends a message and
// releases the only sender, then raises a flag; thread 1 waits for the flag, so both happened
// before its try_recv: it must get the message (never "empty", never "disconnected" first), and
// then "disconnected".
template <int Capacity>
struct try_recv_after_last_sender : rl::test_suite<try_recv_after_last_sender<Capacity>, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::atomic<bool> done{false};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      RILL_MODEL_ASSERT(channel->first.send(3).has_value());
      channel->first.reset();
      done.store(true, std::memory_order_release);
    } else {
      await(done);
      auto message = channel->second.try_recv();
      RILL_MODEL_ASSERT(message.has_value() && *message == 3);
      auto after = channel->second.try_recv();
      RILL_MODEL_ASSERT(!after.has_value() && after.error() == recv_error::disconnected);
    }
  }
};
using try_recv_after_last_sender_array = try_recv_after_last_sender<1>;
using try_recv_after_last_sender_list = try_recv_after_last_sender<unbounded_capacity>;
RILL_SCENARIO(try_recv_after_last_sender_array, "R7, R14, KB13, KB14, KB22");
RILL_SCENARIO(try_recv_after_last_sender_list, "R7, R14, KB13, KB14, KB22");

// timed_handoff_*: SPEC R5, R8, R9, R20. A timed send races a timed receive; the scheduler
// decides when each timeout fires. The message is delivered exactly once or handed back: the
// send succeeded if and only if the receive got it.
template <int Capacity>
struct timed_handoff : rl::test_suite<timed_handoff<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  detail::sync::atomic<int> sent{0};
  detail::sync::atomic<int> received{0};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() {
    // Buffered flavors may still hold the message; the receiver is alive, so take it now.
    if (auto leftover = channel->second.try_recv(); leftover)
      received.store(received.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    RILL_MODEL_ASSERT(sent.load(std::memory_order_relaxed) == received.load(std::memory_order_relaxed));
    channel.reset();
  }

  void thread(unsigned index) {
    using namespace std::chrono_literals;
    if (index == 0) {
      auto result = channel->first.send_for(owned_message(9), 1ms);
      if (result) {
        sent.store(1, std::memory_order_relaxed);
      } else {
        RILL_MODEL_ASSERT(result.error().reason == send_errc::timeout && result.error().message.value() == 9);
      }
    } else {
      auto result = channel->second.recv_for(1ms);
      if (result) {
        RILL_MODEL_ASSERT(result->value() == 9);
        received.store(1, std::memory_order_relaxed);
      } else {
        RILL_MODEL_ASSERT(result.error() == recv_error::timeout);
      }
    }
  }
};
using timed_handoff_array = timed_handoff<1>;
using timed_handoff_zero = timed_handoff<0>;
RILL_SCENARIO(timed_handoff_array, "R5, R8, R9, R20");
RILL_SCENARIO(timed_handoff_zero, "R5, R8, R9, R18, R20");

// largest_duration_never_times_out_*: SPEC R20 (KB5). Under Relacy a timed wait with a deadline
// may time out whenever the scheduler likes; only "no deadline" can never time out. So a
// receive and a send given the largest value of a 32-bit millisecond duration (about 24.8 days,
// which now + d could still represent) must each complete with the partner's message or room,
// never with `timeout`: the type's largest value means "no deadline".
template <int Capacity>
struct largest_duration_never_times_out : rl::test_suite<largest_duration_never_times_out<Capacity>, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, Capacity>());
    if constexpr (Capacity > 0) RILL_MODEL_ASSERT(channel->first.try_send(1).has_value());  // full: the send waits
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    constexpr auto largest = std::chrono::duration<std::int32_t, std::milli>::max();
    if (index == 0) {
      RILL_MODEL_ASSERT(channel->first.send_for(2, largest).has_value());
    } else {
      if constexpr (Capacity > 0) RILL_MODEL_ASSERT(channel->second.recv_for(largest).value_or(0) == 1);
      RILL_MODEL_ASSERT(channel->second.recv_for(largest).value_or(0) == 2);
    }
  }
};
using largest_duration_never_times_out_array = largest_duration_never_times_out<1>;
using largest_duration_never_times_out_zero = largest_duration_never_times_out<0>;
RILL_SCENARIO(largest_duration_never_times_out_array, "R20, KB5");
RILL_SCENARIO(largest_duration_never_times_out_zero, "R20, KB5");

// close_races_send_*: SPEC R9, R12, R7 (KB20). Thread 0 sends one message while thread 1 closes
// the channel from the receiving side and then polls with try_recv until it reports
// `disconnected`. Either the send completed before the close and the message is received exactly
// once before `disconnected`, or the send fails with `disconnected` and its message back; close()
// destroys nothing. On the rendezvous channel a send can only complete by pairing, and nobody
// receives blockingly, so it must fail.
template <int Capacity>
struct close_races_send : rl::test_suite<close_races_send<Capacity>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  detail::sync::plain<int> sent{0};
  detail::sync::plain<int> received{0};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, Capacity>());
  }
  void after() {
    RILL_MODEL_ASSERT(sent.load() == received.load());
    if constexpr (Capacity == 0) RILL_MODEL_ASSERT(sent.load() == 0);
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      auto result = channel->first.send(owned_message(4));
      if (result) {
        sent.store(1);
      } else {
        RILL_MODEL_ASSERT(result.error().reason == send_errc::disconnected && result.error().message.value() == 4);
      }
    } else {
      channel->second.close();
      for (;;) {
        auto message = channel->second.try_recv();
        if (message) {
          RILL_MODEL_ASSERT(message->value() == 4);
          received.store(received.load() + 1);
          continue;
        }
        RILL_MODEL_ASSERT(message.error() == recv_error::disconnected);  // closed: never `empty`
        break;
      }
    }
  }
};
using close_races_send_array = close_races_send<1>;
using close_races_send_list = close_races_send<unbounded_capacity>;
using close_races_send_zero = close_races_send<0>;
RILL_SCENARIO(close_races_send_array, "R7, R9, R12, KB20");
RILL_SCENARIO(close_races_send_list, "R7, R9, R12, KB20");
RILL_SCENARIO(close_races_send_zero, "R7, R9, R12, R18, KB20");

}  // namespace rill::verify
