// Stateful property tests of selection and timers (SPEC R30-R43): random single-threaded
// sequences over several channels and timers, in which selections (rill::selector and the
// rill::select statement) are made among random subsets of operations and compared step by step
// with the reference model (spec/model/channel_model.hpp, "Selection" and timers).
//
// The world
// ---------
// One to three channels, each bounded(0), bounded(1..3) or unbounded, each with its handle pool
// and its model (channel_harness.hpp, as in stateful_test.cpp); two timer slots holding a timer
// made by rill::after, rill::at, rill::tick or rill::never with a generated argument, extremes
// included; and `off`, a never<message>() receiver that switches a statement's case off (R42).
// Rendezvous channels get peers (real threads blocked in send / recv, the model's peer_send /
// peer_recv), at most one parked per channel, so that rendezvous operations can be ready at all:
// the driver never pairs with itself (R35). Before every selection the harness waits until each
// parked peer is visible in its channel (a readiness wait, channel_harness.hpp), so the real
// channels are exactly in the model's state and nothing is left to timing.
//
// A selection is built from a random list of operations: receives and sends on the channels (the
// same channel twice or in both directions is common, R37), receives on the timers and on `off`,
// sometimes an empty handle (R39: adding it throws, nothing starts). For each operation the model
// says whether it is ready (yes / no / maybe: a timer whose time is near). The properties:
//   - the selection returns an operation that may be ready, and reports would_block / timeout /
//     runs its default or timeout case only if none is certainly ready (R30, R32, R35, R42);
//     in the biased mode it never passes over an operation that is certainly ready (R31);
//   - what the chosen operation did is a step of the model: a selected receive holds what
//     try_recv would have returned; a completed send does what try_send would; an abandoned send
//     changes nothing; an abandoned receive's message is destroyed exactly once (R33, R34);
//   - a readiness query (try_ready, ready_for, ready) answers the same way and starts nothing
//     (R36);
//   - completing a selected operation with a copy of its handle works (R33, KB9), completing it
//     with another channel's handle, in the wrong direction or twice throws std::logic_error and
//     changes nothing (R33), selecting while an operation is pending throws (R39), remove() of an
//     unknown index throws and a removed operation is never selected (R39);
//   - releasing a channel's last receivers while a selected operation is pending returns (it
//     does not wait for the operation, even one this thread holds) and destroys what is buffered;
//     a pending send then completes with `disconnected` and its message back (R34, R11, R33).
// Apart from that release, a selected operation is completed or abandoned before anything else
// happens: what a bounded channel's claimed slot does while other sends pass it (R34's holes) is
// not modelled here.
// After every command: every channel's queries (size, empty, full, capacity, is_disconnected,
// handle counts) equal the model's (R26), every timer's queries are those of R43, the values
// alive are exactly the messages the models hold and the ledger of destroyed values is exactly
// what the models say was destroyed (R9, R11, R25, R34).
//
// Timing never decides the outcome: timers are made either due at once (a delay of zero or less,
// a time point in the past), or so far away that they are never due while the test runs, or
// "soon" (a few hundred microseconds), in which case the model allows both answers. A timed
// selection with nothing ready and a short deadline must time out: no other thread can make one
// of its operations ready (every peer is parked and visible). Blocking forms (select(), ready(),
// deadlines that never come) are made only when the model says some operation is, or will soon
// be, ready.
//
// Replay: see property_support.hpp (seed printed at start, replay line on failure).
#include "channel_harness.hpp"
#include "property_support.hpp"

#include <channel_model.hpp>

#include <rapidcheck/state.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <future>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace rill_property;  // the harness, its handles and printers (channel_harness.hpp)
using rill::instant;
using steady = std::chrono::steady_clock;

constexpr int max_channels = 3;
constexpr int timer_slots = 2;
/// Peer threads alive at once, over all channels.
constexpr std::size_t max_peers = 4;

/// A uniform integer in [min, max) whatever the generation size (rapidcheck's inRange narrows its
/// range at small sizes, which would make every "one in n" choice certain there); it still
/// shrinks towards `min`.
int uniform(int min, int max) { return *rc::gen::resize(100, rc::gen::inRange(min, max)); }
/// True once in `n` times; shrinks towards false.
bool one_in(int n) { return uniform(0, n) == n - 1; }
/// One of `choices`, uniformly (a choice listed twice is twice as likely); shrinks towards the
/// first, so list the simplest first.
template <class T>
T pick(std::initializer_list<T> choices) {
  return *(choices.begin() + uniform(0, static_cast<int>(choices.size())));
}

// ----------------------------------------------------------------------------------------------
// Timers: how each is made, and what the model knows of it
// ----------------------------------------------------------------------------------------------

enum class timer_spec {
  after_zero,             // due at once (R40)
  after_negative,         //
  after_minimum,          //
  after_negative_double,  //
  at_past,                //
  at_minimum,             //
  at_past_system,         //
  after_soon,             // due within a few hundred microseconds: the model cannot tell when
  at_soon,                //
  tick_soon,              //
  after_far,              // representable, but never reached while the test runs
  at_far,                 //
  tick_far,               //
  after_maximum,          // too far to represent: never (R44, KB5)
  after_hours_maximum,    //
  after_double_maximum,   //
  after_int32_maximum,    //
  at_maximum,             //
  at_system_maximum,      //
  tick_maximum,           //
  tick_double_maximum,    //
  never,                  // never<instant>() (R42)
};

constexpr std::array all_timer_specs{timer_spec::after_zero,
                                     timer_spec::after_negative,
                                     timer_spec::after_minimum,
                                     timer_spec::after_negative_double,
                                     timer_spec::at_past,
                                     timer_spec::at_minimum,
                                     timer_spec::at_past_system,
                                     timer_spec::after_soon,
                                     timer_spec::at_soon,
                                     timer_spec::tick_soon,
                                     timer_spec::after_far,
                                     timer_spec::at_far,
                                     timer_spec::tick_far,
                                     timer_spec::after_maximum,
                                     timer_spec::after_hours_maximum,
                                     timer_spec::after_double_maximum,
                                     timer_spec::after_int32_maximum,
                                     timer_spec::at_maximum,
                                     timer_spec::at_system_maximum,
                                     timer_spec::tick_maximum,
                                     timer_spec::tick_double_maximum,
                                     timer_spec::never};

constexpr auto soon = 300us;

std::string timer_code(timer_spec spec) {
  switch (spec) {
    case timer_spec::after_zero: return "rill::after(0ns)";
    case timer_spec::after_negative: return "rill::after(-5ms)";
    case timer_spec::after_minimum: return "rill::after(nanoseconds::min())";
    case timer_spec::after_negative_double: return "rill::after(duration<double>{-1e300})";
    case timer_spec::at_past: return "rill::at(steady_clock::now() - 1s)";
    case timer_spec::at_minimum: return "rill::at(rill::instant::min())";
    case timer_spec::at_past_system: return "rill::at(system_clock::now() - 1h)";
    case timer_spec::after_soon: return "rill::after(300us)";
    case timer_spec::at_soon: return "rill::at(steady_clock::now() + 300us)";
    case timer_spec::tick_soon: return "rill::tick(300us)";
    case timer_spec::after_far: return "rill::after(1h)";
    case timer_spec::at_far: return "rill::at(steady_clock::now() + hours{876000})";
    case timer_spec::tick_far: return "rill::tick(24h)";
    case timer_spec::after_maximum: return "rill::after(nanoseconds::max())";
    case timer_spec::after_hours_maximum: return "rill::after(hours::max())";
    case timer_spec::after_double_maximum: return "rill::after(duration<double>::max())";
    case timer_spec::after_int32_maximum: return "rill::after(duration<int32_t, milli>::max())";
    case timer_spec::at_maximum: return "rill::at(rill::instant::max())";
    case timer_spec::at_system_maximum: return "rill::at(system_clock::time_point::max())";
    case timer_spec::tick_maximum: return "rill::tick(hours::max())";
    case timer_spec::tick_double_maximum: return "rill::tick(duration<double>::max())";
    case timer_spec::never: return "rill::never<rill::instant>()";
  }
  return "?";
}
std::ostream& operator<<(std::ostream& os, timer_spec spec) { return os << timer_code(spec); }

std::string time_text(instant when) { return std::to_string(when.time_since_epoch().count()) + "ns"; }

/// A timer slot: the real receiver and what the model knows of it.
struct timer_slot {
  timer_spec spec = timer_spec::never;
  rill::receiver<instant> rx = rill::never<instant>();
  model::timer_state model = model::make_never();
  instant lower = instant::min();  // no message may be earlier
  std::optional<instant> exact;    // the message's time, where the argument fixes it (R40)
  instant::duration step{0};       // tick: messages are a whole number of periods apart (R41)
  std::optional<instant> last;     // tick: the last message received
};

timer_slot make_timer(timer_spec spec) {
  using namespace std::chrono;
  const instant before = rill::timer_clock::now();
  const auto made = [spec](rill::receiver<instant> rx, model::timer_state state) {
    timer_slot slot;
    slot.spec = spec;
    slot.rx = std::move(rx);
    slot.model = state;
    return slot;
  };
  const auto exactly = [](timer_slot slot, instant when) {
    slot.exact = when;
    return slot;
  };
  const auto not_before = [](timer_slot slot, instant lower) {
    slot.lower = lower;
    return slot;
  };
  const auto due = model::make_timer_once(model::timer_due::now);
  const auto soon_once = model::make_timer_once(model::timer_due::unknown);
  const auto far = model::make_timer_once(model::timer_due::never);
  const auto far_tick = model::make_timer_tick(model::timer_due::never);
  switch (spec) {
    case timer_spec::after_zero: return made(rill::after(0ns), due);
    case timer_spec::after_negative: return made(rill::after(-5ms), due);
    case timer_spec::after_minimum: return made(rill::after(nanoseconds::min()), due);
    case timer_spec::after_negative_double: return made(rill::after(duration<double>{-1e300}), due);
    case timer_spec::at_past: return exactly(made(rill::at(before - 1s), due), before - 1s);
    case timer_spec::at_minimum: return exactly(made(rill::at(instant::min()), due), instant::min());
    case timer_spec::at_past_system: return made(rill::at(system_clock::now() - 1h), due);
    case timer_spec::after_soon: return not_before(made(rill::after(soon), soon_once), before + soon);
    case timer_spec::at_soon: return exactly(made(rill::at(before + soon), soon_once), before + soon);
    case timer_spec::tick_soon: {
      timer_slot slot =
          not_before(made(rill::tick(soon), model::make_timer_tick(model::timer_due::unknown)), before + soon);
      slot.step = soon;
      return slot;
    }
    case timer_spec::after_far: return made(rill::after(1h), far);
    case timer_spec::at_far: return made(rill::at(before + hours{876000}), far);
    case timer_spec::tick_far: return made(rill::tick(24h), far_tick);
    case timer_spec::after_maximum: return made(rill::after(nanoseconds::max()), far);
    case timer_spec::after_hours_maximum: return made(rill::after(hours::max()), far);
    case timer_spec::after_double_maximum: return made(rill::after(duration<double>::max()), far);
    case timer_spec::after_int32_maximum: return made(rill::after(duration<std::int32_t, std::milli>::max()), far);
    case timer_spec::at_maximum: return made(rill::at(instant::max()), far);
    case timer_spec::at_system_maximum: return made(rill::at(system_clock::time_point::max()), far);
    case timer_spec::tick_maximum: return made(rill::tick(hours::max()), far_tick);
    case timer_spec::tick_double_maximum: return made(rill::tick(duration<double>::max()), far_tick);
    case timer_spec::never: return made(rill::never<instant>(), model::make_never());
  }
  return made(rill::never<instant>(), model::make_never());
}

// ----------------------------------------------------------------------------------------------
// rapidcheck's model and the world
// ----------------------------------------------------------------------------------------------

/// What decides which commands make sense: the channels' capacities and which pool slots hold a
/// live handle (copy and reset decide that alone).
struct view {
  std::vector<std::optional<std::size_t>> capacities;
  std::vector<std::array<bool, pool_size>> tx_live;
  std::vector<std::array<bool, pool_size>> rx_live;

  [[nodiscard]] int channels() const { return static_cast<int>(capacities.size()); }
  [[nodiscard]] bool live(int channel, side which, int slot) const {
    const auto& pool = which == side::sender ? tx_live : rx_live;
    return pool[static_cast<std::size_t>(channel)][static_cast<std::size_t>(slot)];
  }
  void set_live(int channel, side which, int slot, bool value) {
    auto& pool = which == side::sender ? tx_live : rx_live;
    pool[static_cast<std::size_t>(channel)][static_cast<std::size_t>(slot)] = value;
  }
  [[nodiscard]] bool has_rendezvous() const {
    return std::any_of(capacities.begin(), capacities.end(), [](auto c) { return c == std::size_t{0}; });
  }
};

std::string channel_name(int channel) { return "c" + std::to_string(channel) + "."; }
std::string capacity_text(std::optional<std::size_t> capacity) {
  return capacity ? "bounded(" + std::to_string(*capacity) + ")" : "unbounded()";
}

/// The system under test: the channels (each next to its model), the timers and `off`.
class world {
 public:
  explicit world(const std::vector<std::optional<std::size_t>>& capacities) {
    for (std::size_t index = 0; index < capacities.size(); ++index) {
      channels_.push_back(std::make_unique<harness>(capacities[index], channel_name(static_cast<int>(index))));
    }
  }

  harness& channel(int index) { return *channels_[static_cast<std::size_t>(index)]; }
  [[nodiscard]] int channel_count() const { return static_cast<int>(channels_.size()); }
  timer_slot& timer(int index) { return timers_[static_cast<std::size_t>(index)]; }
  rx_handle& off() { return off_; }

  [[nodiscard]] std::size_t peers() const {
    std::size_t count = 0;
    for (const auto& channel : channels_) count += channel->live_peers();
    return count;
  }

  /// Follows a receive from timer `index` that got the message `got` (or nothing): the real
  /// answer must be one of the model's steps, and the message's time must fit the timer's argument.
  void follow_timer(int index, std::optional<instant> got, const std::string& code) {
    timer_slot& slot = timer(index);
    const auto steps = model::timer_receive(slot.model);
    for (const auto& step : steps) {
      if (step.received != got.has_value()) continue;
      if (got) check_timer_message(slot, *got, code);
      slot.model = step.next;
      return;
    }
    RC_FAIL(code + (got ? " received a message (" + time_text(*got) + ")" : std::string(" found nothing")) +
            " from timer" + std::to_string(index) + " = " + timer_code(slot.spec) + ", which the model says is " +
            std::string(model::to_string(model::timer_ready(slot.model))) + " ready");
  }

  /// After every command: peers settled and visible, accounting, every query against the model.
  void check() {
    for (auto& channel : channels_) channel->settle();
    for (auto& channel : channels_) channel->await_parked_peers();
    check_accounting(channels_);
    for (auto& channel : channels_) check_queries(*channel);
    for (int index = 0; index < timer_slots; ++index) check_timer_queries(index);
  }

  /// Ends a sequence: every handle released through the models; nothing may stay alive (R25).
  void release_everything() {
    for (auto& channel : channels_) channel->release_everything([this] { check_accounting(channels_); });
    RC_ASSERT(message::live.load() == 0L);
  }

 private:
  static void check_timer_message(timer_slot& slot, instant got, const std::string& code) {
    const instant now = rill::timer_clock::now();
    const std::string where = code + " from " + timer_code(slot.spec) + ": message " + time_text(got);
    if (got > now) RC_FAIL(where + " is later than the receive (" + time_text(now) + "): delivered early (R40)");
    if (slot.exact && got != *slot.exact) RC_FAIL(where + ", but the timer was made for " + time_text(*slot.exact));
    if (got < slot.lower) RC_FAIL(where + " is earlier than its time, " + time_text(slot.lower) + " (R40, R41)");
    if (slot.model.periodic) {
      if (slot.last) {
        if (got <= *slot.last) RC_FAIL(where + " is not after the previous tick " + time_text(*slot.last) + " (R41)");
        if ((got - *slot.last) % slot.step != instant::duration::zero()) {
          RC_FAIL(where + " is not a whole number of periods after the previous tick " + time_text(*slot.last) +
                  ": the schedule lost its phase (R41)");
        }
      }
      slot.last = got;
    }
  }

  /// R26 through a live handle of the channel (any side): the model's snapshot.
  static void check_queries(harness& channel) {
    model::operation query;
    query.kind = model::op_kind::query;
    const auto steps = model::allowed(channel.state(), query);
    if (steps.empty()) return;  // no live handle left in the driver
    const model::snapshot expected = *steps.front().result.query;
    for (int slot = 0; slot < pool_size; ++slot) {
      if (channel.tx(slot)) return compare(channel.tx(slot), expected, channel, handle_name(side::sender, slot));
      if (channel.rx(slot)) return compare(channel.rx(slot), expected, channel, handle_name(side::receiver, slot));
    }
  }

  template <class Handle>
  static void compare(const Handle& handle, const model::snapshot& expected, const harness& channel,
                      const std::string& handle_text) {
    model::snapshot real;
    real.size = handle.size();
    real.empty = handle.empty();
    real.full = handle.full();
    real.capacity = handle.capacity();
    real.is_disconnected = handle.is_disconnected();
    real.sender_count = handle.sender_count();
    real.receiver_count = handle.receiver_count();
    if (real == expected) return;
    const auto text = [](const model::snapshot& q) {
      return "{size=" + std::to_string(q.size) + " empty=" + std::to_string(q.empty) +
             " full=" + std::to_string(q.full) + " capacity=" + (q.capacity ? std::to_string(*q.capacity) : "nullopt") +
             " disconnected=" + std::to_string(q.is_disconnected) + " senders=" + std::to_string(q.sender_count) +
             " receivers=" + std::to_string(q.receiver_count) + "}";
    };
    RC_FAIL(channel.name() + handle_text + " queries (R26) returned " + text(real) + "; the model says " +
            text(expected) + " in " + describe(channel.state()));
  }

  /// R43: size() is 1 while a message is due, capacity() 1 (0 for never), no senders, never
  /// disconnected, and close() (not issued here) would change nothing.
  void check_timer_queries(int index) {
    timer_slot& slot = timer(index);
    const std::string where = "timer" + std::to_string(index) + " = " + timer_code(slot.spec);
    // Two reads, in this order: a message that is due stays due (time only moves forward), so a
    // timer that was not empty must then have size 1; one that was empty may have become due.
    const bool was_empty = slot.rx.empty();
    const std::size_t size = slot.rx.size();
    const model::readiness ready = model::timer_ready(slot.model);
    const bool allowed = size <= 1 && (was_empty || size == 1) &&
                         (ready == model::readiness::maybe || (ready == model::readiness::yes) == !was_empty) &&
                         (ready == model::readiness::maybe || (ready == model::readiness::yes) == (size == 1));
    if (!allowed) {
      RC_FAIL(where + ": empty() " + std::to_string(was_empty) + " then size() " + std::to_string(size) +
              ", but the model says it is " + std::string(model::to_string(ready)) + " ready (R43)");
    }
    if (size == 1) slot.model = model::seen_due(slot.model);
    if (slot.rx.capacity() != std::optional<std::size_t>(slot.model.capacity)) RC_FAIL(where + ": capacity() (R43)");
    if (slot.rx.sender_count() != 0u || slot.rx.receiver_count() != 1u) RC_FAIL(where + ": handle counts (R43)");
    if (slot.rx.is_disconnected()) RC_FAIL(where + ": a timer is never disconnected (R43)");
  }

  std::vector<std::unique_ptr<harness>> channels_;
  std::array<timer_slot, timer_slots> timers_;
  rx_handle off_ = rill::never<message>();
};

using command = rc::state::Command<view, world>;

/// Common tail of every command.
void after(world& w) { w.check(); }

/// The values the destruction ledger gained since `before` (a sorted copy taken then).
std::vector<int> newly_destroyed(const std::vector<int>& before) {
  std::vector<int> now = destruction_ledger::instance().sorted_copy();
  std::vector<int> gained;
  std::set_difference(now.begin(), now.end(), before.begin(), before.end(), std::back_inserter(gained));
  return gained;
}

/// The test itself destroyed `values` (messages of send cases the statement did not choose):
/// takes them out of the ledger so that it lists only what the channels and selections
/// destroyed. Each must be there exactly once.
void forget_destroyed(const std::vector<int>& before, std::vector<int> values, const std::string& code) {
  std::sort(values.begin(), values.end());
  if (newly_destroyed(before) != values) {
    std::string text;
    for (int value : values) text += std::to_string(value) + " ";
    RC_FAIL(code + ": the messages of the send cases not chosen (" + text +
            ") were not each destroyed exactly once, and nothing else");
  }
  std::vector<int> all = destruction_ledger::instance().take();
  for (int value : values) all.erase(std::find(all.begin(), all.end(), value));
  for (int value : all) destruction_ledger::instance().record(value);
}

template <class Exception, class Call>
void expect_throw(Call call, const std::string& code) {
  try {
    call();
  } catch (const Exception&) {
    return;
  }
  RC_FAIL(code + " did not throw");
}

// ----------------------------------------------------------------------------------------------
// The operations of a selection
// ----------------------------------------------------------------------------------------------

enum class target { channel, timer, off };

/// One operation: a receive or send on a pool handle of a channel, or a receive on a timer or
/// on `off`.
struct op_spec {
  target on = target::channel;
  model::direction dir = model::direction::recv;
  int index = 0;  // the channel or the timer
  int slot = 0;   // the pool slot of the handle (channels)

  [[nodiscard]] bool sends() const { return on == target::channel && dir == model::direction::send; }
  [[nodiscard]] std::string handle() const {
    switch (on) {
      case target::channel:
        return channel_name(index) + handle_name(dir == model::direction::send ? side::sender : side::receiver, slot);
      case target::timer: return "timer" + std::to_string(index);
      case target::off: return "off";
    }
    return "?";
  }
};

/// A channel operation on a live handle when there is one (sometimes on an empty one, R39).
op_spec generate_channel_op(const view& v, std::optional<model::direction> dir, std::optional<int> channel) {
  op_spec op;
  op.on = target::channel;
  op.index = channel ? *channel : uniform(0, v.channels());
  op.dir = dir ? *dir : pick({model::direction::recv, model::direction::send});
  const side which = op.dir == model::direction::send ? side::sender : side::receiver;
  std::vector<int> live;
  for (int slot = 0; slot < pool_size; ++slot) {
    if (v.live(op.index, which, slot)) live.push_back(slot);
  }
  const bool empty_handle = live.empty() || one_in(40);
  op.slot = empty_handle ? uniform(0, pool_size) : *rc::gen::elementOf(live);
  return op;
}

/// A receive (or, if `sends`, a send) of a selection; a quarter of them on the channel of the
/// operation before (the same channel twice, R37).
op_spec generate_op(const view& v, const std::vector<op_spec>& before, bool allow_send, bool allow_other) {
  std::optional<int> same;
  if (!before.empty() && before.back().on == target::channel && one_in(4)) same = before.back().index;
  const int pick = uniform(0, 10);
  if (allow_other && !same && pick == 0) return op_spec{target::off, model::direction::recv, 0, 0};
  if (allow_other && !same && pick <= 2) {
    return op_spec{target::timer, model::direction::recv, uniform(0, timer_slots), 0};
  }
  return generate_channel_op(v, allow_send ? std::nullopt : std::optional(model::direction::recv), same);
}

model::readiness readiness_of(world& w, const op_spec& op) {
  switch (op.on) {
    case target::channel: return model::select_ready(w.channel(op.index).state(), op.dir);
    case target::timer: return model::timer_ready(w.timer(op.index).model);
    case target::off: return model::readiness::no;
  }
  return model::readiness::no;
}

/// The pool handle of a channel operation, or nothing when that slot is empty.
bool live_handle(world& w, const op_spec& op) {
  if (op.on != target::channel) return true;
  harness& h = w.channel(op.index);
  return op.sends() ? h.tx(op.slot).valid() : h.rx(op.slot).valid();
}

std::string describe_ready(const std::vector<op_spec>& ops, const std::vector<model::readiness>& ready) {
  std::string text = "[";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    text += std::to_string(i) + ":" + ops[i].handle() + (ops[i].sends() ? " send " : " recv ") +
            std::string(model::to_string(ready[i])) + (i + 1 < ops.size() ? ", " : "");
  }
  return text + "]";
}

/// What an operation was on, for the case statistics (RILL_PROPERTY_TAGS=1).
std::string tag_of(world& w, const op_spec& op) {
  if (op.on == target::timer) return "recv on a timer";
  if (op.on == target::off) return "recv on never";
  const model::state& channel = w.channel(op.index).state();
  std::string text = op.sends() ? "send on " : "recv on ";
  switch (model::kind_of(channel)) {
    case model::flavor::zero: text += "rendezvous"; break;
    case model::flavor::array: text += "bounded"; break;
    case model::flavor::list: text += "unbounded"; break;
  }
  if (op.sends() ? model::send_disconnected(channel) : model::recv_disconnected(channel) && channel.buffer.empty()) {
    text += ", disconnected";
  }
  return text;
}

/// Another live handle of the same channel and side as `op` (a copy, R33, KB9), or its own.
int copy_slot(world& w, const op_spec& op) {
  harness& h = w.channel(op.index);
  for (int slot = 0; slot < pool_size; ++slot) {
    if (slot != op.slot && (op.sends() ? h.tx(slot).valid() : h.rx(slot).valid())) return slot;
  }
  return op.slot;
}

/// A live receiver of a channel other than `not_this` (-1: any), for the misuse checks.
rx_handle* some_receiver(world& w, int not_this) {
  for (int channel = 0; channel < w.channel_count(); ++channel) {
    if (channel == not_this) continue;
    for (int slot = 0; slot < pool_size; ++slot) {
      if (w.channel(channel).rx(slot)) return &w.channel(channel).rx(slot);
    }
  }
  return nullptr;
}
tx_handle* some_sender(world& w, int not_this) {
  for (int channel = 0; channel < w.channel_count(); ++channel) {
    if (channel == not_this) continue;
    for (int slot = 0; slot < pool_size; ++slot) {
      if (w.channel(channel).tx(slot)) return &w.channel(channel).tx(slot);
    }
  }
  return nullptr;
}

// ----------------------------------------------------------------------------------------------
// rill::selector
// ----------------------------------------------------------------------------------------------

enum class select_form {
  try_select,
  select_for_zero,
  select_for_minimum,
  select_until_past,
  select_for_short,
  select_until_short,
  select,
  select_for_maximum,
  select_until_maximum,
  select_until_system_maximum,
};

std::string form_code(select_form form) {
  switch (form) {
    case select_form::try_select: return "try_select()";
    case select_form::select_for_zero: return "select_for(0ns)";
    case select_form::select_for_minimum: return "select_for(nanoseconds::min())";
    case select_form::select_until_past: return "select_until(steady_clock::now() - 1ms)";
    case select_form::select_for_short: return "select_for(200us)";
    case select_form::select_until_short: return "select_until(steady_clock::now() + 200us)";
    case select_form::select: return "select()";
    case select_form::select_for_maximum: return "select_for(nanoseconds::max())";
    case select_form::select_until_maximum: return "select_until(steady_clock::time_point::max())";
    case select_form::select_until_system_maximum: return "select_until(system_clock::time_point::max())";
  }
  return "?";
}

bool blocks(select_form form) {
  return form == select_form::select || form == select_form::select_for_maximum ||
         form == select_form::select_until_maximum || form == select_form::select_until_system_maximum;
}

enum class finish_kind { complete, complete_with_copy, abandon, destroy_operation, destroy_selector };

/// How the command finishes the selected operation, as code.
std::string finish_code(finish_kind finish, int value) {
  const std::string complete = "chosen->recv(its rx) or chosen->send(its tx, " + std::to_string(value) + ")";
  switch (finish) {
    case finish_kind::complete: return complete + ";";
    case finish_kind::complete_with_copy: return complete + ";  // through another handle of the channel";
    case finish_kind::abandon: return "chosen->abandon();";
    case finish_kind::destroy_operation: return "chosen.reset();  // abandons";
    case finish_kind::destroy_selector: return "s.~selector();  // abandons";
  }
  return "?";
}

/// A selector whose mode is chosen at run time (rill::selector cannot be moved).
struct selector_box {
  rill::selector selection;
  explicit selector_box(bool biased) : selection(biased ? rill::selector::biased() : rill::selector()) {}
};

/// Adds `ops` to `selection`; false if an operation on an empty handle threw as R39 requires
/// (the first one, before any other was started); fails the property if that did not happen.
bool add_all(world& w, rill::selector& selection, const std::vector<op_spec>& ops, const std::string& code) {
  for (const op_spec& op : ops) {
    const bool live = live_handle(w, op);
    try {
      switch (op.on) {
        case target::channel:
          if (op.sends()) {
            (void)selection.send(w.channel(op.index).tx(op.slot));
          } else {
            (void)selection.recv(w.channel(op.index).rx(op.slot));
          }
          break;
        case target::timer: (void)selection.recv(w.timer(op.index).rx); break;
        case target::off: (void)selection.recv(w.off()); break;
      }
    } catch (const rill::empty_handle_error&) {
      if (live) RC_FAIL(code + ": adding " + op.handle() + " threw empty_handle_error for a live handle");
      RC_TAG("selection with an empty handle");
      return false;
    }
    if (!live) RC_FAIL(code + ": adding the empty handle " + op.handle() + " did not throw empty_handle_error (R39)");
  }
  return true;
}

/// Resets every receiver handle of channel `index` in the pool, through the model. Done on a
/// helper thread, so that a release that waits for an operation the driver holds (R34: it must
/// not) is reported instead of hanging: after a generous bound `unstick` is called (it abandons
/// the held operation) and the property fails.
template <class Unstick>
void release_receivers(world& w, int index, Unstick unstick, const std::string& code) {
  harness& h = w.channel(index);
  std::vector<int> slots;
  for (int slot = 0; slot < pool_size; ++slot) {
    if (h.rx(slot)) slots.push_back(slot);
  }
  if (slots.empty()) return;
  auto released = std::async(std::launch::async, [&h, &slots] {
    for (int slot : slots) h.rx(slot).reset();
  });
  if (released.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    unstick();
    released.wait();
    RC_FAIL(code + ": releasing the receivers of " + h.name() +
            " did not return while a selected operation was pending (R34, R11)");
  }
  for (int slot : slots) {
    model::operation drop;
    drop.kind = model::op_kind::drop_receiver;
    h.follow(drop, {model::outcome::ok, {}, {}},
             code + ": " + h.name() + handle_name(side::receiver, slot) + ".reset()");
  }
}

struct select_command : command {
  std::vector<op_spec> ops;
  std::vector<int> removals;  // selector::remove(i), in order; out of range or repeated ones throw
  bool biased = false;
  select_form form = select_form::try_select;
  finish_kind finish = finish_kind::complete;
  bool misuse = false;  // try wrong completions and a selection while pending first
  /// Reset every receiver handle of this channel while the selected operation is pending (the
  /// last receiver going, R11, R34); done after the selection whatever it found.
  std::optional<int> release;
  int value = 0;

  explicit select_command(const view& v) {
    const int count = uniform(0, 6);
    for (int i = 0; i < count; ++i) ops.push_back(generate_op(v, ops, true, true));
    if (one_in(5)) {
      const int removed = uniform(1, 3);
      for (int i = 0; i < removed; ++i) removals.push_back(uniform(0, count + 1));
    }
    biased = one_in(3);
    form = pick({select_form::try_select, select_form::try_select, select_form::select_for_zero,
                 select_form::select_for_minimum, select_form::select_until_past, select_form::select_for_short,
                 select_form::select_until_short, select_form::select, select_form::select_for_maximum,
                 select_form::select_until_maximum, select_form::select_until_system_maximum});
    finish = pick({finish_kind::complete, finish_kind::complete, finish_kind::complete_with_copy, finish_kind::abandon,
                   finish_kind::destroy_operation, finish_kind::destroy_selector});
    misuse = one_in(4);
    if (one_in(8)) {
      // Mostly the channel of a send of this selection: the case R34 is about.
      std::vector<int> sent_on;
      for (const op_spec& op : ops) {
        if (op.sends()) sent_on.push_back(op.index);
      }
      release = !sent_on.empty() && !one_in(4)
                    ? sent_on[static_cast<std::size_t>(uniform(0, static_cast<int>(sent_on.size())))]
                    : uniform(0, v.channels());
    }
    value = uniform(2000, 3000);
  }

  void apply(view& v) const override {
    if (release) {
      for (int slot = 0; slot < pool_size; ++slot) v.set_live(*release, side::receiver, slot, false);
    }
  }

  [[nodiscard]] std::string code() const {
    std::string text = std::string("{ rill::selector s") + (biased ? " = rill::selector::biased()" : "") + "; ";
    for (std::size_t i = 0; i < ops.size(); ++i) {
      text += std::string("s.") + (ops[i].sends() ? "send(" : "recv(") + ops[i].handle() + ") /*" + std::to_string(i) +
              "*/; ";
    }
    for (int removed : removals) text += "s.remove(" + std::to_string(removed) + "); ";
    text += "auto chosen = s." + form_code(form) + "; ";
    if (misuse) text += "/* s.try_select() and wrong completions throw */ ";
    if (release) {
      text += "/* while pending: */ " + channel_name(*release) + "rx*.reset(); ";
      text += "/* a pending receive on that channel is abandoned first */ ";
    }
    return text + finish_code(finish, value) + " }";
  }
  void show(std::ostream& os) const override { os << code(); }

  void run(const view&, world& w) const override {
    const std::string text = code();
    bool released = false;
    select_and_finish(w, text, released);
    if (release && !released) release_receivers(w, *release, [] {}, text);
    after(w);
  }

 private:
  void select_and_finish(world& w, const std::string& text, bool& released) const {
    auto box = std::make_unique<selector_box>(biased);
    rill::selector& selection = box->selection;
    if (!add_all(w, selection, ops, text)) return;

    std::vector<bool> removed(ops.size(), false);
    for (int index : removals) {
      const auto at = static_cast<std::size_t>(index);
      if (at >= ops.size() || removed[at]) {
        expect_throw<std::out_of_range>([&] { selection.remove(at); },
                                        text + ": remove(" + std::to_string(index) + ") (R39)");
      } else {
        selection.remove(at);
        removed[at] = true;
      }
    }
    std::vector<model::readiness> ready;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      ready.push_back(removed[i] ? model::readiness::no : readiness_of(w, ops[i]));
    }
    if (blocks(form) && !model::returns_without_help(ready)) {
      RC_TAG("skipped: the selection would block");
      return;
    }

    using outcome_type = std::expected<rill::selected_operation, rill::select_error>;
    std::optional<outcome_type> outcome;
    switch (form) {
      case select_form::try_select: outcome.emplace(selection.try_select()); break;
      case select_form::select_for_zero: outcome.emplace(selection.select_for(0ns)); break;
      case select_form::select_for_minimum:
        outcome.emplace(selection.select_for(std::chrono::nanoseconds::min()));
        break;
      case select_form::select_until_past: outcome.emplace(selection.select_until(steady::now() - 1ms)); break;
      case select_form::select_for_short: outcome.emplace(selection.select_for(200us)); break;
      case select_form::select_until_short: outcome.emplace(selection.select_until(steady::now() + 200us)); break;
      case select_form::select: outcome.emplace(std::in_place, selection.select()); break;
      case select_form::select_for_maximum:
        outcome.emplace(selection.select_for(std::chrono::nanoseconds::max()));
        break;
      case select_form::select_until_maximum: outcome.emplace(selection.select_until(steady::time_point::max())); break;
      case select_form::select_until_system_maximum:
        outcome.emplace(selection.select_until(std::chrono::system_clock::time_point::max()));
        break;
    }

    if (!outcome->has_value()) {
      const rill::select_error expected =
          form == select_form::try_select ? rill::select_error::would_block : rill::select_error::timeout;
      if (outcome->error() != expected) RC_FAIL(text + " reported " + std::string(rill::to_string(outcome->error())));
      if (!model::may_find_nothing(ready)) {
        RC_FAIL(text + " reported " + std::string(rill::to_string(outcome->error())) +
                ", but the model says an operation is ready (R30): " + describe_ready(ops, ready));
      }
      RC_TAG("selector: nothing ready");
      return;
    }

    rill::selected_operation& chosen = **outcome;
    const std::size_t index = chosen.index();
    if (!model::may_select(ready, index, biased)) {
      RC_FAIL(text + " chose operation " + std::to_string(index) + "; the model says " + describe_ready(ops, ready) +
              (biased ? " (biased: the first ready one, R31)" : " (R30, R32, R35, R42)"));
    }
    const op_spec& op = ops[index];
    const bool channel_receive = op.on == target::channel && !op.sends();
    // A receive on the channel whose receivers go cannot be completed afterwards (no handle of
    // its channel is left to complete it with): it is abandoned first.
    const bool receive_released = channel_receive && release == op.index;
    const bool completes =
        (finish == finish_kind::complete || finish == finish_kind::complete_with_copy) && !receive_released;
    RC_TAG("selector: " + tag_of(w, op) + (completes ? ", completed" : ", abandoned") +
           (release == op.index ? ", last receivers released while pending" : ""));
    if (misuse) misuse_checks(w, selection, chosen, op, text);
    const std::string done = text + " -> operation " + std::to_string(index) + " (" + op.handle() + ")";

    // A selected receive has received (R30): its step comes first, before anything else happens.
    // It has one step (a buffered channel's first message; at most one peer parked).
    std::optional<model::result> received;
    if (channel_receive) {
      harness& h = w.channel(op.index);
      auto steps = completes ? model::selected_recv(h.state()) : model::abandoned_recv(h.state());
      if (steps.size() != 1u) RC_FAIL(done + ": the model allows " + std::to_string(steps.size()) + " receives");
      received = steps.front().result;
      h.follow_steps(std::move(steps), *received, done);
    }
    std::vector<int> before = destruction_ledger::instance().sorted_copy();
    if (receive_released) {
      chosen.abandon();
      check_abandoned_receive(before, *received, done);
    }
    if (release) {
      release_receivers(w, *release, [&chosen] { chosen.abandon(); }, done);
      released = true;
      before = destruction_ledger::instance().sorted_copy();  // the release's own destruction (R11)
    }
    if (!receive_released) {
      if (completes) {
        complete(w, chosen, op, received, done);
      } else {
        switch (finish) {
          case finish_kind::abandon: chosen.abandon(); break;
          case finish_kind::destroy_operation: outcome.reset(); break;
          default: box.reset(); break;  // the selector abandons its pending operation (R34)
        }
        abandoned(w, op, received, before, done);
      }
    }
    if (outcome) {
      // R33: completed or abandoned, the operation cannot be completed (again).
      if (op.sends()) {
        expect_throw<std::logic_error>(
            [&] { (void)(**outcome).send(w.channel(op.index).tx(op.slot), message(1, true)); },
            done + ", then completed again (R33)");
      } else if (op.on == target::channel) {
        expect_throw<std::logic_error>([&] { (void)(**outcome).recv(w.channel(op.index).rx(op.slot)); },
                                       done + ", then completed again (R33)");
      } else if (op.on == target::timer) {
        expect_throw<std::logic_error>([&] { (void)(**outcome).recv(w.timer(op.index).rx); },
                                       done + ", then completed again (R33)");
      }
    }
  }

  /// R39: selecting while an operation is pending throws; R33: completing with a handle of
  /// another channel or in the wrong direction throws. None of it changes anything.
  static void misuse_checks(world& w, rill::selector& selection, rill::selected_operation& chosen, const op_spec& op,
                            const std::string& text) {
    expect_throw<std::logic_error>([&] { (void)selection.try_select(); },
                                   text + ": try_select() while an operation is pending (R39)");
    const int own = op.on == target::channel ? op.index : -1;
    if (op.sends()) {
      if (rx_handle* wrong = some_receiver(w, -1)) {
        expect_throw<std::logic_error>([&] { (void)chosen.recv(*wrong); }, text + ": recv() of a selected send (R33)");
      }
      if (tx_handle* other = some_sender(w, own)) {
        expect_throw<std::logic_error>([&] { (void)chosen.send(*other, message(1, true)); },
                                       text + ": send() through another channel's handle (R33)");
      }
    } else {
      if (tx_handle* wrong = some_sender(w, -1)) {
        expect_throw<std::logic_error>([&] { (void)chosen.send(*wrong, message(1, true)); },
                                       text + ": send() of a selected receive (R33)");
      }
      if (rx_handle* other = some_receiver(w, own)) {
        expect_throw<std::logic_error>([&] { (void)chosen.recv(*other); },
                                       text + ": recv() through another channel's handle (R33)");
      }
    }
  }

  void complete(world& w, rill::selected_operation& chosen, const op_spec& op,
                const std::optional<model::result>& received, const std::string& done) const {
    if (op.on == target::timer) {
      auto got = chosen.recv(w.timer(op.index).rx);
      if (!got)
        RC_FAIL(done + ": a selected timer receive completed with " + std::string(rill::to_string(got.error())));
      w.follow_timer(op.index, *got, done);
      return;
    }
    harness& h = w.channel(op.index);
    const int slot = finish == finish_kind::complete_with_copy ? copy_slot(w, op) : op.slot;
    if (op.sends()) {
      const std::string call = done + ": chosen.send(" + channel_name(op.index) + handle_name(side::sender, slot) +
                               ", " + std::to_string(value) + ")";
      auto sent = chosen.send(h.tx(slot), message(value));
      if (!sent) sent.error().message.handled = true;
      h.follow_steps(model::completed_send(h.state(), value), from_send(sent), call);
      return;
    }
    auto got = chosen.recv(h.rx(slot));
    if (got) got->handled = true;
    const model::result observed = from_recv(got);
    if (observed != *received) {
      RC_FAIL(done + ": chosen.recv(" + channel_name(op.index) + handle_name(side::receiver, slot) + ") returned " +
              describe(observed) + "; the model says the selection received " + describe(*received));
    }
  }

  /// R34: the abandoned receive's message, and nothing else, was destroyed, exactly once.
  static void check_abandoned_receive(const std::vector<int>& before, const model::result& received,
                                      const std::string& done) {
    const std::vector<int> gone = newly_destroyed(before);
    const std::vector<int> expected =
        received.what == model::outcome::ok ? std::vector<int>{*received.message} : std::vector<int>{};
    if (gone != expected) {
      RC_FAIL(done + ", abandoned: destroyed " + std::to_string(gone.size()) +
              " message(s); R34 says the receive's message (" + describe(received) + ") is destroyed exactly once");
    }
  }

  static void abandoned(world& w, const op_spec& op, const std::optional<model::result>& received,
                        const std::vector<int>& before, const std::string& done) {
    if (op.on == target::timer) {
      // The timer's message was taken when it was selected (R30); abandoning drops it.
      if (!newly_destroyed(before).empty()) RC_FAIL(done + ": abandoning a timer receive destroyed channel messages");
      const auto steps = model::timer_receive(w.timer(op.index).model);
      const auto taken = std::find_if(steps.begin(), steps.end(), [](const auto& s) { return s.received; });
      RC_ASSERT(taken != steps.end());
      w.timer(op.index).model = taken->next;
      return;
    }
    if (!op.sends()) return check_abandoned_receive(before, *received, done);
    harness& h = w.channel(op.index);
    if (!newly_destroyed(before).empty()) RC_FAIL(done + ": abandoning a send destroyed a message (R34)");
    h.follow_steps(model::abandoned_send(h.state()), {model::outcome::ok, {}, {}}, done);
  }
};

// ----------------------------------------------------------------------------------------------
// Readiness (R36)
// ----------------------------------------------------------------------------------------------

enum class ready_form { try_ready, ready_for_zero, ready_until_past, ready_for_short, ready, ready_for_maximum };

std::string ready_code(ready_form form) {
  switch (form) {
    case ready_form::try_ready: return "try_ready()";
    case ready_form::ready_for_zero: return "ready_for(0ns)";
    case ready_form::ready_until_past: return "ready_until(steady_clock::time_point::min())";
    case ready_form::ready_for_short: return "ready_for(200us)";
    case ready_form::ready: return "ready()";
    case ready_form::ready_for_maximum: return "ready_for(hours::max())";
  }
  return "?";
}

struct ready_command : command {
  std::vector<op_spec> ops;
  bool biased = false;
  ready_form form = ready_form::try_ready;

  explicit ready_command(const view& v) {
    const int count = uniform(0, 6);
    for (int i = 0; i < count; ++i) ops.push_back(generate_op(v, ops, true, true));
    biased = one_in(3);
    form = pick({ready_form::try_ready, ready_form::try_ready, ready_form::ready_for_zero, ready_form::ready_until_past,
                 ready_form::ready_for_short, ready_form::ready, ready_form::ready_for_maximum});
  }

  [[nodiscard]] std::string code() const {
    std::string text = std::string("{ rill::selector s") + (biased ? " = rill::selector::biased()" : "") + "; ";
    for (std::size_t i = 0; i < ops.size(); ++i) {
      text += std::string("s.") + (ops[i].sends() ? "send(" : "recv(") + ops[i].handle() + ") /*" + std::to_string(i) +
              "*/; ";
    }
    return text + "s." + ready_code(form) + "; }";
  }
  void show(std::ostream& os) const override { os << code(); }

  void run(const view&, world& w) const override {
    const std::string text = code();
    selector_box box(biased);
    if (!add_all(w, box.selection, ops, text)) return after(w);
    std::vector<model::readiness> ready;
    for (const op_spec& op : ops) ready.push_back(readiness_of(w, op));
    const bool blocking = form == ready_form::ready || form == ready_form::ready_for_maximum;
    if (blocking && !model::returns_without_help(ready)) {
      RC_TAG("skipped: the readiness wait would block");
      return after(w);
    }
    std::expected<std::size_t, rill::select_error> outcome = std::unexpected(rill::select_error::timeout);
    switch (form) {
      case ready_form::try_ready: outcome = box.selection.try_ready(); break;
      case ready_form::ready_for_zero: outcome = box.selection.ready_for(0ns); break;
      case ready_form::ready_until_past: outcome = box.selection.ready_until(steady::time_point::min()); break;
      case ready_form::ready_for_short: outcome = box.selection.ready_for(200us); break;
      case ready_form::ready: outcome = box.selection.ready(); break;
      case ready_form::ready_for_maximum: outcome = box.selection.ready_for(std::chrono::hours::max()); break;
    }
    if (!outcome) {
      const rill::select_error expected =
          form == ready_form::try_ready ? rill::select_error::would_block : rill::select_error::timeout;
      if (outcome.error() != expected) RC_FAIL(text + " reported " + std::string(rill::to_string(outcome.error())));
      if (!model::may_find_nothing(ready)) {
        RC_FAIL(text + " reported " + std::string(rill::to_string(outcome.error())) +
                ", but the model says an operation is ready (R36): " + describe_ready(ops, ready));
      }
      return after(w);
    }
    if (!model::may_select(ready, *outcome, biased)) {
      RC_FAIL(text + " reported operation " + std::to_string(*outcome) + " ready; the model says " +
              describe_ready(ops, ready) + (biased ? " (biased, R31, R36)" : " (R36)"));
    }
    const op_spec& op = ops[*outcome];
    if (op.on == target::timer) w.timer(op.index).model = model::seen_due(w.timer(op.index).model);
    // Nothing was started (R36): the models stay as they are, and check() compares every channel.
    after(w);
  }
};

// ----------------------------------------------------------------------------------------------
// The select statement: rill::select / rill::select_biased
// ----------------------------------------------------------------------------------------------

enum class fallback {
  none,              // blocks until a case is ready
  default_case,      // on_default
  timeout_zero,      // on_timeout(0ns)
  timeout_minimum,   // on_timeout(nanoseconds::min())
  timeout_short,     // on_timeout(200us)
  deadline_past,     // on_deadline(steady_clock::now() - 1s)
  timeout_maximum,   // on_timeout(nanoseconds::max()): no deadline (R44)
  deadline_maximum,  // on_deadline(system_clock::time_point::max())
};

std::string fallback_code(fallback f) {
  switch (f) {
    case fallback::none: return "";
    case fallback::default_case: return "on_default";
    case fallback::timeout_zero: return "on_timeout(0ns)";
    case fallback::timeout_minimum: return "on_timeout(nanoseconds::min())";
    case fallback::timeout_short: return "on_timeout(200us)";
    case fallback::deadline_past: return "on_deadline(steady_clock::now() - 1s)";
    case fallback::timeout_maximum: return "on_timeout(nanoseconds::max())";
    case fallback::deadline_maximum: return "on_deadline(system_clock::time_point::max())";
  }
  return "?";
}

bool fallback_blocks(fallback f) {
  return f == fallback::none || f == fallback::timeout_maximum || f == fallback::deadline_maximum;
}

/// What a statement's handler saw: the case that ran (its position in the statement, or -1 for
/// the default / timeout case) and the outcome it was given.
struct case_outcome {
  int position = -1;
  bool timed_out = false;  // the timeout case (not the default) ran
  model::result result;
  std::optional<instant> time;
};

constexpr int statement_receives = 3;
constexpr int statement_timers = 2;

/// The statement's cases, in argument order: three receives (`off` where unused), the sends,
/// two timer receives (a never<instant>() where unused), and the fallback.
template <std::size_t Sends>
case_outcome run_statement(bool biased, fallback f, const std::array<rx_handle*, statement_receives>& receives,
                           const std::array<tx_handle*, Sends>& sends, const std::array<int, Sends>& values,
                           const std::array<rill::receiver<instant>*, statement_timers>& timers) {
  const auto on_message = [](int position) {
    return [position](rill::recv_result<message> got) {
      if (got) got->handled = true;
      return case_outcome{position, false, from_recv(got), std::nullopt};
    };
  };
  const auto on_sent = [](int position) {
    return [position](rill::send_result<message> sent) {
      if (!sent) sent.error().message.handled = true;
      return case_outcome{position, false, from_send(sent), std::nullopt};
    };
  };
  const auto on_time = [](int position) {
    return [position](rill::recv_result<instant> got) {
      case_outcome out{position, false, {}, std::nullopt};
      if (got) {
        out.time = *got;
      } else {
        out.result.what = got.error() == rill::recv_error::empty ? model::outcome::empty : model::outcome::disconnected;
      }
      return out;
    };
  };
  auto r0 = rill::on_recv(*receives[0], on_message(0));
  auto r1 = rill::on_recv(*receives[1], on_message(1));
  auto r2 = rill::on_recv(*receives[2], on_message(2));
  auto t0 = rill::on_recv(*timers[0], on_time(statement_receives + static_cast<int>(Sends)));
  auto t1 = rill::on_recv(*timers[1], on_time(statement_receives + static_cast<int>(Sends) + 1));
  const auto fallen = [](bool timed_out) { return [timed_out] { return case_outcome{-1, timed_out, {}, {}}; }; };
  // The receive cases are kept in variables and passed as lvalues; a send case refers to its
  // message (a temporary here), so it is made in the call and passed on as an rvalue.
  const auto run = [&](auto&&... cases) -> case_outcome {
    const auto with = [&](auto&& last) -> case_outcome {
      if (biased) return rill::select_biased(std::forward<decltype(cases)>(cases)..., last);
      return rill::select(std::forward<decltype(cases)>(cases)..., last);
    };
    switch (f) {
      case fallback::none:
        if (biased) return rill::select_biased(std::forward<decltype(cases)>(cases)...);
        return rill::select(std::forward<decltype(cases)>(cases)...);
      case fallback::default_case: return with(rill::on_default(fallen(false)));
      case fallback::timeout_zero: return with(rill::on_timeout(0ns, fallen(true)));
      case fallback::timeout_minimum: return with(rill::on_timeout(std::chrono::nanoseconds::min(), fallen(true)));
      case fallback::timeout_short: return with(rill::on_timeout(200us, fallen(true)));
      case fallback::deadline_past: return with(rill::on_deadline(steady::now() - 1s, fallen(true)));
      case fallback::timeout_maximum: return with(rill::on_timeout(std::chrono::nanoseconds::max(), fallen(true)));
      case fallback::deadline_maximum:
        return with(rill::on_deadline(std::chrono::system_clock::time_point::max(), fallen(true)));
    }
    return case_outcome{};
  };
  if constexpr (Sends == 0) {
    (void)sends;
    (void)values;
    return run(r0, r1, r2, t0, t1);
  } else if constexpr (Sends == 1) {
    return run(r0, r1, r2, rill::on_send(*sends[0], message(values[0]), on_sent(statement_receives)), t0, t1);
  } else {
    return run(r0, r1, r2, rill::on_send(*sends[0], message(values[0]), on_sent(statement_receives)),
               rill::on_send(*sends[1], message(values[1]), on_sent(statement_receives + 1)), t0, t1);
  }
}

struct statement_command : command {
  std::vector<op_spec> receives;  // channel receives or `off`, at most three
  std::vector<op_spec> sends;     // at most two
  std::vector<int> timers;        // timer slots, at most two
  bool biased = false;
  fallback fall = fallback::default_case;
  int value = 0;

  explicit statement_command(const view& v) {
    const int receive_count = uniform(0, statement_receives + 1);
    std::vector<op_spec> all;
    for (int i = 0; i < receive_count; ++i) {
      op_spec op = one_in(8) ? op_spec{target::off, model::direction::recv, 0, 0} : generate_op(v, all, false, false);
      all.push_back(op);
      receives.push_back(op);
    }
    const int send_count = uniform(0, 3);
    for (int i = 0; i < send_count; ++i) {
      std::optional<int> same;
      if (!all.empty() && all.back().on == target::channel && one_in(3)) same = all.back().index;
      op_spec op = generate_channel_op(v, model::direction::send, same);
      all.push_back(op);
      sends.push_back(op);
    }
    const int timer_count = uniform(0, statement_timers + 1);
    for (int i = 0; i < timer_count; ++i) timers.push_back(uniform(0, timer_slots));
    biased = one_in(3);
    fall = pick({fallback::default_case, fallback::default_case, fallback::default_case, fallback::timeout_zero,
                 fallback::timeout_minimum, fallback::timeout_short, fallback::deadline_past, fallback::none,
                 fallback::timeout_maximum, fallback::deadline_maximum});
    value = uniform(3000, 4000);
  }

  /// The statement's operations in argument order (unused receive and timer positions are off).
  [[nodiscard]] std::vector<op_spec> positions() const {
    std::vector<op_spec> all;
    for (int i = 0; i < statement_receives; ++i) {
      all.push_back(i < static_cast<int>(receives.size()) ? receives[static_cast<std::size_t>(i)]
                                                          : op_spec{target::off, model::direction::recv, 0, 0});
    }
    for (const op_spec& op : sends) all.push_back(op);
    for (int i = 0; i < statement_timers; ++i) {
      all.push_back(i < static_cast<int>(timers.size())
                        ? op_spec{target::timer, model::direction::recv, timers[static_cast<std::size_t>(i)], 0}
                        : op_spec{target::off, model::direction::recv, 0, 0});
    }
    return all;
  }

  [[nodiscard]] std::string code() const {
    std::string text = biased ? "rill::select_biased(" : "rill::select(";
    const auto all = positions();
    for (std::size_t i = 0; i < all.size(); ++i) {
      const op_spec& op = all[i];
      const bool unused_timer = i >= all.size() - statement_timers && op.on == target::off;
      if (op.sends()) {
        text += "on_send(" + op.handle() + ", " + std::to_string(value + static_cast<int>(i)) + ", h), ";
      } else {
        text += "on_recv(" + (unused_timer ? std::string("never<instant>()") : op.handle()) + ", h), ";
      }
    }
    const std::string last = fallback_code(fall);
    text += last.empty() ? std::string("") : last + "(h)";
    return text + ");";
  }
  void show(std::ostream& os) const override { os << code(); }

  void run(const view&, world& w) const override {
    const std::string text = code();
    const std::vector<op_spec> all = positions();
    std::vector<model::readiness> ready;
    bool empty_handle = false;
    for (const op_spec& op : all) {
      ready.push_back(readiness_of(w, op));
      empty_handle = empty_handle || !live_handle(w, op);
    }
    if (!empty_handle && fallback_blocks(fall) && !model::returns_without_help(ready)) {
      RC_TAG("skipped: the statement would block");
      return after(w);
    }

    std::array<rx_handle*, statement_receives> receive_handles{};
    for (int i = 0; i < statement_receives; ++i) {
      const op_spec& op = all[static_cast<std::size_t>(i)];
      receive_handles[static_cast<std::size_t>(i)] = op.on == target::off ? &w.off() : &w.channel(op.index).rx(op.slot);
    }
    std::array<rill::receiver<instant>, statement_timers> unused{rill::never<instant>(), rill::never<instant>()};
    std::array<rill::receiver<instant>*, statement_timers> timer_handles{};
    for (int i = 0; i < statement_timers; ++i) {
      const auto at = static_cast<std::size_t>(i);
      timer_handles[at] = i < static_cast<int>(timers.size()) ? &w.timer(timers[at]).rx : &unused[at];
    }
    std::vector<int> offered;
    const std::vector<int> before = destruction_ledger::instance().sorted_copy();
    case_outcome outcome;
    bool threw = false;
    try {
      switch (sends.size()) {
        case 0: outcome = run_statement<0>(biased, fall, receive_handles, {}, {}, timer_handles); break;
        case 1: {
          offered = {value + statement_receives};
          outcome = run_statement<1>(biased, fall, receive_handles, {&w.channel(sends[0].index).tx(sends[0].slot)},
                                     {offered[0]}, timer_handles);
          break;
        }
        default: {
          offered = {value + statement_receives, value + statement_receives + 1};
          outcome = run_statement<2>(
              biased, fall, receive_handles,
              {&w.channel(sends[0].index).tx(sends[0].slot), &w.channel(sends[1].index).tx(sends[1].slot)},
              {offered[0], offered[1]}, timer_handles);
          break;
        }
      }
    } catch (const rill::empty_handle_error&) {
      threw = true;
    }
    if (threw != empty_handle) {
      RC_FAIL(text + (threw ? ": threw empty_handle_error with every handle live"
                            : ": an empty handle did not make the statement throw empty_handle_error (R39)"));
    }
    if (threw) {
      forget_destroyed(before, offered, text);  // nothing was sent (R39)
      RC_TAG("statement with an empty handle");
      return after(w);
    }

    // The messages of the send cases that did not run were left as they were (R30): temporaries
    // of the call, they died at its end, each exactly once.
    std::vector<int> unsent;
    for (std::size_t i = 0; i < offered.size(); ++i) {
      if (outcome.position != statement_receives + static_cast<int>(i)) unsent.push_back(offered[i]);
    }
    forget_destroyed(before, unsent, text);

    if (outcome.position < 0) {
      const bool timeout_case = fall != fallback::default_case;
      if (fall == fallback::none || outcome.timed_out != timeout_case) RC_FAIL(text + ": the wrong fallback ran");
      if (!model::may_find_nothing(ready)) {
        RC_FAIL(text + " ran its " + (timeout_case ? "timeout" : "default") +
                " case, but the model says a case is ready (R30): " + describe_ready(all, ready));
      }
      RC_TAG("statement: fallback");
      return after(w);
    }
    const auto position = static_cast<std::size_t>(outcome.position);
    if (!model::may_select(ready, position, biased)) {
      RC_FAIL(text + " ran case " + std::to_string(position) + "; the model says " + describe_ready(all, ready) +
              (biased ? " (biased: the first ready one, R31)" : " (R30, R32, R35, R42)"));
    }
    const op_spec& op = all[position];
    const std::string done = text + " -> case " + std::to_string(position) + " (" + op.handle() + ")";
    RC_TAG("statement: " + tag_of(w, op));
    if (op.on == target::timer) {
      if (!outcome.time) RC_FAIL(done + ": a timer case ran without a message");
      w.follow_timer(op.index, outcome.time, done);
    } else if (op.sends()) {
      harness& h = w.channel(op.index);
      h.follow_steps(model::completed_send(h.state(), offered[position - statement_receives]), outcome.result, done);
    } else {
      harness& h = w.channel(op.index);
      h.follow_steps(model::selected_recv(h.state()), outcome.result, done);
    }
    after(w);
  }
};

// ----------------------------------------------------------------------------------------------
// Plain operations that move the channels between states
// ----------------------------------------------------------------------------------------------

int pick_live(const view& v, int channel, side which) {
  std::vector<int> live;
  for (int slot = 0; slot < pool_size; ++slot) {
    if (v.live(channel, which, slot)) live.push_back(slot);
  }
  return live.empty() ? 0 : *rc::gen::elementOf(live);
}

/// try_send (or, where the model says it does not block, send) of `count` values.
struct send_command : command {
  int channel = 0;
  int slot = 0;
  bool blocking = false;
  int first = 0;
  int count = 1;

  explicit send_command(const view& v) {
    channel = uniform(0, v.channels());
    slot = pick_live(v, channel, side::sender);
    blocking = *rc::gen::arbitrary<bool>();
    first = uniform(0, 1000);
    count = one_in(3) ? uniform(1, 6) : 1;
  }
  [[nodiscard]] std::string code(int value) const {
    return channel_name(channel) + handle_name(side::sender, slot) + (blocking ? ".send(" : ".try_send(") +
           std::to_string(value) + ")";
  }
  void show(std::ostream& os) const override {
    if (count > 1) os << "for (i = 0; i < " << count << "; ++i) ";
    os << code(first) << (count > 1 ? " + i" : "") << ";";
  }
  void run(const view&, world& w) const override {
    harness& h = w.channel(channel);
    for (int i = 0; i < count && h.tx(slot); ++i) {
      model::operation op;
      op.kind = blocking ? model::op_kind::send : model::op_kind::try_send;
      op.message = first + i;
      if (h.would_block(op)) {
        RC_TAG("skipped: send would block");
        break;
      }
      h.run_call(op, code(first + i), model::outcome::full, [&]() -> model::result {
        message outgoing(first + i);
        auto result = blocking ? h.tx(slot).send(std::move(outgoing)) : h.tx(slot).try_send(std::move(outgoing));
        if (!result) result.error().message.handled = true;
        return from_send(result);
      });
      after(w);
    }
    after(w);
  }
};

struct recv_command : command {
  int channel = 0;
  int slot = 0;
  bool blocking = false;
  int count = 1;

  explicit recv_command(const view& v) {
    channel = uniform(0, v.channels());
    slot = pick_live(v, channel, side::receiver);
    blocking = *rc::gen::arbitrary<bool>();
    count = one_in(3) ? uniform(1, 6) : 1;
  }
  [[nodiscard]] std::string code() const {
    return channel_name(channel) + handle_name(side::receiver, slot) + (blocking ? ".recv()" : ".try_recv()");
  }
  void show(std::ostream& os) const override {
    if (count > 1) os << "for (i = 0; i < " << count << "; ++i) ";
    os << code() << ";";
  }
  void run(const view&, world& w) const override {
    harness& h = w.channel(channel);
    for (int i = 0; i < count && h.rx(slot); ++i) {
      model::operation op;
      op.kind = blocking ? model::op_kind::recv : model::op_kind::try_recv;
      if (h.would_block(op)) {
        RC_TAG("skipped: recv would block");
        break;
      }
      h.run_call(op, code(), model::outcome::empty, [&]() -> model::result {
        auto result = blocking ? h.rx(slot).recv() : h.rx(slot).try_recv();
        if (result) result->handled = true;
        return from_recv(result);
      });
      after(w);
    }
    after(w);
  }
};

/// Copy a handle into a slot, or reset one: the way to disconnect a channel by its last sender or
/// receiver (R10, R11).
struct handle_command : command {
  int channel = 0;
  side which = side::sender;
  bool copy = true;
  int from = 0;
  int to = 0;

  explicit handle_command(const view& v) {
    channel = uniform(0, v.channels());
    which = pick({side::sender, side::receiver});
    copy = !one_in(3);
    from = uniform(0, pool_size);
    to = uniform(0, pool_size);
  }
  void apply(view& v) const override {
    if (copy) {
      v.set_live(channel, which, to, v.live(channel, which, from));
    } else {
      v.set_live(channel, which, from, false);
    }
  }
  [[nodiscard]] std::string code() const {
    const std::string prefix = channel_name(channel);
    return copy ? prefix + handle_name(which, to) + " = " + prefix + handle_name(which, from)
                : prefix + handle_name(which, from) + ".reset()";
  }
  void show(std::ostream& os) const override { os << code() << ";"; }
  void run(const view& v, world& w) const override {
    harness& h = w.channel(channel);
    const bool from_live = v.live(channel, which, from);
    const bool to_live = v.live(channel, which, to);
    const auto step = [&](model::op_kind kind, bool on_empty) {
      model::operation op;
      op.kind = kind;
      op.on_empty_handle = on_empty;
      h.follow(op, {model::outcome::ok, {}, {}}, code());
    };
    const auto clone = which == side::sender ? model::op_kind::clone_sender : model::op_kind::clone_receiver;
    const auto drop = which == side::sender ? model::op_kind::drop_sender : model::op_kind::drop_receiver;
    if (copy) {
      if (which == side::sender) {
        h.tx(to) = h.tx(from);
      } else {
        h.rx(to) = h.rx(from);
      }
      step(clone, !from_live);
      step(drop, !to_live);
    } else {
      if (which == side::sender) {
        h.tx(from).reset();
      } else {
        h.rx(from).reset();
      }
      step(drop, !from_live);
    }
    after(w);
  }
};

struct close_command : command {
  int channel = 0;
  side which = side::sender;
  int slot = 0;

  explicit close_command(const view& v) {
    channel = uniform(0, v.channels());
    which = pick({side::sender, side::receiver});
    slot = pick_live(v, channel, which);
  }
  [[nodiscard]] std::string code() const { return channel_name(channel) + handle_name(which, slot) + ".close()"; }
  void show(std::ostream& os) const override { os << code() << ";"; }
  void run(const view& v, world& w) const override {
    harness& h = w.channel(channel);
    if (!v.live(channel, which, slot)) {
      RC_TAG("skipped: close on an empty handle");
      return after(w);
    }
    if (which == side::sender) {
      h.tx(slot).close();
    } else {
      h.rx(slot).close();
    }
    model::operation op;
    op.kind = model::op_kind::close;
    h.follow(op, {model::outcome::ok, {}, {}}, code());
    after(w);
  }
};

/// Rendezvous only: a peer thread blocks in send (or recv) with a copy of a pool handle; at most
/// one is parked per channel (see the header).
struct peer_command : command {
  int channel = 0;
  side which = side::sender;
  int slot = 0;
  int value = 0;

  explicit peer_command(const view& v) {
    std::vector<int> rendezvous;
    for (int index = 0; index < v.channels(); ++index) {
      if (v.capacities[static_cast<std::size_t>(index)] == std::size_t{0}) rendezvous.push_back(index);
    }
    RC_PRE(!rendezvous.empty());
    channel = *rc::gen::elementOf(rendezvous);
    which = pick({side::sender, side::receiver});
    slot = pick_live(v, channel, which);
    value = uniform(1000, 2000);
  }
  void show(std::ostream& os) const override {
    const std::string handle = channel_name(channel) + handle_name(which, slot);
    if (which == side::sender) {
      os << "std::thread([tx = " << handle << "]() mutable { tx.send(" << value << "); });  // peer";
    } else {
      os << "std::thread([rx = " << handle << "]() mutable { rx.recv(); });  // peer";
    }
  }
  void run(const view& v, world& w) const override {
    harness& h = w.channel(channel);
    const bool parked = h.state().waiting_receivers != 0 || !h.state().waiting_senders.empty();
    if (!v.live(channel, which, slot)) {
      RC_TAG("skipped: peer from an empty handle");
    } else if (parked || w.peers() >= max_peers) {
      RC_TAG("skipped: a peer is parked already");
    } else {
      h.start_peer(which, slot, value);
    }
    after(w);
  }
};

/// Replaces a timer slot with a new timer.
struct timer_command : command {
  int slot = 0;
  timer_spec spec = timer_spec::never;

  timer_command() : slot(uniform(0, timer_slots)), spec(*rc::gen::elementOf(all_timer_specs)) {}
  void show(std::ostream& os) const override { os << "timer" << slot << " = " << timer_code(spec) << ";"; }
  void run(const view&, world& w) const override {
    w.timer(slot) = make_timer(spec);
    after(w);
  }
};

/// A plain try_recv on a timer (R40, R41, R43).
struct timer_recv_command : command {
  int slot = uniform(0, timer_slots);

  void show(std::ostream& os) const override { os << "timer" << slot << ".try_recv();"; }
  void run(const view&, world& w) const override {
    auto got = w.timer(slot).rx.try_recv();
    if (!got && got.error() != rill::recv_error::empty) {
      RC_FAIL("timer" + std::to_string(slot) + ".try_recv() reported " + std::string(rill::to_string(got.error())) +
              " (R42, R43: never disconnected)");
    }
    w.follow_timer(slot, got ? std::optional<instant>(*got) : std::nullopt,
                   "timer" + std::to_string(slot) + ".try_recv()");
    after(w);
  }
};

// ----------------------------------------------------------------------------------------------
// The properties
// ----------------------------------------------------------------------------------------------

/// One property run: a random sequence over channels of the given capacities and two timers.
void run_sequence(const std::vector<std::optional<std::size_t>>& capacities) {
  reset_accounting();
  {
    world w(capacities);
    view initial;
    initial.capacities = capacities;
    for (std::size_t i = 0; i < capacities.size(); ++i) {
      initial.tx_live.push_back({true, false, false});
      initial.rx_live.push_back({true, false, false});
    }
    for (int slot = 0; slot < timer_slots; ++slot) w.timer(slot) = make_timer(*rc::gen::elementOf(all_timer_specs));
    for (int slot = 0; slot < timer_slots; ++slot)
      RC_LOG() << "timer" << slot << " = " << timer_code(w.timer(slot).spec);
    const bool rendezvous = initial.has_rendezvous();
    rc::state::check(initial, w, [rendezvous](const view& v) {
      using rc::state::gen::execOneOfWithArgs;
      if (rendezvous) {
        return execOneOfWithArgs<select_command, select_command, select_command, select_command, statement_command,
                                 statement_command, statement_command, ready_command, send_command, send_command,
                                 recv_command, recv_command, handle_command, close_command, peer_command, peer_command,
                                 peer_command, peer_command, timer_command, timer_recv_command>()(v);
      }
      return execOneOfWithArgs<select_command, select_command, select_command, select_command, statement_command,
                               statement_command, statement_command, ready_command, send_command, send_command,
                               send_command, recv_command, recv_command, handle_command, close_command, timer_command,
                               timer_recv_command>()(v);
    });
    w.release_everything();
  }
  RC_ASSERT(message::live.load() == 0L);
  reset_accounting();
}

int cases(int normal) { return under_tsan() ? normal / 2 : normal; }

std::vector<std::optional<std::size_t>> generate_capacities(bool with_rendezvous) {
  const int count = uniform(1, max_channels + 1);
  std::vector<std::optional<std::size_t>> capacities;
  for (int i = 0; i < count; ++i) {
    const int capacity = pick({1, 2, 3, -1});  // -1: unbounded
    capacities.push_back(capacity < 0 ? std::nullopt : std::optional<std::size_t>(capacity));
  }
  if (with_rendezvous) capacities[static_cast<std::size_t>(uniform(0, count))] = std::size_t{0};
  std::string text;
  for (const auto& capacity : capacities) text += capacity_text(capacity) + " ";
  RC_LOG() << "channels: " << text;
  RC_CLASSIFY(true, std::to_string(count) + " channel(s)");
  return capacities;
}

TEST(select_property, selections_over_buffered_channels_and_timers_follow_the_model) {
  // SPEC R30, R31, R32, R33, R34, R36, R37, R39, R40, R41, R42, R43, R44, R11, R26
  check_property(cases(800), 50, [] { run_sequence(generate_capacities(false)); });
}

TEST(select_property, selections_with_rendezvous_channels_and_peers_follow_the_model) {
  // SPEC R30, R31, R32, R33, R34, R35, R36, R37, R38, R39, R42, R11, R18, R26
  check_property(cases(500), 50, [] { run_sequence(generate_capacities(true)); });
}

}  // namespace
