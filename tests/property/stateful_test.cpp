// Stateful property tests: random sequences of single-threaded channel operations, compared step
// by step with the reference model (spec/model/channel_model.hpp).
//
// How it works
// ------------
// rapidcheck (rc::state) generates a sequence of commands. Its own "model" here is small and
// deterministic: the flavor and which slots of the handle pool hold a live handle (copy, move and
// reset decide that alone). The oracle is rill::model: the harness keeps a rill::model::state and,
// for every operation, asks rill::model::allowed() what the spec permits, runs the real operation,
// and follows the step whose result equals the real one (rill::model::follow). A real result the
// model does not allow fails the property. The model is advanced in run(), not in apply(), because
// where the spec leaves a choice (an unbounded send with a failing allocator, a rendezvous receive
// with several parked senders) the next state depends on the real result.
//
// After every command the harness checks the accounting: the values alive (message::live) equal
// the messages the model says are still in the channel (buffered, or held by parked peer senders),
// and the messages the channel destroyed (the destruction ledger) are exactly the model's
// `destroyed` (R11, R25). A sequence ends by releasing every handle: nothing may stay alive.
//
// Blocking operations: the driver never issues an operation the model says `blocks` (it would
// hang a single thread); the command is skipped and says so in its output.
//
// Rendezvous peers: a peer_send / peer_recv of the model is realised by a real thread that calls
// the blocking send / recv with its own copy of a handle (the model counts that copy). Two facts
// make that deterministic without timing:
//   * The model may say a peer is parked before the real thread has reached the channel. Until
//     it does, the real channel is in the state the model would be in without that peer, so a
//     non-blocking driver operation that the model says pairs with a parked peer may instead see
//     `full` / `empty` / `timeout` (what it sees without the peer). The harness then retries the
//     same call (bounded number of attempts, yielding in between); any other result fails.
//   * When the model says a peer has completed (paired, or woken by disconnection), the harness
//     waits for that many real peers of that side to return, joins them, checks their results
//     against the model (peer_received, returned_to_peers) and releases their handles through the
//     model (drop_sender / drop_receiver). Blocking driver operations that the model says pair with
//     a parked peer (send, recv, timed forms without a deadline) simply wait for the peer to arrive.
//
// The harness (the real channel's handle pool next to its model, and the peers) is in
// channel_harness.hpp, shared with the selection properties (select_property_test.cpp).
//
// Replay: see property_support.hpp (seed printed at start, replay line on failure).
#include "channel_harness.hpp"
#include "property_support.hpp"

#include <channel_model.hpp>

#include <rapidcheck/state.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace rill_property;  // the harness, its handles and printers (channel_harness.hpp)

/// rapidcheck's model: what decides which commands make sense and how they print.
struct view {
  std::optional<std::size_t> capacity;
  std::array<bool, pool_size> tx_live{true, false, false};
  std::array<bool, pool_size> rx_live{true, false, false};

  [[nodiscard]] bool live(side which, int slot) const {
    return which == side::sender ? tx_live[static_cast<std::size_t>(slot)] : rx_live[static_cast<std::size_t>(slot)];
  }
  void set_live(side which, int slot, bool value) {
    (which == side::sender ? tx_live : rx_live)[static_cast<std::size_t>(slot)] = value;
  }
};

/// The deadline argument of a timed call, as the stateful commands generate it.
enum class wait_arg {
  zero,          // std::chrono::nanoseconds{0}
  negative,      // std::chrono::milliseconds{-3}
  minimum,       // std::chrono::nanoseconds::min()
  small,         // std::chrono::microseconds{200}
  double_small,  // std::chrono::duration<double>{1e-4}
  maximum,       // std::chrono::nanoseconds::max()
  double_max,    // std::chrono::duration<double>::max()
  hours_max,     // std::chrono::hours::max()
};

constexpr std::array all_wait_args{wait_arg::zero,       wait_arg::negative,     wait_arg::minimum,
                                   wait_arg::small,      wait_arg::double_small, wait_arg::maximum,
                                   wait_arg::double_max, wait_arg::hours_max};

std::string duration_text(wait_arg arg);
std::ostream& operator<<(std::ostream& os, wait_arg arg) { return os << duration_text(arg); }

bool never_expires(wait_arg arg) {
  return arg == wait_arg::maximum || arg == wait_arg::double_max || arg == wait_arg::hours_max;
}

std::string duration_text(wait_arg arg) {
  switch (arg) {
    case wait_arg::zero: return "0ns";
    case wait_arg::negative: return "-3ms";
    case wait_arg::minimum: return "std::chrono::nanoseconds::min()";
    case wait_arg::small: return "200us";
    case wait_arg::double_small: return "std::chrono::duration<double>{1e-4}";
    case wait_arg::maximum: return "std::chrono::nanoseconds::max()";
    case wait_arg::double_max: return "std::chrono::duration<double>::max()";
    case wait_arg::hours_max: return "std::chrono::hours::max()";
  }
  return "?";
}

/// As a time point for the _until forms: now + the duration, saturated (the "max" ones become
/// time_point::max() of the matching type, the "min" one time_point::min()).
std::string time_point_text(wait_arg arg) {
  switch (arg) {
    case wait_arg::zero: return "std::chrono::steady_clock::now()";
    case wait_arg::negative: return "std::chrono::steady_clock::now() - 3ms";
    case wait_arg::minimum: return "std::chrono::steady_clock::time_point::min()";
    case wait_arg::small: return "std::chrono::steady_clock::now() + 200us";
    case wait_arg::double_small: return "std::chrono::system_clock::now() - 1h";
    case wait_arg::maximum: return "std::chrono::steady_clock::time_point::max()";
    case wait_arg::double_max:
      return "std::chrono::time_point<std::chrono::system_clock, std::chrono::duration<double>>::max()";
    case wait_arg::hours_max: return "std::chrono::time_point<std::chrono::steady_clock, std::chrono::hours>::max()";
  }
  return "?";
}

template <class Call>
decltype(auto) with_duration(wait_arg arg, Call&& call) {
  switch (arg) {
    case wait_arg::zero: return call(std::chrono::nanoseconds{0});
    case wait_arg::negative: return call(std::chrono::milliseconds{-3});
    case wait_arg::minimum: return call(std::chrono::nanoseconds::min());
    case wait_arg::small: return call(std::chrono::microseconds{200});
    case wait_arg::double_small: return call(std::chrono::duration<double>{1e-4});
    case wait_arg::maximum: return call(std::chrono::nanoseconds::max());
    case wait_arg::double_max: return call(std::chrono::duration<double>::max());
    case wait_arg::hours_max: return call(std::chrono::hours::max());
  }
  return call(std::chrono::nanoseconds{0});
}

template <class Call>
decltype(auto) with_time_point(wait_arg arg, Call&& call) {
  using steady = std::chrono::steady_clock;
  using system = std::chrono::system_clock;
  switch (arg) {
    case wait_arg::zero: return call(steady::now());
    case wait_arg::negative: return call(steady::now() - 3ms);
    case wait_arg::minimum: return call(steady::time_point::min());
    case wait_arg::small: return call(steady::now() + 200us);
    case wait_arg::double_small: return call(system::now() - 1h);
    case wait_arg::maximum: return call(steady::time_point::max());
    case wait_arg::double_max: return call(std::chrono::time_point<system, std::chrono::duration<double>>::max());
    case wait_arg::hours_max: return call(std::chrono::time_point<steady, std::chrono::hours>::max());
  }
  return call(steady::now());
}

using command = rc::state::Command<view, harness>;

/// Expects `call` to throw rill::empty_handle_error (R22); anything else fails.
template <class Call>
void expect_empty_handle_error(harness& h, const model::operation& op, const std::string& code, Call call) {
  bool thrown = false;
  try {
    call();
  } catch (const rill::empty_handle_error&) {
    thrown = true;
  }
  if (!thrown) RC_FAIL(code + " on an empty handle did not throw rill::empty_handle_error");
  h.follow(op, {model::outcome::empty_handle, {}, {}}, code);
}

/// Common tail of every command: settle peers, check accounting.
void after(harness& h) {
  h.settle();
  h.check_accounting();
}

// ----------------------------------------------------------------------------------------------
// Commands
// ----------------------------------------------------------------------------------------------

enum class send_kind { send, try_send, send_for, send_until };
std::ostream& operator<<(std::ostream& os, send_kind kind) {
  static constexpr std::array names{"send", "try_send", "send_for", "send_until"};
  return os << names[static_cast<std::size_t>(kind)];
}

struct send_command : command {
  send_kind kind = *rc::gen::element(send_kind::send, send_kind::try_send, send_kind::send_for, send_kind::send_until);
  int slot = *rc::gen::inRange(0, pool_size);
  int value = *rc::gen::inRange(0, 1000);
  wait_arg wait = *rc::gen::elementOf(all_wait_args);

  send_command() = default;
  /// One try_send of a fill_command: nothing is generated here.
  send_command(int slot_, int value_) : kind(send_kind::try_send), slot(slot_), value(value_), wait(wait_arg::zero) {}

  [[nodiscard]] std::string code() const {
    const std::string name = handle_name(side::sender, slot);
    switch (kind) {
      case send_kind::send: return name + ".send(" + std::to_string(value) + ")";
      case send_kind::try_send: return name + ".try_send(" + std::to_string(value) + ")";
      case send_kind::send_for: return name + ".send_for(" + std::to_string(value) + ", " + duration_text(wait) + ")";
      case send_kind::send_until:
        return name + ".send_until(" + std::to_string(value) + ", " + time_point_text(wait) + ")";
    }
    return "?";
  }

  void run(const view& v, harness& h) const override {
    model::operation op;
    op.kind = kind == send_kind::send       ? model::op_kind::send
              : kind == send_kind::try_send ? model::op_kind::try_send
                                            : model::op_kind::send_timed;
    op.message = value;
    op.deadline = never_expires(wait) ? model::timing::never_expires : model::timing::expires;
    op.on_empty_handle = !v.tx_live[static_cast<std::size_t>(slot)];
    op.allocation_fails = h.allocation_failing();
    RC_ASSERT(h.tx(slot).valid() == v.tx_live[static_cast<std::size_t>(slot)]);  // R22
    tx_handle& tx = h.tx(slot);
    auto attempt = [&]() -> model::result {
      message outgoing(value, /*already_handled=*/op.on_empty_handle);
      rill::send_result<message> result = [&] {
        switch (kind) {
          case send_kind::send: return tx.send(std::move(outgoing));
          case send_kind::try_send: return tx.try_send(std::move(outgoing));
          case send_kind::send_for:
            return with_duration(wait, [&](auto d) { return tx.send_for(std::move(outgoing), d); });
          case send_kind::send_until:
            return with_time_point(wait, [&](auto t) { return tx.send_until(std::move(outgoing), t); });
        }
        return tx.try_send(std::move(outgoing));
      }();
      if (!result) result.error().message.handled = true;
      return from_send(result);
    };
    if (op.on_empty_handle) {
      expect_empty_handle_error(h, op, code(), attempt);
    } else if (h.would_block(op)) {
      RC_TAG("skipped: send would block");
    } else {
      const auto transient = kind == send_kind::try_send ? model::outcome::full : model::outcome::timeout;
      h.run_call(op, code(), transient, attempt);
    }
    after(h);
  }
  void show(std::ostream& os) const override { os << code() << ";"; }
};

enum class recv_kind { recv, try_recv, recv_for, recv_until };
std::ostream& operator<<(std::ostream& os, recv_kind kind) {
  static constexpr std::array names{"recv", "try_recv", "recv_for", "recv_until"};
  return os << names[static_cast<std::size_t>(kind)];
}

struct recv_command : command {
  recv_kind kind = *rc::gen::element(recv_kind::recv, recv_kind::try_recv, recv_kind::recv_for, recv_kind::recv_until);
  int slot = *rc::gen::inRange(0, pool_size);
  wait_arg wait = *rc::gen::elementOf(all_wait_args);

  recv_command() = default;
  /// One try_recv of a drain_command: nothing is generated here.
  explicit recv_command(int slot_) : kind(recv_kind::try_recv), slot(slot_), wait(wait_arg::zero) {}

  [[nodiscard]] std::string code() const {
    const std::string name = handle_name(side::receiver, slot);
    switch (kind) {
      case recv_kind::recv: return name + ".recv()";
      case recv_kind::try_recv: return name + ".try_recv()";
      case recv_kind::recv_for: return name + ".recv_for(" + duration_text(wait) + ")";
      case recv_kind::recv_until: return name + ".recv_until(" + time_point_text(wait) + ")";
    }
    return "?";
  }

  void run(const view& v, harness& h) const override {
    model::operation op;
    op.kind = kind == recv_kind::recv       ? model::op_kind::recv
              : kind == recv_kind::try_recv ? model::op_kind::try_recv
                                            : model::op_kind::recv_timed;
    op.deadline = never_expires(wait) ? model::timing::never_expires : model::timing::expires;
    op.on_empty_handle = !v.rx_live[static_cast<std::size_t>(slot)];
    RC_ASSERT(h.rx(slot).valid() == v.rx_live[static_cast<std::size_t>(slot)]);  // R22
    rx_handle& rx = h.rx(slot);
    auto attempt = [&]() -> model::result {
      rill::recv_result<message> result = [&] {
        switch (kind) {
          case recv_kind::recv: return rx.recv();
          case recv_kind::try_recv: return rx.try_recv();
          case recv_kind::recv_for: return with_duration(wait, [&](auto d) { return rx.recv_for(d); });
          case recv_kind::recv_until: return with_time_point(wait, [&](auto t) { return rx.recv_until(t); });
        }
        return rx.try_recv();
      }();
      if (result) result->handled = true;
      return from_recv(result);
    };
    if (op.on_empty_handle) {
      expect_empty_handle_error(h, op, code(), attempt);
    } else if (h.would_block(op)) {
      RC_TAG("skipped: recv would block");
    } else {
      const auto transient = kind == recv_kind::try_recv ? model::outcome::empty : model::outcome::timeout;
      h.run_call(op, code(), transient, attempt);
    }
    after(h);
  }
  void show(std::ostream& os) const override { os << code() << ";"; }
};

/// try_send of `count` consecutive values: long enough to fill a bounded channel and to cross the
/// unbounded flavor's block boundaries (31 slots per block, KB21).
struct fill_command : command {
  int slot = *rc::gen::inRange(0, pool_size);
  int first = *rc::gen::inRange(0, 1000);
  int count = *rc::gen::inRange(1, 40);

  void run(const view& v, harness& h) const override {
    for (int i = 0; i < count; ++i) {
      const send_command one(slot, first + i);
      one.run(v, h);
    }
  }
  void show(std::ostream& os) const override {
    os << "for (int i = 0; i < " << count << "; ++i) " << handle_name(side::sender, slot) << ".try_send(" << first
       << " + i);";
  }
};

/// try_recv `count` times (drains across block boundaries, KB21).
struct drain_command : command {
  int slot = *rc::gen::inRange(0, pool_size);
  int count = *rc::gen::inRange(1, 40);

  void run(const view& v, harness& h) const override {
    for (int i = 0; i < count; ++i) {
      const recv_command one(slot);
      one.run(v, h);
    }
  }
  void show(std::ostream& os) const override {
    os << "for (int i = 0; i < " << count << "; ++i) " << handle_name(side::receiver, slot) << ".try_recv();";
  }
};

enum class handle_kind { copy, move, reset };
std::ostream& operator<<(std::ostream& os, handle_kind kind) {
  static constexpr std::array names{"copy", "move", "reset"};
  return os << names[static_cast<std::size_t>(kind)];
}

struct handle_command : command {
  side which = *rc::gen::element(side::sender, side::receiver);
  handle_kind kind = *rc::gen::element(handle_kind::copy, handle_kind::move, handle_kind::reset);
  int from = *rc::gen::inRange(0, pool_size);
  int to = *rc::gen::inRange(0, pool_size);

  void apply(view& v) const override {
    const bool from_live = v.live(which, from);
    switch (kind) {
      case handle_kind::copy: v.set_live(which, to, from_live); break;
      case handle_kind::move:
        if (from != to) {
          v.set_live(which, to, from_live);
          v.set_live(which, from, false);
        }
        break;
      case handle_kind::reset: v.set_live(which, from, false); break;
    }
  }

  void run(const view& v, harness& h) const override {
    const bool from_live = v.live(which, from);
    const bool to_live = v.live(which, to);
    const auto clone = which == side::sender ? model::op_kind::clone_sender : model::op_kind::clone_receiver;
    const auto drop = which == side::sender ? model::op_kind::drop_sender : model::op_kind::drop_receiver;
    auto step = [&](model::op_kind op_kind, bool on_empty) {
      model::operation op;
      op.kind = op_kind;
      op.on_empty_handle = on_empty;
      h.follow(op, {model::outcome::ok, {}, {}}, code());
    };
    auto perform = [&](auto& pool_from, auto& pool_to) {
      switch (kind) {
        case handle_kind::copy:
          // operator= takes its argument by value: the copy is made first, then the old handle
          // of `to` is released (R21; copying an empty handle gives an empty handle, R22).
          pool_to = pool_from;
          step(clone, !from_live);
          step(drop, !to_live);
          break;
        case handle_kind::move:
          pool_to = std::move(pool_from);
          if (from != to) step(drop, !to_live);  // moving never changes the counts (R21)
          break;
        case handle_kind::reset:
          pool_from.reset();
          step(drop, !from_live);
          break;
      }
    };
    if (which == side::sender)
      perform(h.tx(from), h.tx(to));
    else
      perform(h.rx(from), h.rx(to));
    after(h);
    // R22: valid() follows the handle's fate.
    view next = v;
    apply(next);
    for (int slot = 0; slot < pool_size; ++slot) {
      RC_ASSERT(h.tx(slot).valid() == next.tx_live[static_cast<std::size_t>(slot)]);
      RC_ASSERT(h.rx(slot).valid() == next.rx_live[static_cast<std::size_t>(slot)]);
    }
  }

  [[nodiscard]] std::string code() const {
    switch (kind) {
      case handle_kind::copy: return handle_name(which, to) + " = " + handle_name(which, from);
      case handle_kind::move: return handle_name(which, to) + " = std::move(" + handle_name(which, from) + ")";
      case handle_kind::reset: return handle_name(which, from) + ".reset()";
    }
    return "?";
  }
  void show(std::ostream& os) const override { os << code() << ";"; }
};

struct close_command : command {
  side which = *rc::gen::element(side::sender, side::receiver);
  int slot = *rc::gen::inRange(0, pool_size);

  void run(const view& v, harness& h) const override {
    model::operation op;
    op.kind = model::op_kind::close;
    op.on_empty_handle = !v.live(which, slot);
    auto call = [&] {
      if (which == side::sender)
        h.tx(slot).close();
      else
        h.rx(slot).close();
    };
    if (op.on_empty_handle) {
      expect_empty_handle_error(h, op, code(), call);
    } else {
      call();
      h.follow(op, {model::outcome::ok, {}, {}}, code());
    }
    after(h);
  }
  [[nodiscard]] std::string code() const { return handle_name(which, slot) + ".close()"; }
  void show(std::ostream& os) const override { os << code() << ";"; }
};

enum class query_kind { size, empty, full, capacity, is_disconnected, sender_count, receiver_count };
std::ostream& operator<<(std::ostream& os, query_kind kind) {
  static constexpr std::array names{"size",         "empty",         "full", "capacity", "is_disconnected",
                                    "sender_count", "receiver_count"};
  return os << names[static_cast<std::size_t>(kind)];
}

struct query_command : command {
  side which = *rc::gen::element(side::sender, side::receiver);
  int slot = *rc::gen::inRange(0, pool_size);
  query_kind kind =
      *rc::gen::element(query_kind::size, query_kind::empty, query_kind::full, query_kind::capacity,
                        query_kind::is_disconnected, query_kind::sender_count, query_kind::receiver_count);

  [[nodiscard]] std::string code() const {
    static constexpr std::array names{"size",         "empty",         "full", "capacity", "is_disconnected",
                                      "sender_count", "receiver_count"};
    return handle_name(which, slot) + "." + names[static_cast<std::size_t>(kind)] + "()";
  }

  template <class Handle>
  static void ask(const Handle& handle, query_kind kind, const model::snapshot& expected, const std::string& code) {
    switch (kind) {
      case query_kind::size: RC_ASSERT(handle.size() == expected.size); break;
      case query_kind::empty: RC_ASSERT(handle.empty() == expected.empty); break;
      case query_kind::full: RC_ASSERT(handle.full() == expected.full); break;
      case query_kind::capacity:
        if (handle.capacity() != expected.capacity) {
          const auto real = handle.capacity();
          RC_FAIL(code + " returned " + (real ? std::to_string(*real) : "nullopt") + ", the model says " +
                  (expected.capacity ? std::to_string(*expected.capacity) : "nullopt"));
        }
        break;
      case query_kind::is_disconnected: RC_ASSERT(handle.is_disconnected() == expected.is_disconnected); break;
      case query_kind::sender_count: RC_ASSERT(handle.sender_count() == expected.sender_count); break;
      case query_kind::receiver_count: RC_ASSERT(handle.receiver_count() == expected.receiver_count); break;
    }
  }

  void run(const view& v, harness& h) const override {
    model::operation op;
    op.kind = model::op_kind::query;
    op.on_empty_handle = !v.live(which, slot);
    auto call = [&](const model::snapshot& expected) {
      if (which == side::sender)
        ask(h.tx(slot), kind, expected, code());
      else
        ask(h.rx(slot), kind, expected, code());
    };
    if (op.on_empty_handle) {
      expect_empty_handle_error(h, op, code(), [&] { call(model::snapshot{}); });
    } else {
      const auto steps = model::allowed(h.state(), op);
      RC_ASSERT(steps.size() == 1u);
      const model::snapshot expected = *steps.front().result.query;
      call(expected);
      h.follow(op, steps.front().result, code());
    }
    after(h);
  }
  void show(std::ostream& os) const override { os << code() << ";"; }
};

/// Unbounded only: turn the failing allocator on or off (R24).
struct allocation_command : command {
  bool failing = *rc::gen::arbitrary<bool>();

  void run(const view&, harness& h) const override {
    h.set_allocation_failing(failing);
    after(h);
  }
  void show(std::ostream& os) const override {
    os << "rill::detail::sync::allocation_hook = " << (failing ? "refuse_allocation" : "nullptr") << ";";
  }
};

/// Rendezvous only: a peer thread calls the blocking send (or recv) with a copy of a pool handle.
struct peer_command : command {
  side which = *rc::gen::element(side::sender, side::receiver);
  int slot = 0;
  int value = *rc::gen::inRange(1000, 2000);

  /// The peer copies a live handle of its side when there is one (an empty one is skipped).
  explicit peer_command(const view& v) {
    std::vector<int> live;
    for (int candidate = 0; candidate < pool_size; ++candidate) {
      if (v.live(which, candidate)) live.push_back(candidate);
    }
    slot = live.empty() ? 0 : *rc::gen::elementOf(live);
  }

  void run(const view& v, harness& h) const override {
    if (!v.live(which, slot)) {
      RC_TAG("skipped: peer from an empty handle");
    } else if (h.live_peers() >= static_cast<std::size_t>(max_live_peers)) {
      RC_TAG("skipped: too many peers");
    } else {
      h.start_peer(which, slot, value);
    }
    after(h);
  }
  void show(std::ostream& os) const override {
    if (which == side::sender) {
      os << "std::thread([tx = " << handle_name(side::sender, slot) << "]() mutable { tx.send(" << value
         << "); });  // peer";
    } else {
      os << "std::thread([rx = " << handle_name(side::receiver, slot) << "]() mutable { rx.recv(); });  // peer";
    }
  }
};

/// One property run: a random sequence on a fresh channel of the given capacity.
void run_sequence(std::optional<std::size_t> capacity) {
  rill_property::reset_accounting();
  {
    harness h(capacity);
    view initial;
    initial.capacity = capacity;
    const bool zero = capacity == std::size_t{0};
    const bool list = !capacity.has_value();
    rc::state::check(initial, h, [zero, list](const view& v) {
      using rc::state::gen::execOneOfWithArgs;
      if (zero) {
        return execOneOfWithArgs<send_command, recv_command, handle_command, close_command, query_command, peer_command,
                                 peer_command, peer_command>()(v);
      }
      if (list) {
        return execOneOfWithArgs<send_command, send_command, recv_command, recv_command, fill_command, drain_command,
                                 handle_command, close_command, query_command, allocation_command>()(v);
      }
      return execOneOfWithArgs<send_command, send_command, recv_command, recv_command, fill_command, drain_command,
                               handle_command, close_command, query_command>()(v);
    });
    h.release_everything();
  }
  RC_ASSERT(message::live.load() == 0L);
  rill_property::reset_accounting();
}

int cases(int normal) { return rill_property::under_tsan() ? normal / 2 : normal; }

TEST(stateful, rendezvous_operations_and_peers_follow_the_model) {
  // SPEC R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R18, R20, R21, R22, R25, R26
  rill_property::check_property(cases(150), 60, [] { run_sequence(std::size_t{0}); });
}

TEST(stateful, bounded_one_operations_follow_the_model) {
  // SPEC R1, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R20, R21, R22, R25, R26
  rill_property::check_property(cases(200), 80, [] { run_sequence(std::size_t{1}); });
}

TEST(stateful, bounded_operations_follow_the_model) {
  // SPEC R1, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R20, R21, R22, R25, R26
  rill_property::check_property(cases(200), 80, [] {
    const auto capacity = static_cast<std::size_t>(*rc::gen::element(2, 3, 5, 8, 33));
    RC_CLASSIFY(true, "capacity " + std::to_string(capacity));
    run_sequence(capacity);
  });
}

TEST(stateful, unbounded_operations_and_allocation_failure_follow_the_model) {
  // SPEC R1, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R20, R21, R22, R24, R25, R26
  rill_property::check_property(cases(200), 80, [] { run_sequence(std::nullopt); });
}

}  // namespace
