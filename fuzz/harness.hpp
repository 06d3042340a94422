// fuzz/harness.hpp - runs one decoded program on the sim backend and judges the execution.
//
// Each thread of the program is a simulated thread (a fiber of the sim backend's scheduler). Its
// handles live in a table the harness owns (two slots per channel and side, one timer slot), so
// that the harness can reach every channel when the program blocks for ever. Messages are
// `message` objects with an id (thread and sequence number) whose constructions and destructions
// are counted, so the harness knows at the end whether every message was destroyed exactly once.
//
// The oracle (each check cites its rule):
//   * every received message was sent on that channel, is received at most once, was not handed
//     back by a failed send and not destroyed before (R9, R25);
//   * per-sender FIFO: one receiving thread sees one sending thread's messages on one channel in
//     the order they were sent (R13);
//   * a failed send hands back its own message (R9); `full` only from try_send, `timeout` only
//     from timed forms and only once the deadline has passed on the virtual clock (R4, R5, R8,
//     R20); a deadline of "max" never times out (R20, R44);
//   * disconnection is permanent: a send that starts after any thread saw the channel
//     disconnected fails with `disconnected` (R10-R12, R16), a query reports it (R26), and a
//     receive that starts after one reported `disconnected` does not find a message (R10);
//   * queries give values the channel can have (capacity, size bounds, handle counts, R21, R26);
//   * empty handles throw for operations and not for copies and resets (R22, R39);
//   * exactly one handler of a select statement runs, a selected receive holds a message or
//     `disconnected`, a selected send completes or hands back its message (R30, R32, R33);
//   * "nothing was ready" needs an instant at which nothing was (R7, R20, R30, R36): a try_recv
//     that reports `empty`, a statement that runs its default, try_select or try_ready, and a
//     timed receive or selection whose deadline had passed when it began and that reports
//     `timeout`, fail if one of their receive channels surely held a message at every instant
//     of the call. "Surely" is a lower bound kept from the operations' starts and returns:
//     sends that returned, less receives that returned or are still running (or hold a
//     selection), and nothing known while a send on that channel is running (a claimed slot, a
//     held one, may hide the messages behind it). Sequentially consistent memory only.
//   * timer messages are never delivered before their time (R40, R41) and timers never
//     disconnect (R43);
//   * at the end, every message was destroyed exactly once and every allocation of the sync
//     layer was freed: no channel, block or message leaked or was destroyed twice (R9, R25);
//   * blocking for ever: when no thread can run and no deadline is pending, the harness looks at
//     what each thread waits for. If one could complete (its channel has room, a message, is
//     disconnected, or a rendezvous partner waits too), it is a lost wake-up (R19). Otherwise
//     the program legitimately blocks for ever; the harness then closes every channel (a
//     "rescue") and the run goes on: every waiting thread must wake (R12). A thread blocked on a
//     lock nobody will release, or parked inside an operation that may not block, is a failure.
//   * a livelock (the scheduler's step budget without progress) is a failure (R19).
//   * on weak memory, "before" in the checks above (a send that starts after the channel was seen
//     disconnected, a receive after it was drained) means happens-before, by the threads' vector
//     clocks: a later step need not see an earlier one. And R16: where the thread whose release
//     or close disconnected a channel is known, what it did before happens-before a receive that
//     reports `disconnected`. Data races (race_marker) are the sim backend's own check.
#pragma once

#include "decisions.hpp"
#include "program.hpp"

#include <rill/rill.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace rill::fuzz {

namespace sim = rill::detail::sync::sim;
using nanoseconds = std::chrono::nanoseconds;

inline constexpr int max_threads = 6;
inline constexpr int max_channels = 3;
inline constexpr int sequence_space = 64;
inline constexpr int id_space = max_threads * sequence_space;

/// When an operation started: its step (the interleaving order) and, under weak memory, the
/// thread's clock (what happened-before it).
struct moment {
  std::uint64_t step = 0;
  sim::vector_clock clock;
};

/// Who has seen something (a channel disconnected, drained), for "before" checks: under
/// sequentially consistent memory, the first step that saw it; under weak memory, each thread's
/// first sighting (its epoch), since "before" then means happens-before.
struct sightings {
  static constexpr std::uint64_t never = ~std::uint64_t{0};
  std::uint64_t first_step = never;
  std::array<std::uint32_t, sim::clock_threads> first_epoch{};  // 0: this thread has not seen it
};

class execution;
inline execution*& current_execution() {
  static execution* current = nullptr;
  return current;
}

/// A message whose every construction and destruction the execution counts.
class message {
 public:
  explicit message(int id);
  message(message&& other) noexcept : id_(std::exchange(other.id_, -1)) {}
  message& operator=(message&& other) noexcept {
    if (this != &other) {
      destroy();
      id_ = std::exchange(other.id_, -1);
    }
    return *this;
  }
  ~message() { destroy(); }
  [[nodiscard]] int id() const noexcept { return id_; }

 private:
  void destroy() noexcept;
  int id_ = -1;
};

inline std::string message_name(int id) {
  if (id < 0) return "(moved-from message)";
  return "m" + std::to_string(id / sequence_space) + "." + std::to_string(id % sequence_space);
}

struct run_report {
  bool failed = false;
  std::string reason;
  std::uint64_t steps = 0;
  std::uint64_t switches = 0;
  bool rescued = false;
};

/// Which memory model a run uses: the input's flag, or forced by the caller.
enum class memory_model : std::uint8_t { from_input, sequential, weak };

struct run_options {
  std::ostream* trace = nullptr;  // the program and every step, for replay
  std::uint64_t no_progress_limit = 200000;
  memory_model memory = memory_model::from_input;
  /// Answers the scheduler instead of the input's schedule bytes (PCT), when set.
  sim::decision_source* decisions = nullptr;
  /// Allocations by the program's threads may fail, by decision (sim::options::allocation_failures).
  bool allocation_failures = false;
  /// Sees every step after it took effect, when set (a guided campaign's coverage; fuzz/guided.hpp).
  std::function<void(const sim::step&)> observer;
};

inline nanoseconds duration_of(span_class which) {
  switch (which) {
    case span_class::zero: return nanoseconds(0);
    case span_class::negative: return -nanoseconds(5000);
    case span_class::micro: return nanoseconds(1000);
    case span_class::milli: return nanoseconds(1000000);
    case span_class::hour: return std::chrono::hours(1);
    case span_class::max: return nanoseconds::max();
  }
  return nanoseconds(0);
}

inline sim::time_point deadline_of(span_class which, sim::time_point start) {
  if (which == span_class::max) return sim::time_point::max();
  return start + duration_of(which);
}

/// The async target's way to run a blocking operation: `make()` makes its awaitable, which a
/// coroutine awaits on a rill::run_loop that the calling thread drives until the coroutine ends.
/// The loop's posts, its parking and its timers go through the sim backend like everything else.
/// An exception thrown by the awaitable (an empty handle) is rethrown here.
template <class Make>
auto await_on_loop(Make make) {
  using result_type = decltype(std::declval<std::invoke_result_t<Make&>&>().await_resume());
  rill::run_loop loop;
  std::optional<result_type> result;
  std::exception_ptr error;
  loop.spawn([](Make make, std::optional<result_type>& into, std::exception_ptr& error) -> rill::async_task {
    try {
      into.emplace(co_await make());
    } catch (...) {
      error = std::current_exception();
    }
  }(std::move(make), result, error));
  loop.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

class execution {
 public:
  execution(const program& decoded, std::span<const std::uint8_t> schedule, run_options options)
      : program_(decoded),
        bytes_(schedule),
        decisions_(options.decisions != nullptr ? *options.decisions : static_cast<sim::decision_source&>(bytes_)),
        options_(options) {}

  run_report run();

  // ---- message accounting, called by `message` ----
  void created(int id) {
    if (id < 0 || id >= id_space) return;
    if (++created_[id] > 1) fail("the harness made " + message_name(id) + " twice");
  }
  void destroyed(int id) {
    if (id < 0 || id >= id_space) return;
    // SPEC R9, R25: a message is destroyed exactly once.
    if (++destroyed_[id] > created_[id]) fail("R25: " + message_name(id) + " destroyed twice");
  }

 private:
  struct timer_slot {
    rill::receiver<rill::instant> receiver;
    sim::time_point earliest{};  // no message may carry an earlier time point
  };

  /// What a running operation may take from, or put into, each channel: for the lower bound of
  /// the messages a channel surely holds. Made when an operation starts and given back when it
  /// returns, or, for a held selection, when the selection is completed or abandoned.
  class claims {
   public:
    claims(execution& owner, const operation& op);
    claims(const claims&) = delete;
    claims& operator=(const claims&) = delete;
    ~claims();
    std::array<int, max_channels> receives{};  // receives this operation may make
    std::array<int, max_channels> sends{};     // sends this operation may have running

   private:
    execution& owner_;
  };

  /// A non-blocking operation, or a timed one whose deadline had passed when it began, watching
  /// the channels of its receive cases for an instant at which none surely held a message.
  struct stock_watch {
    std::array<bool, max_channels> channels{};
    std::array<int, max_channels> own{};  // the watching operation's own claims
    int least = 0;                        // the least lower bound seen since the call began
  };

  struct held_selection {
    std::unique_ptr<claims> claimed;  // declared first: given back after the selection is gone
    std::unique_ptr<rill::selector> selection;
    std::vector<rill::receiver<rill::instant>> timers;
    std::vector<sim::time_point> timer_earliest;
    std::optional<rill::selected_operation> chosen;
    const operation* op = nullptr;
    std::size_t case_number = 0;
    moment started;
    int reserved_id = -1;
  };

  struct thread_state {
    unsigned id = 0;
    std::array<std::array<rill::sender<message>, 2>, max_channels> senders;
    std::array<std::array<rill::receiver<message>, 2>, max_channels> receivers;
    timer_slot timer;
    int next_sequence = 0;
    const operation* current = nullptr;
    std::size_t current_index = 0;
    bool may_block = false;  // the current operation may wait for another thread
    std::unique_ptr<held_selection> held;
    bool completing_held = false;  // inside complete_selected: a held send's completion may block
    std::uint8_t completing_channel = 0;
    bool finished = false;
    std::optional<stock_watch> watch;
  };

  // ---- failures ----
  void fail(std::string why) {
    if (!failed_) {
      failed_ = true;
      reason_ = std::move(why);
      if (options_.trace != nullptr) *options_.trace << "FAILURE: " << reason_ << "\n";
    }
    if (scheduler_ != nullptr && scheduler_->in_thread()) scheduler_->stop();
  }

  // ---- tracing ----
  void event(const thread_state& me, const std::string& text) {
    if (options_.trace == nullptr) return;
    *options_.trace << "[" << scheduler_->steps() << " " << time_text() << "] T" << me.id << " op " << me.current_index
                    << ": " << text << "\n";
  }
  std::string time_text() const {
    const auto elapsed = scheduler_->now() - sim::time_point(std::chrono::seconds(1));
    return "t=" + std::to_string(std::chrono::duration_cast<nanoseconds>(elapsed).count()) + "ns";
  }
  void print_step(const sim::step& taken);

  // ---- the program ----
  void setup();
  void thread_body(unsigned index);
  void execute(thread_state& me, const operation& op);
  void dispatch(thread_state& me, const operation& op);
  void execute_send(thread_state& me, const operation& op);
  void execute_recv(thread_state& me, const operation& op);
  void execute_handles(thread_state& me, const operation& op);
  void execute_iterate(thread_state& me, const operation& op);
  void execute_query(thread_state& me, const operation& op);
  void execute_select(thread_state& me, const operation& op);
  void execute_selector(thread_state& me, const operation& op);
  void execute_timer(thread_state& me, const operation& op);
  void finish_held(thread_state& me, bool complete);
  void complete_selected(thread_state& me, held_selection& held, bool complete);
  void release_everything(thread_state& me);

  int new_id(thread_state& me, std::uint8_t channel) {
    const int id = static_cast<int>(me.id) * sequence_space + me.next_sequence++;
    channel_of_[id] = channel;
    ++made_for_[channel];
    return id;
  }

  // ---- the oracle ----
  [[nodiscard]] moment now_moment() const {
    moment now;
    now.step = scheduler_->steps();
    if (scheduler_->weak() && scheduler_->in_thread()) now.clock = scheduler_->clock_of(scheduler_->current());
    return now;
  }
  void see(sightings& seen) const {
    if (seen.first_step == sightings::never) seen.first_step = scheduler_->steps();
    if (scheduler_->weak() && scheduler_->in_thread()) {
      auto& epoch = seen.first_epoch[scheduler_->current()];
      if (epoch == 0) epoch = scheduler_->epoch_now();
    }
  }
  /// Whether a sighting comes before `start`: in step order under sequentially consistent
  /// memory, by happens-before under weak memory (where a later step may not see an earlier one).
  [[nodiscard]] bool seen_before(const sightings& seen, const moment& start) const {
    if (!scheduler_->weak()) return seen.first_step != sightings::never && seen.first_step < start.step;
    for (unsigned t = 0; t < sim::clock_threads; ++t) {
      if (seen.first_epoch[t] != 0 && start.clock.covers(t, seen.first_epoch[t])) return true;
    }
    return false;
  }
  [[nodiscard]] bool seen_disconnected_before(std::uint8_t channel, const moment& started) const {
    return seen_before(disconnected_[channel], started);
  }
  [[nodiscard]] bool drained_before(std::uint8_t channel, const moment& started) const {
    return seen_before(drained_[channel], started) && !ever_held_[channel];
  }
  void saw_disconnected(std::uint8_t channel) { see(disconnected_[channel]); }
  void saw_drained(std::uint8_t channel) { see(drained_[channel]); }
  /// SPEC R16, under weak memory: the thread that released the last sender (or closed) is known
  /// when a single thread ever held senders of the channel and nobody else closed it; what it did
  /// before releasing then happens-before a receive that reports `disconnected`.
  // The epoch is the one before the action that disconnected: the first close, or the release
  // of the thread's last sender; what comes after (a close after the last release) disconnects
  // nothing, and a receive may learn of the disconnection from the first action alone.
  void before_releasing_sender(const thread_state& me, std::uint8_t channel) {
    if (scheduler_->weak() && sender_thread_[channel] == static_cast<int>(me.id) && !disconnected_by_sender_[channel]) {
      release_epoch_[channel] = scheduler_->epoch_now();
    }
  }
  void after_releasing_sender(const thread_state& me, std::uint8_t channel) {
    if (!me.senders[channel][0].valid() && !me.senders[channel][1].valid()) disconnected_by_sender_[channel] = true;
  }
  void before_closing(const thread_state& me, std::uint8_t channel) {
    if (sender_thread_[channel] != static_cast<int>(me.id)) foreign_close_[channel] = true;
    before_releasing_sender(me, channel);
    disconnected_by_sender_[channel] = true;
  }
  void check_disconnection_visible(const thread_state& me, std::uint8_t channel);
  void check_timeout(const char* rule, span_class timeout, sim::time_point start) {
    // SPEC R20: a deadline that cannot be reached never passes; another passes only at its time.
    if (timeout == span_class::max) fail(std::string(rule) + ": timed out with no deadline (duration max)");
    if (scheduler_->now() < deadline_of(timeout, start)) {
      fail(std::string(rule) + ": timed out before its deadline on the virtual clock");
    }
  }
  void received(thread_state& me, std::uint8_t channel, int id, const moment& started);
  [[nodiscard]] int surely_held(const stock_watch& watch) const {
    int total = 0;
    for (std::size_t c = 0; c < program_.channels.size() && c < max_channels; ++c) {
      if (!watch.channels[c] || program_.channels[c].kind == flavor::zero || claimed_sends_[c] > 0) continue;
      total +=
          std::max(0, sent_to_[c] - received_from_[c] - abandoned_from_[c] - (claimed_receives_[c] - watch.own[c]));
    }
    return total;
  }
  void stock_changed() {
    for (auto& each : threads_) {
      if (each->watch) each->watch->least = std::min(each->watch->least, surely_held(*each->watch));
    }
  }
  void start_watch(thread_state& me, const operation& op, const claims& claimed);
  /// The operation reports that nothing was ready (R7, R20, R30, R36): some instant of the call
  /// must have had no message surely in its receive channels.
  void nothing_ready(thread_state& me, const char* rule, const std::string& what) {
    if (!me.watch || me.watch->least < 1) return;
    std::string channels;
    for (int c = 0; c < max_channels; ++c) {
      if (me.watch->channels[c]) channels += (channels.empty() ? "ch" : " or ch") + std::to_string(c);
    }
    fail(std::string(rule) + ": " + what + ", but " + channels +
         " held a message at every instant of the call (sent before it began, or during it, and not received)");
  }
  void check_send(thread_state& me, std::uint8_t channel, int id, const moment& started,
                  const rill::send_result<message>& result, op_code code, span_class timeout, sim::time_point start);
  void check_recv(thread_state& me, std::uint8_t channel, const moment& started,
                  const rill::recv_result<message>& result, op_code code, span_class timeout, sim::time_point start);
  void check_timer_message(const rill::recv_result<rill::instant>& result, sim::time_point earliest, bool may_time_out,
                           const char* what);
  void rescue();
  /// Operations that make a timer channel (and so allocate).
  static bool makes_a_timer(const operation& op) {
    switch (op.code) {
      case op_code::timer_after:
      case op_code::timer_at:
      case op_code::timer_tick: return true;
      case op_code::select:
      case op_code::selector:
        return std::any_of(op.cases.begin(), op.cases.end(),
                           [](const select_case& each) { return each.kind == case_kind::timer; });
      default: return false;
    }
  }
  /// Operations that never wait for another thread (R4, R7, R30, R36): the try forms, queries,
  /// a statement with a default, try_select and try_ready.
  static bool never_blocks(const operation& op) {
    switch (op.code) {
      case op_code::try_send:
      case op_code::try_recv:
      case op_code::try_iterate:
      case op_code::query: return true;
      case op_code::select: return op.fallback == fallback_kind::on_default;
      case op_code::selector: return op.mode == selector_mode::try_select || op.mode == selector_mode::try_ready;
      default: return false;
    }
  }
  std::string describe_blocked() const;

  const program& program_;
  byte_decisions bytes_;
  sim::decision_source& decisions_;
  run_options options_;
  sim::scheduler* scheduler_ = nullptr;
  std::vector<std::unique_ptr<thread_state>> threads_;

  std::array<int, id_space> created_{};
  std::array<int, id_space> destroyed_{};
  std::array<int, id_space> received_{};
  std::array<int, id_space> returned_{};
  std::array<std::uint8_t, id_space> channel_of_{};
  // Per receiving thread, channel and sending thread: (sequence, step the receive started).
  std::array<std::array<std::array<std::vector<std::pair<int, std::uint64_t>>, max_threads>, max_channels>, max_threads>
      receptions_{};
  std::array<sightings, max_channels> disconnected_{};
  std::array<sightings, max_channels> drained_{};
  // R16 under weak memory: the one thread that holds senders of each channel (-1: none, or
  // several), its epoch just before its latest release or close, and whether another thread closed.
  std::array<int, max_channels> sender_thread_{-1, -1, -1};
  std::array<std::uint32_t, max_channels> release_epoch_{};
  std::array<bool, max_channels> foreign_close_{};
  std::array<bool, max_channels> disconnected_by_sender_{};
  std::array<bool, max_channels> ever_held_{};
  // Per channel: messages made to be sent on it (sent or not), and messages received from it. A
  // channel never buffers more than the first minus the second counted when a query starts.
  std::array<int, max_channels> made_for_{};
  std::array<int, max_channels> received_from_{};
  // The lower bound of the messages each channel surely holds (see the oracle at the top): sends
  // that returned successfully, selected receives abandoned (each may have destroyed one), and
  // the claims of the operations running or held.
  std::array<int, max_channels> sent_to_{};
  std::array<int, max_channels> abandoned_from_{};
  std::array<int, max_channels> claimed_receives_{};
  std::array<int, max_channels> claimed_sends_{};
  bool waits_for_itself_ = false;  // the run ended with threads blocked on their own held selection

  /// The channels of the operation a thread is blocked in (its channel, or its selection's).
  static std::array<bool, max_channels> channels_of(const operation& op) {
    std::array<bool, max_channels> on{};
    if (op.code == op_code::select || op.code == op_code::selector) {
      for (const auto& each : op.cases) {
        if (each.kind != case_kind::timer) on[each.channel] = true;
      }
    } else {
      on[op.channel] = true;
    }
    return on;
  }
  /// The channels of a thread's held selection.
  static std::array<bool, max_channels> held_channels(const thread_state& thread) {
    std::array<bool, max_channels> on{};
    if (thread.held == nullptr || thread.held->op == nullptr) return on;
    for (const auto& each : thread.held->op->cases) {
      if (each.kind != case_kind::timer) on[each.channel] = true;
    }
    return on;
  }
  /// True if the threads still blocked wait, directly or not, only for held selections whose
  /// holders wait for themselves: every holder is blocked on a channel of its own held selection
  /// (SPEC R33: it may wait for itself), and every other blocked thread is blocked on a channel
  /// one of those holders holds (R33: the receives behind a held slot, or paired with a held
  /// rendezvous send, wait for its completion, closed or not).
  bool only_self_waits_remain() const {
    std::array<bool, max_channels> stuck_held{};
    for (const auto& each : threads_) {
      if (each->finished || each->current == nullptr || each->held == nullptr) continue;
      const auto held = held_channels(*each);
      const auto blocked = channels_of(*each->current);
      bool on_own = false;
      for (int c = 0; c < max_channels; ++c) on_own = on_own || (held[c] && blocked[c]);
      if (!on_own) continue;
      for (int c = 0; c < max_channels; ++c) stuck_held[c] = stuck_held[c] || held[c];
    }
    bool any = false;
    for (const auto& each : threads_) {
      if (each->finished) continue;
      if (each->current == nullptr) return false;
      const auto blocked = channels_of(*each->current);
      bool behind = false;
      for (int c = 0; c < max_channels; ++c) behind = behind || (stuck_held[c] && blocked[c]);
      if (!behind) return false;
      any = true;
    }
    return any;
  }
  std::array<bool, max_channels> maybe_hole_{};
  bool failed_ = false;
  bool rescued_ = false;
  std::string reason_;
};

inline message::message(int id) : id_(id) {
  if (execution* current = current_execution()) current->created(id);
}
inline void message::destroy() noexcept {
  if (id_ < 0) return;
  if (execution* current = current_execution()) current->destroyed(id_);
  id_ = -1;
}

inline void execution::print_step(const sim::step& taken) {
  std::ostream& out = *options_.trace;
  if (taken.kind == sim::step_kind::time_jump) {
    out << "[" << taken.index << " " << time_text() << "]    clock jumps to the earliest deadline\n";
    return;
  }
  std::string file = taken.where.file_name();
  if (const auto cut = file.find("include/rill/"); cut != std::string::npos) file = file.substr(cut + 8);
  if (const auto cut = file.find("fuzz/"); cut != std::string::npos) file = file.substr(cut);
  out << "[" << taken.index << " " << time_text() << "]    ";
  if (taken.thread == sim::no_thread) {
    out << "main";
  } else if (taken.thread >= program_.threads.size()) {
    out << "rescue";
  } else {
    out << "T" << taken.thread;
  }
  out << " " << sim::to_string(taken.kind);
  if (taken.has_order) {
    out << " " << (taken.site_name != nullptr ? taken.site_name : "(unnamed)") << "/" << sim::to_string(taken.order);
  }
  if (taken.has_value) out << " = " << taken.value;
  if (taken.stale != 0)
    out << " (stale: read past " << taken.stale << " newer store" << (taken.stale > 1 ? "s" : "") << ")";
  out << "  " << file << ":" << taken.where.line() << "\n";
}

inline run_report execution::run() {
  sim::options settings;
  settings.park_after = program_.park_after;
  settings.spurious_failures = program_.spurious_failures;
  settings.no_progress_limit = options_.no_progress_limit;
  settings.allocation_failures = options_.allocation_failures;
  settings.weak_memory =
      options_.memory == memory_model::weak || (options_.memory == memory_model::from_input && program_.weak_memory);
  sim::scheduler scheduler(decisions_, settings);
  scheduler_ = &scheduler;
  sim::active() = &scheduler;
  current_execution() = this;
  if (options_.trace != nullptr) {
    print(program_, *options_.trace);
    *options_.trace << "memory: " << (settings.weak_memory ? "weak" : "sequentially consistent") << "\n";
    scheduler.observer = [this](const sim::step& taken) {
      print_step(taken);
      if (options_.observer) options_.observer(taken);
    };
  } else if (options_.observer) {
    scheduler.observer = options_.observer;
  }
  // SPEC R4, R7, R19, R30, R36: an operation that never waits for another thread never parks (a
  // held selection's completion excepted, which may be a blocking send).
  scheduler.on_park = [this] {
    if (scheduler_->current() >= threads_.size()) return;  // the rescue
    const thread_state& me = *threads_[scheduler_->current()];
    if (me.current != nullptr && !me.completing_held && never_blocks(*me.current)) {
      fail("R19: T" + std::to_string(me.id) + " parks inside an operation that does not block (" +
           describe(*me.current) + ")");
    }
  };
  const long long allocations_before = sim::live_allocations();

  setup();
  for (unsigned t = 0; t < threads_.size(); ++t) scheduler.spawn([this, t] { thread_body(t); });

  for (;;) {
    const sim::run_status status = scheduler.run();
    if (failed_) break;
    if (status == sim::run_status::finished) break;
    if (status == sim::run_status::step_limit) {
      // SPEC R19: operations finish; a spin that never ends is a bug.
      fail("R19: livelock: " + std::to_string(settings.no_progress_limit) + " steps without any operation returning\n" +
           describe_blocked());
      break;
    }
    if (status == sim::run_status::stopped) {
      fail(scheduler.violation_message());
      break;
    }
    // Stuck: nobody can run and no deadline is pending.
    if (rescued_) {
      // SPEC R33: a thread that holds a selected send and then receives from that channel (or
      // waits on any operation of it) may wait for itself, closed or not: the held slot's
      // completion may still deliver a message (R7), and so may the other receives behind that
      // slot. That blocks for ever legitimately; the run ends there, its threads never resumed
      // and their messages left alone.
      if (only_self_waits_remain()) {
        waits_for_itself_ = true;
        if (options_.trace != nullptr) {
          *options_.trace << "every blocked thread waits for a held selection whose holder waits for itself (R33)\n";
        }
        break;
      }
      // SPEC R12: close() wakes every blocked sender and receiver.
      fail("R12, R19: still blocked after every channel was closed\n" + describe_blocked());
      break;
    }
    rescued_ = true;
    if (options_.trace != nullptr) *options_.trace << "every thread is blocked: checking that none could go on\n";
    scheduler.spawn([this] { rescue(); });
  }

  if (!failed_ && !waits_for_itself_) {
    for (int id = 0; id < id_space; ++id) {
      // SPEC R9, R25: every message is destroyed exactly once, by its receiver, by the channel or
      // by the sender it was handed back to.
      if (created_[id] != destroyed_[id]) {
        fail("R9, R25: " + message_name(id) + " was made " + std::to_string(created_[id]) + " times and destroyed " +
             std::to_string(destroyed_[id]) + " times (" + (destroyed_[id] < created_[id] ? "leaked" : "twice") + ")");
        break;
      }
    }
  }
  if (!failed_ && !waits_for_itself_ && sim::live_allocations() != allocations_before) {
    // SPEC R25: the shared state (and every block) is freed exactly once when the last handle goes.
    fail("R25: " + std::to_string(sim::live_allocations() - allocations_before) +
         " allocation(s) of the sync layer not freed when every handle was gone");
  }

  run_report report;
  report.failed = failed_;
  report.reason = reason_;
  report.steps = scheduler.steps();
  report.switches = scheduler.switches();
  report.rescued = rescued_;
  if (failed_ || waits_for_itself_) {
    // The unfinished threads are never resumed; what they hold (handles, messages, channel
    // memory) is left alone rather than destroyed under their feet.
    for (auto& each : threads_) (void)each.release();
  } else {
    threads_.clear();
  }
  current_execution() = nullptr;
  scheduler_ = nullptr;
  return report;
}

inline void execution::setup() {
  const std::size_t thread_count = std::min<std::size_t>(program_.threads.size(), max_threads);
  for (unsigned t = 0; t < thread_count; ++t) {
    threads_.push_back(std::make_unique<thread_state>());
    threads_.back()->id = t;
  }
  for (std::size_t c = 0; c < program_.channels.size() && c < max_channels; ++c) {
    const channel_spec& spec = program_.channels[c];
    auto [sender, receiver] = spec.kind == flavor::list
                                  ? rill::unbounded<message>()
                                  : rill::bounded<message>(spec.kind == flavor::zero ? 0 : spec.capacity);
    int holders = 0;
    for (unsigned t = 0; t < thread_count; ++t) {
      const std::uint8_t holds = program_.threads[t].handles[c];
      if (holds & 1) {
        threads_[t]->senders[c][0] = sender;
        sender_thread_[c] = ++holders == 1 ? static_cast<int>(t) : -1;
      }
      if (holds & 2) threads_[t]->receivers[c][0] = receiver;
    }
  }  // the originals go here: a channel nobody holds a side of is disconnected from the start
}

inline void execution::thread_body(unsigned index) {
  thread_state& me = *threads_[index];
  const thread_spec& spec = program_.threads[index];
  for (std::size_t i = 0; i < spec.ops.size(); ++i) {
    me.current = &spec.ops[i];
    me.current_index = i;
    me.may_block = false;
    event(me, describe(spec.ops[i]));
    try {
      execute(me, spec.ops[i]);
    } catch (const std::bad_alloc&) {
      // SPEC R24: making a timer allocates its channel, and a failure throws std::bad_alloc from
      // the call that makes it (after, at, tick; a selection's timer case is made before the
      // selection starts anything). Nothing else a program does may throw it.
      if (!options_.allocation_failures || !makes_a_timer(spec.ops[i])) {
        fail("R24: std::bad_alloc from " + describe(spec.ops[i]));
      } else {
        event(me, "-> std::bad_alloc (an allocation failed)");
      }
    } catch (const std::exception& error) {
      fail(std::string("unexpected exception from ") + describe(spec.ops[i]) + ": " + error.what());
    }
    me.may_block = false;
    scheduler_->note_progress();
  }
  me.current = nullptr;
  me.current_index = spec.ops.size();
  event(me, "done; releasing its handles");
  release_everything(me);
  me.finished = true;
}

inline void execution::release_everything(thread_state& me) {
  if (me.held) finish_held(me, true);
  for (std::uint8_t channel = 0; channel < max_channels; ++channel) {
    for (auto& handle : me.senders[channel]) {
      if (!handle.valid()) continue;
      before_releasing_sender(me, channel);
      handle.reset();
      after_releasing_sender(me, channel);
    }
  }
  for (auto& side : me.receivers) {
    for (auto& handle : side) handle.reset();
  }
  me.timer.receiver.reset();
}

inline execution::claims::claims(execution& owner, const operation& op) : owner_(owner) {
  switch (op.code) {
    case op_code::send:
    case op_code::try_send:
    case op_code::send_for:
    case op_code::send_until: sends[op.channel] = 1; break;
    case op_code::recv:
    case op_code::try_recv:
    case op_code::recv_for:
    case op_code::recv_until: receives[op.channel] = 1; break;
    case op_code::iterate: receives[op.channel] = op.limit; break;
    case op_code::try_iterate: receives[op.channel] = sequence_space * max_threads; break;
    case op_code::select:
    case op_code::selector:
      for (const select_case& each : op.cases) {
        if (each.kind == case_kind::recv) ++receives[each.channel];
        if (each.kind == case_kind::send) ++sends[each.channel];
      }
      break;
    default: break;
  }
  for (int c = 0; c < max_channels; ++c) {
    owner_.claimed_receives_[c] += receives[c];
    owner_.claimed_sends_[c] += sends[c];
  }
  owner_.stock_changed();
}

inline execution::claims::~claims() {
  for (int c = 0; c < max_channels; ++c) {
    owner_.claimed_receives_[c] -= receives[c];
    owner_.claimed_sends_[c] -= sends[c];
  }
  owner_.stock_changed();
}

inline void execution::start_watch(thread_state& me, const operation& op, const claims& claimed) {
  if (scheduler_->weak()) return;  // "at every instant" needs one order of all steps
  const bool passed = op.timeout == span_class::zero || op.timeout == span_class::negative;
  bool watches = false;
  switch (op.code) {
    case op_code::try_recv: watches = true; break;
    case op_code::recv_for:
    case op_code::recv_until: watches = passed; break;
    case op_code::select:
      watches = op.fallback == fallback_kind::on_default || (op.fallback == fallback_kind::on_timeout && passed);
      break;
    case op_code::selector:
      watches = op.mode == selector_mode::try_select || op.mode == selector_mode::try_ready ||
                ((op.mode == selector_mode::select_for || op.mode == selector_mode::ready_for) && passed);
      break;
    default: break;
  }
  if (!watches) return;
  stock_watch watch;
  watch.own = claimed.receives;
  for (int c = 0; c < max_channels; ++c) watch.channels[c] = claimed.receives[c] > 0;
  watch.least = surely_held(watch);
  me.watch = watch;
}

inline void execution::execute(thread_state& me, const operation& op) {
  auto claimed = std::make_unique<claims>(*this, op);
  start_watch(me, op, *claimed);
  struct end_watch {
    thread_state& me;
    ~end_watch() { me.watch.reset(); }
  } ending{me};
  dispatch(me, op);
  // A held selection keeps its claims until it is completed or abandoned.
  if (op.code == op_code::selector && me.held != nullptr && me.held->op == &op && !me.held->claimed) {
    me.held->claimed = std::move(claimed);
  }
}

inline void execution::dispatch(thread_state& me, const operation& op) {
  switch (op.code) {
    case op_code::send:
    case op_code::try_send:
    case op_code::send_for:
    case op_code::send_until: return execute_send(me, op);
    case op_code::recv:
    case op_code::try_recv:
    case op_code::recv_for:
    case op_code::recv_until: return execute_recv(me, op);
    case op_code::close:
    case op_code::clone_sender:
    case op_code::clone_receiver:
    case op_code::reset_sender:
    case op_code::reset_receiver: return execute_handles(me, op);
    case op_code::iterate:
    case op_code::try_iterate: return execute_iterate(me, op);
    case op_code::query: return execute_query(me, op);
    case op_code::select: return execute_select(me, op);
    case op_code::selector: return execute_selector(me, op);
    case op_code::finish_held:
      if (me.held) finish_held(me, op.slot == 0);
      return;
    case op_code::timer_after:
    case op_code::timer_at:
    case op_code::timer_tick:
    case op_code::timer_recv: return execute_timer(me, op);
  }
}

// ---- oracle checks ----

inline void execution::received(thread_state& me, std::uint8_t channel, int id, const moment& started) {
  // SPEC R9: a received message was sent, on this channel, and is received once.
  if (id < 0 || id >= id_space || created_[id] == 0) {
    return fail("R9: received a message that was never sent (" + message_name(id) + ")");
  }
  if (channel_of_[id] != channel) {
    return fail("R9: " + message_name(id) + " was sent on ch" + std::to_string(channel_of_[id]) +
                " and received from ch" + std::to_string(channel));
  }
  if (received_[id] != 0) return fail("R9: " + message_name(id) + " received twice");
  if (returned_[id] != 0)
    return fail("R9: " + message_name(id) + " was handed back by its failed send and also received");
  if (destroyed_[id] != 0) return fail("R25: " + message_name(id) + " received after it was destroyed");
  // SPEC R10: once a receive reported `disconnected`, the channel is drained for good.
  if (drained_before(channel, started)) {
    return fail("R10: " + message_name(id) +
                " received by a receive that started after another reported "
                "ch" +
                std::to_string(channel) + " disconnected (drained)");
  }
  // SPEC R13: one sender's messages reach one receiving thread in the order they were sent. A
  // selected receive takes its message when it is selected (R30) and hands it over when it is
  // completed, so each reception is ordered by the step at which the receive started.
  const int sender = id / sequence_space;
  const int sequence = id % sequence_space;
  auto& history = receptions_[me.id][channel][sender];
  for (const auto& [earlier_sequence, earlier_start] : history) {
    if ((earlier_start < started.step) != (earlier_sequence < sequence)) {
      return fail("R13: T" + std::to_string(me.id) + " received " + message_name(id) + " and " +
                  message_name(sender * sequence_space + earlier_sequence) + " from the same sender on ch" +
                  std::to_string(channel) + " out of order");
    }
  }
  history.emplace_back(sequence, started.step);
  ++received_[id];
  ++received_from_[channel];
  stock_changed();
}

inline void execution::check_send(thread_state&, std::uint8_t channel, int id, const moment& started,
                                  const rill::send_result<message>& result, op_code code, span_class timeout,
                                  sim::time_point start) {
  const bool disconnected_before = seen_disconnected_before(channel, started);
  if (result) {
    // SPEC R10, R11, R12: a disconnected channel stays disconnected; every later send fails.
    if (disconnected_before) {
      fail("R12: a send on ch" + std::to_string(channel) + " succeeded after the channel was seen disconnected");
    }
    ++sent_to_[channel];
    stock_changed();
    return;
  }
  const auto& error = result.error();
  // SPEC R9: a failed send hands back its own message.
  if (error.message.id() != id) {
    return fail("R9: a failed send handed back " + message_name(error.message.id()) + " instead of " +
                message_name(id));
  }
  ++returned_[id];
  // SPEC R4: disconnection is checked first.
  if (disconnected_before && error.reason != rill::send_errc::disconnected) {
    return fail("R4: a send on ch" + std::to_string(channel) + " reported " +
                std::string(rill::to_string(error.reason)) + " after the channel was seen disconnected");
  }
  switch (error.reason) {
    case rill::send_errc::full:
      // SPEC R3, R4: only try_send reports full; an unbounded channel is never full.
      if (code != op_code::try_send) fail("R3: only try_send reports full");
      if (program_.channels[channel].kind == flavor::list) fail("R4: try_send on an unbounded channel reported full");
      return;
    case rill::send_errc::timeout:
      // SPEC R5, R20
      if (code == op_code::send || code == op_code::try_send) return fail("R5: an untimed send reported timeout");
      return check_timeout("R5", timeout, start);
    case rill::send_errc::disconnected: return saw_disconnected(channel);
    case rill::send_errc::out_of_memory:
      // SPEC R24: only a send on an unbounded channel allocates (a block), and only when an
      // allocation can fail does it report out_of_memory; the message is handed back (checked above).
      if (!options_.allocation_failures) return fail("R24: out_of_memory, but no allocation fails in this run");
      if (program_.channels[channel].kind != flavor::list) {
        return fail("R24: out_of_memory from a bounded or rendezvous channel, which allocate only when made");
      }
      return;
    case rill::send_errc::cancelled: return fail("R50: a send that no one cancelled reported cancelled");
  }
}

inline void execution::check_disconnection_visible(const thread_state& me, std::uint8_t channel) {
  // SPEC R16: the release of the last sender, and close(), happen-before a receive that reports
  // `disconnected` because of it.
  if (!scheduler_->weak() || foreign_close_[channel] || release_epoch_[channel] == 0) return;
  const int sender = sender_thread_[channel];
  if (sender < 0 || sender == static_cast<int>(me.id)) return;
  if (!scheduler_->clock_of(me.id).covers(static_cast<unsigned>(sender), release_epoch_[channel])) {
    fail("R16: T" + std::to_string(me.id) + " learned that ch" + std::to_string(channel) + " is disconnected, but T" +
         std::to_string(sender) + "'s release of its last sender (or its close) does not happen-before that");
  }
}

inline void execution::check_recv(thread_state& me, std::uint8_t channel, const moment& started,
                                  const rill::recv_result<message>& result, op_code code, span_class timeout,
                                  sim::time_point start) {
  if (result) return received(me, channel, result->id(), started);
  switch (result.error()) {
    case rill::recv_error::empty:
      // SPEC R6, R8: only try_recv reports empty.
      if (code != op_code::try_recv) fail("R6: only try_recv reports empty");
      nothing_ready(me, "R7", "try_recv reported empty");
      if (drained_before(channel, started)) {
        fail("R10: try_recv reported empty after a receive reported ch" + std::to_string(channel) + " disconnected");
      }
      return;
    case rill::recv_error::timeout:
      // SPEC R8, R20
      if (code == op_code::recv || code == op_code::try_recv) return fail("R8: an untimed receive reported timeout");
      nothing_ready(me, "R20", "a timed receive whose deadline had passed when it began reported timeout");
      if (drained_before(channel, started)) {
        fail("R8: a timed receive reported timeout on ch" + std::to_string(channel) +
             " after a receive reported it disconnected and drained");
      }
      return check_timeout("R8", timeout, start);
    case rill::recv_error::disconnected:
      check_disconnection_visible(me, channel);
      saw_disconnected(channel);
      saw_drained(channel);
      return;
    case rill::recv_error::cancelled: return fail("R50: a receive that no one cancelled reported cancelled");
  }
}

inline void execution::check_timer_message(const rill::recv_result<rill::instant>& result, sim::time_point earliest,
                                           bool may_time_out, const char* what) {
  if (result) {
    // SPEC R40, R41: a timer's message is its time point, delivered at or after that time.
    if (*result > scheduler_->now()) fail(std::string("R40: ") + what + " delivered a time point still in the future");
    if (*result < earliest) fail(std::string("R40: ") + what + " delivered a time point before the timer's time");
    return;
  }
  // SPEC R43: timers are never disconnected.
  if (result.error() == rill::recv_error::disconnected) fail(std::string("R43: ") + what + " reported disconnected");
  if (result.error() == rill::recv_error::timeout && !may_time_out) {
    fail(std::string("R30: ") + what + " reported timeout without a deadline");
  }
}

// ---- operations ----

inline void execution::execute_send(thread_state& me, const operation& op) {
  const std::uint8_t channel = op.channel;
  const rill::sender<message>& handle = me.senders[channel][op.slot];
  const bool was_empty = !handle.valid();
  const int id = new_id(me, channel);
  const moment started = now_moment();
  const sim::time_point start = scheduler_->now();
  me.may_block = op.code != op_code::try_send;
  try {
    std::optional<rill::send_result<message>> result;
    if (program_.awaited && op.code != op_code::try_send) {
      const span_class timeout = op.timeout;
      switch (op.code) {
        case op_code::send:
          result.emplace(await_on_loop([&handle, id] { return handle.async_send(message(id)); }));
          break;
        case op_code::send_for:
          result.emplace(await_on_loop(
              [&handle, id, timeout] { return handle.async_send_for(message(id), duration_of(timeout)); }));
          break;
        default:
          result.emplace(await_on_loop([&handle, id, timeout, start] {
            return handle.async_send_until(message(id), deadline_of(timeout, start));
          }));
          break;
      }
    } else {
      switch (op.code) {
        case op_code::send: result.emplace(handle.send(message(id))); break;
        case op_code::try_send: result.emplace(handle.try_send(message(id))); break;
        case op_code::send_for: result.emplace(handle.send_for(message(id), duration_of(op.timeout))); break;
        default: result.emplace(handle.send_until(message(id), deadline_of(op.timeout, start))); break;
      }
    }
    // SPEC R22: an operation on an empty handle throws.
    if (was_empty) return fail("R22: a send on an empty handle did not throw");
    event(me, *result ? "-> ok " + message_name(id)
                      : "-> " + std::string(rill::to_string(result->error().reason)) + " " + message_name(id));
    check_send(me, channel, id, started, *result, op.code, op.timeout, start);
  } catch (const rill::empty_handle_error&) {
    if (!was_empty) fail("R22: a send on a valid handle threw empty_handle_error");
    event(me, "-> empty_handle_error");
  }
}

inline void execution::execute_recv(thread_state& me, const operation& op) {
  const std::uint8_t channel = op.channel;
  const rill::receiver<message>& handle = me.receivers[channel][op.slot];
  const bool was_empty = !handle.valid();
  const moment started = now_moment();
  const sim::time_point start = scheduler_->now();
  me.may_block = op.code != op_code::try_recv;
  try {
    std::optional<rill::recv_result<message>> result;
    if (program_.awaited && op.code != op_code::try_recv) {
      const span_class timeout = op.timeout;
      switch (op.code) {
        case op_code::recv: result.emplace(await_on_loop([&handle] { return handle.async_recv(); })); break;
        case op_code::recv_for:
          result.emplace(await_on_loop([&handle, timeout] { return handle.async_recv_for(duration_of(timeout)); }));
          break;
        default:
          result.emplace(await_on_loop(
              [&handle, timeout, start] { return handle.async_recv_until(deadline_of(timeout, start)); }));
          break;
      }
    } else {
      switch (op.code) {
        case op_code::recv: result.emplace(handle.recv()); break;
        case op_code::try_recv: result.emplace(handle.try_recv()); break;
        case op_code::recv_for: result.emplace(handle.recv_for(duration_of(op.timeout))); break;
        default: result.emplace(handle.recv_until(deadline_of(op.timeout, start))); break;
      }
    }
    if (was_empty) return fail("R22: a receive on an empty handle did not throw");
    event(me, *result ? "-> " + message_name((*result)->id()) : "-> " + std::string(rill::to_string(result->error())));
    check_recv(me, channel, started, *result, op.code, op.timeout, start);
  } catch (const rill::empty_handle_error&) {
    if (!was_empty) fail("R22: a receive on a valid handle threw empty_handle_error");
    event(me, "-> empty_handle_error");
  }
}

inline void execution::execute_handles(thread_state& me, const operation& op) {
  // SPEC R21, R22: copies and resets of empty handles do nothing; close() on one throws.
  const std::uint8_t channel = op.channel;
  auto& senders = me.senders[channel];
  auto& receivers = me.receivers[channel];
  if (me.held && op.code != op_code::close) finish_held(me, true);  // the selection refers to these slots
  switch (op.code) {
    case op_code::close: {
      const bool was_empty = op.slot == 0 ? !senders[0].valid() : !receivers[0].valid();
      if (!was_empty) before_closing(me, channel);
      try {
        if (op.slot == 0) {
          senders[0].close();
        } else {
          receivers[0].close();
        }
        if (was_empty) return fail("R22: close() on an empty handle did not throw");
        saw_disconnected(channel);
        event(me, "-> closed");
      } catch (const rill::empty_handle_error&) {
        if (!was_empty) fail("R22: close() on a valid handle threw empty_handle_error");
        event(me, "-> empty_handle_error");
      }
      return;
    }
    case op_code::clone_sender:
      // The copy replaces the other slot's handle: a release of that one.
      if (senders[1 - op.slot].valid()) before_releasing_sender(me, channel);
      senders[1 - op.slot] = senders[op.slot];
      after_releasing_sender(me, channel);
      break;
    case op_code::clone_receiver: receivers[1 - op.slot] = receivers[op.slot]; break;
    case op_code::reset_sender:
      if (senders[op.slot].valid()) {
        before_releasing_sender(me, channel);
        senders[op.slot].reset();
        after_releasing_sender(me, channel);
      }
      break;
    default: receivers[op.slot].reset(); break;
  }
  event(me, "-> done");
}

inline void execution::execute_iterate(thread_state& me, const operation& op) {
  // SPEC R27: iteration receives until disconnected (or, try_iter, until empty).
  const std::uint8_t channel = op.channel;
  auto& handle = me.receivers[channel][op.slot];
  const bool was_empty = !handle.valid();
  const moment started = now_moment();
  me.may_block = op.code == op_code::iterate;
  moment next_started = started;
  try {
    std::size_t count = 0;
    if (op.code == op_code::iterate) {
      for (message& each : handle) {
        event(me, "-> iteration yields " + message_name(each.id()));
        received(me, channel, each.id(), next_started);
        next_started = now_moment();  // the next receive starts after this one returned
        scheduler_->note_progress();
        if (++count >= op.limit) break;
      }
      if (count < op.limit) {
        check_disconnection_visible(me, channel);
        saw_disconnected(channel);
        saw_drained(channel);
      }
    } else {
      for (message& each : handle.try_iter()) {
        event(me, "-> try_iter yields " + message_name(each.id()));
        received(me, channel, each.id(), next_started);
        next_started = now_moment();
        scheduler_->note_progress();
      }
    }
    if (was_empty) return fail("R27: iterating over an empty receiver did not throw");
    event(me, "-> iteration ends");
  } catch (const rill::empty_handle_error&) {
    if (!was_empty) fail("R27: iterating over a valid receiver threw empty_handle_error");
    event(me, "-> empty_handle_error");
  }
}

inline void execution::execute_query(thread_state& me, const operation& op) {
  // SPEC R21, R26: queries return values the channel had during the call.
  const std::uint8_t channel = op.channel;
  const channel_spec& spec = program_.channels[channel];
  const moment started = now_moment();
  // Every message the channel could buffer during the call: made for it by the end of the call,
  // and not received before the call started (a selected send's slot and a hole carry a made
  // message's id too).
  const int received_before = received_from_[channel];
  const auto check = [&](const auto& handle) {
    if (!handle.valid()) return;
    const std::size_t size = handle.size();
    const int at_most = made_for_[channel] - received_before;
    const bool empty = handle.empty();
    const bool full = handle.full();
    const std::optional<std::size_t> capacity = handle.capacity();
    const bool disconnected = handle.is_disconnected();
    const std::size_t senders = handle.sender_count();
    const std::size_t receivers = handle.receiver_count();
    event(me, "-> size " + std::to_string(size) + (empty ? " empty" : "") + (full ? " full" : "") +
                  (disconnected ? " disconnected" : "") + " senders " + std::to_string(senders) + " receivers " +
                  std::to_string(receivers));
    // SPEC R26: size() is a value the channel had during the call. (Under weak memory a query may
    // read an older state, from before receives that came earlier in the interleaving.)
    if (!scheduler_->weak() && size > static_cast<std::size_t>(std::max(at_most, 0))) {
      fail("R26: size() " + std::to_string(size) + " is more than the " + std::to_string(at_most) + " messages ch" +
           std::to_string(channel) + " can hold (made for it and not received)");
    }
    switch (spec.kind) {
      case flavor::array:
        if (capacity != spec.capacity) fail("R26: capacity() of a bounded channel is not its capacity");
        if (size > spec.capacity) fail("R26: size() above the capacity");
        break;
      case flavor::list:
        if (capacity.has_value()) fail("R26: capacity() of an unbounded channel is not nullopt");
        if (full) fail("R26: an unbounded channel reported full");
        break;
      case flavor::zero:
        if (capacity != std::size_t{0}) fail("R26: capacity() of a rendezvous channel is not 0");
        if (size != 0 || !empty || !full) fail("R26: a rendezvous channel is always size 0, empty and full");
        break;
    }
    if (seen_disconnected_before(channel, started) && !disconnected) {
      fail("R26: is_disconnected() is false after the channel was seen disconnected");
    }
    if (disconnected) saw_disconnected(channel);
    std::size_t my_senders = 0;
    std::size_t my_receivers = 0;
    for (const auto& each : me.senders[channel]) my_senders += each.valid() ? 1 : 0;
    for (const auto& each : me.receivers[channel]) my_receivers += each.valid() ? 1 : 0;
    // SPEC R21: every live handle is counted, this thread's own included.
    if (senders < my_senders || receivers < my_receivers) fail("R21: a handle count below this thread's own handles");
  };
  if (op.slot == 0) {
    check(me.senders[channel][0]);
  } else {
    check(me.receivers[channel][0]);
  }
}

// ---- select statements ----

namespace select_support {

struct outcome {
  int handlers_run = 0;
  int chosen = -1;
  bool fallback = false;
  std::optional<rill::recv_result<message>> received;
  std::optional<rill::send_result<message>> sent;
  std::optional<rill::recv_result<rill::instant>> timer;
};

struct recv_handler {
  outcome* out;
  int index;
  void operator()(rill::recv_result<message> result) const {
    ++out->handlers_run;
    out->chosen = index;
    out->received.emplace(std::move(result));
  }
};
struct send_handler {
  outcome* out;
  int index;
  void operator()(rill::send_result<message> result) const {
    ++out->handlers_run;
    out->chosen = index;
    out->sent.emplace(std::move(result));
  }
};
struct timer_handler {
  outcome* out;
  int index;
  void operator()(rill::recv_result<rill::instant> result) const {
    ++out->handlers_run;
    out->chosen = index;
    out->timer.emplace(result);
  }
};
struct fallback_handler {
  outcome* out;
  void operator()() const {
    ++out->handlers_run;
    out->fallback = true;
  }
};

struct context {
  const operation* op;
  std::array<rill::sender<message>, 2>* senders;      // per channel: me.senders
  std::array<rill::receiver<message>, 2>* receivers;  // per channel: me.receivers
  std::array<int, 3> ids{-1, -1, -1};
  // The send cases' messages: the harness keeps them, so that it can check afterwards that a
  // case that did not complete left its message as it was (R30).
  std::array<std::optional<message>, 3> payloads{};
  std::array<sim::time_point, 3> timer_earliest{};
  sim::scheduler* scheduler;
  outcome* out;
  bool awaited = false;  // the async target: the statement is awaited by a coroutine
};

/// The statement awaited by a coroutine on a run_loop this thread drives (the async target). The
/// cases are moved into the coroutine's frame; what they refer to (handles, the send cases'
/// messages in the context) stays where the blocking statement would find it.
template <bool Biased, class... Cases>
rill::async_task await_statement(std::exception_ptr& error, Cases... cases) {
  try {
    if constexpr (Biased) {
      co_await rill::async_select_biased(std::move(cases)...);
    } else {
      co_await rill::async_select(std::move(cases)...);
    }
  } catch (...) {
    error = std::current_exception();
  }
}

template <class... Cases>
void call(context& cx, Cases&&... cases) {
  if (cx.awaited) {
    rill::run_loop loop;
    std::exception_ptr error;
    if (cx.op->biased) {
      loop.spawn(await_statement<true>(error, std::forward<Cases>(cases)...));
    } else {
      loop.spawn(await_statement<false>(error, std::forward<Cases>(cases)...));
    }
    loop.run();
    if (error) std::rethrow_exception(error);
  } else if (cx.op->biased) {
    rill::select_biased(std::forward<Cases>(cases)...);
  } else {
    rill::select(std::forward<Cases>(cases)...);
  }
}

template <class... Cases>
void finish(context& cx, Cases&&... cases) {
  switch (cx.op->fallback) {
    case fallback_kind::none: return call(cx, std::forward<Cases>(cases)...);
    case fallback_kind::on_default:
      return call(cx, std::forward<Cases>(cases)..., rill::on_default(fallback_handler{cx.out}));
    case fallback_kind::on_timeout:
      return call(cx, std::forward<Cases>(cases)...,
                  rill::on_timeout(duration_of(cx.op->timeout), fallback_handler{cx.out}));
  }
}

inline rill::receiver<rill::instant> make_timer(context& cx, std::size_t index) {
  const span_class delay = cx.op->cases[index].delay;
  const sim::time_point start = cx.scheduler->now();
  cx.timer_earliest[index] =
      delay == span_class::max || duration_of(delay) <= nanoseconds(0) ? start : start + duration_of(delay);
  return rill::after(duration_of(delay));
}

template <class... Cases>
void build(context& cx, std::size_t next, Cases&&... cases) {
  if constexpr (sizeof...(Cases) < 3) {
    if (next < cx.op->cases.size()) {
      const select_case& each = cx.op->cases[next];
      const int index = static_cast<int>(next);
      switch (each.kind) {
        case case_kind::recv:
          return build(cx, next + 1, std::forward<Cases>(cases)...,
                       rill::on_recv(cx.receivers[each.channel][each.slot], recv_handler{cx.out, index}));
        case case_kind::send:
          return build(cx, next + 1, std::forward<Cases>(cases)...,
                       rill::on_send(cx.senders[each.channel][each.slot], std::move(*cx.payloads[next]),
                                     send_handler{cx.out, index}));
        case case_kind::timer:
          return build(cx, next + 1, std::forward<Cases>(cases)...,
                       rill::on_recv(make_timer(cx, next), timer_handler{cx.out, index}));
      }
    }
  }
  // Every selection has a case (the decoder makes at least one); a statement with none is never built.
  if constexpr (sizeof...(Cases) > 0) finish(cx, std::forward<Cases>(cases)...);
}

}  // namespace select_support

inline void execution::execute_select(thread_state& me, const operation& op) {
  select_support::outcome out;
  select_support::context cx{&op,  me.senders.data(), me.receivers.data(), {-1, -1, -1}, {}, {}, scheduler_,
                             &out, program_.awaited};
  bool any_empty = false;
  for (std::size_t k = 0; k < op.cases.size(); ++k) {
    const select_case& each = op.cases[k];
    if (each.kind == case_kind::send) {
      cx.ids[k] = new_id(me, each.channel);
      cx.payloads[k].emplace(cx.ids[k]);
      any_empty = any_empty || !me.senders[each.channel][each.slot].valid();
    } else if (each.kind == case_kind::recv) {
      any_empty = any_empty || !me.receivers[each.channel][each.slot].valid();
    }
  }
  const moment started = now_moment();
  const sim::time_point start = scheduler_->now();
  me.may_block = op.fallback != fallback_kind::on_default;
  try {
    select_support::build(cx, 0);
  } catch (const rill::empty_handle_error&) {
    // SPEC R39: a case with an empty handle throws, before any operation starts.
    if (!any_empty) fail("R39: a select over valid handles threw empty_handle_error");
    if (out.handlers_run != 0) fail("R39: a select that threw empty_handle_error ran a handler");
    event(me, "-> empty_handle_error");
    return;
  }
  if (any_empty) return fail("R39: a select with an empty handle did not throw");
  // SPEC R30: exactly one handler runs.
  if (out.handlers_run != 1) return fail("R30: " + std::to_string(out.handlers_run) + " handlers of one select ran");
  // SPEC R30: a send case's message is taken only if that case completes; when another case, the
  // default or the timeout runs, it is left as it was.
  for (std::size_t k = 0; k < op.cases.size(); ++k) {
    if (op.cases[k].kind != case_kind::send || (!out.fallback && static_cast<int>(k) == out.chosen)) continue;
    if (!cx.payloads[k].has_value() || cx.payloads[k]->id() != cx.ids[k]) {
      return fail("R30: the message of send case " + std::to_string(k) + ", which did not run, was taken (" +
                  message_name(cx.ids[k]) + ")");
    }
  }
  if (out.fallback) {
    event(me, op.fallback == fallback_kind::on_default ? "-> default" : "-> timeout");
    nothing_ready(me, "R30",
                  op.fallback == fallback_kind::on_default
                      ? "a select statement ran its default"
                      : "a select statement whose deadline had passed when it began timed out");
    if (op.fallback == fallback_kind::on_timeout) check_timeout("R30", op.timeout, start);
    return;
  }
  const select_case& chosen = op.cases[static_cast<std::size_t>(out.chosen)];
  switch (chosen.kind) {
    case case_kind::recv: {
      const auto& result = *out.received;
      event(me, "-> case " + std::to_string(out.chosen) + " " +
                    (result ? message_name(result->id()) : std::string(rill::to_string(result.error()))));
      // SPEC R30, R32: a selected receive holds a message or reports disconnected.
      if (!result && result.error() != rill::recv_error::disconnected) {
        return fail("R30: a selected receive reported " + std::string(rill::to_string(result.error())));
      }
      return check_recv(me, chosen.channel, started, result, op_code::recv, span_class::max, start);
    }
    case case_kind::send: {
      const auto& result = *out.sent;
      event(me, "-> case " + std::to_string(out.chosen) + " " +
                    (result ? "sent " + message_name(cx.ids[out.chosen])
                            : std::string(rill::to_string(result.error().reason))));
      // SPEC R32, R33: a selected send completes, or reports disconnected (or, unbounded,
      // out_of_memory: R24, checked by check_send) and hands its message back.
      if (!result && result.error().reason != rill::send_errc::disconnected &&
          result.error().reason != rill::send_errc::out_of_memory) {
        return fail("R33: a selected send reported " + std::string(rill::to_string(result.error().reason)));
      }
      return check_send(me, chosen.channel, cx.ids[out.chosen], started, result, op_code::send, span_class::max, start);
    }
    case case_kind::timer:
      event(me, "-> case " + std::to_string(out.chosen) + " (timer)");
      return check_timer_message(*out.timer, cx.timer_earliest[out.chosen], false, "a selected timer");
  }
}

// ---- selectors ----

inline void execution::execute_selector(thread_state& me, const operation& op) {
  if (me.held) finish_held(me, true);
  auto held = std::make_unique<held_selection>();
  held->selection.reset(op.biased ? new rill::selector(rill::selector::biased()) : new rill::selector());
  held->timers.reserve(op.cases.size());
  held->timer_earliest.resize(op.cases.size());
  held->op = &op;
  rill::selector& selection = *held->selection;
  bool any_empty = false;
  try {
    for (std::size_t k = 0; k < op.cases.size(); ++k) {
      const select_case& each = op.cases[k];
      switch (each.kind) {
        case case_kind::recv:
          any_empty = any_empty || !me.receivers[each.channel][each.slot].valid();
          selection.recv(me.receivers[each.channel][each.slot]);
          break;
        case case_kind::send:
          any_empty = any_empty || !me.senders[each.channel][each.slot].valid();
          selection.send(me.senders[each.channel][each.slot]);
          break;
        case case_kind::timer: {
          const sim::time_point start = scheduler_->now();
          const nanoseconds delay = duration_of(each.delay);
          held->timer_earliest[k] = each.delay == span_class::max || delay <= nanoseconds(0) ? start : start + delay;
          held->timers.push_back(rill::after(delay));
          selection.recv(held->timers.back());
          break;
        }
      }
    }
  } catch (const rill::empty_handle_error&) {
    // SPEC R39: adding an operation with an empty handle throws.
    if (!any_empty) fail("R39: selector::add with a valid handle threw empty_handle_error");
    event(me, "-> empty_handle_error");
    return;
  }
  if (any_empty) return fail("R39: selector::add with an empty handle did not throw");

  const moment started = now_moment();
  const sim::time_point start = scheduler_->now();
  held->started = started;
  // A selected send claims its slot (a bounded channel's) during the selection, before the harness
  // names its message: for size()'s bound (R26), every send case counts as a message made.
  for (const select_case& each : op.cases) {
    if (each.kind == case_kind::send) ++made_for_[each.channel];
  }
  const nanoseconds timeout = duration_of(op.timeout);
  me.may_block = op.mode == selector_mode::select || op.mode == selector_mode::select_for ||
                 op.mode == selector_mode::ready || op.mode == selector_mode::ready_for;
  std::optional<rill::selected_operation> chosen;
  switch (op.mode) {
    case selector_mode::select: chosen.emplace(selection.select()); break;
    case selector_mode::try_select:
    case selector_mode::select_for: {
      auto result = op.mode == selector_mode::try_select ? selection.try_select() : selection.select_for(timeout);
      if (!result) {
        event(me, "-> " + std::string(rill::to_string(result.error())));
        // SPEC R30: try_select reports would_block, select_for timeout, and only once its deadline passed.
        if (op.mode == selector_mode::try_select && result.error() != rill::select_error::would_block) {
          fail("R30: try_select reported timeout");
        }
        nothing_ready(me, "R30",
                      "selector::" + std::string(op.mode == selector_mode::try_select ? "try_select" : "select_for") +
                          " reported " + std::string(rill::to_string(result.error())));
        if (op.mode == selector_mode::select_for) {
          if (result.error() != rill::select_error::timeout) return fail("R30: select_for reported would_block");
          check_timeout("R30", op.timeout, start);
        }
        return;
      }
      chosen.emplace(std::move(*result));
      break;
    }
    case selector_mode::ready:
    case selector_mode::try_ready:
    case selector_mode::ready_for: {
      // SPEC R36: a readiness wait returns the index of an operation, and starts none.
      std::expected<std::size_t, rill::select_error> result =
          op.mode == selector_mode::ready       ? std::expected<std::size_t, rill::select_error>(selection.ready())
          : op.mode == selector_mode::try_ready ? selection.try_ready()
                                                : selection.ready_for(timeout);
      if (!result) {
        event(me, "-> " + std::string(rill::to_string(result.error())));
        nothing_ready(me, "R36",
                      "selector::" + std::string(op.mode == selector_mode::try_ready ? "try_ready" : "ready_for") +
                          " reported " + std::string(rill::to_string(result.error())));
        if (op.mode == selector_mode::ready_for) {
          if (result.error() != rill::select_error::timeout) return fail("R36: ready_for reported would_block");
          check_timeout("R36", op.timeout, start);
        } else if (result.error() != rill::select_error::would_block) {
          fail("R36: try_ready reported timeout");
        }
        return;
      }
      event(me, "-> ready " + std::to_string(*result));
      if (*result >= op.cases.size()) fail("R36: a readiness wait returned an index no operation has");
      return;
    }
  }
  held->case_number = chosen->index();
  if (held->case_number >= op.cases.size()) return fail("R30: a selection returned an index no operation has");
  const select_case& each = op.cases[held->case_number];
  event(me, "-> selected case " + std::to_string(held->case_number));
  // A bounded channel's selected send holds its place in the channel's order from the selection
  // on (its slot, R33); on the other flavors the message enters when the send is completed.
  if (each.kind == case_kind::send && program_.channels[each.channel].kind == flavor::array) {
    held->reserved_id = new_id(me, each.channel);
  }
  held->chosen.emplace(std::move(*chosen));
  chosen.reset();
  if (op.then == completion::hold) {
    if (each.kind == case_kind::send || each.kind == case_kind::recv) ever_held_[each.channel] = true;
    me.held = std::move(held);
    event(me, "-> holds the selected operation");
    return;
  }
  complete_selected(me, *held, op.then == completion::complete);
}

inline void execution::finish_held(thread_state& me, bool complete) {
  std::unique_ptr<held_selection> held = std::move(me.held);
  event(me, complete ? "completes the held selection" : "abandons the held selection");
  complete_selected(me, *held, complete);
}

inline void execution::complete_selected(thread_state& me, held_selection& held, bool complete) {
  me.completing_held = true;
  struct done_completing {
    thread_state& me;
    ~done_completing() { me.completing_held = false; }
  } done{me};
  const select_case& each = held.op->cases[held.case_number];
  me.completing_channel = each.channel;
  rill::selected_operation& chosen = *held.chosen;
  if (!complete) {
    // SPEC R34: an abandoned receive's message is destroyed; an abandoned send sends nothing.
    if (each.kind == case_kind::send && program_.channels[each.channel].kind == flavor::array)
      maybe_hole_[each.channel] = true;
    if (each.kind == case_kind::recv) {
      ++abandoned_from_[each.channel];  // its message, if it took one, is destroyed
      stock_changed();
    }
    chosen.abandon();
    event(me, "-> abandoned");
    return;
  }
  const sim::time_point start = scheduler_->now();
  switch (each.kind) {
    case case_kind::recv: {
      // SPEC R30, R32, R33: a selected receive holds a message, or disconnected.
      rill::recv_result<message> result = chosen.recv(me.receivers[each.channel][each.slot]);
      event(me,
            "-> completed: " + (result ? message_name(result->id()) : std::string(rill::to_string(result.error()))));
      if (!result && result.error() != rill::recv_error::disconnected) {
        return fail("R30: a selected receive reported " + std::string(rill::to_string(result.error())));
      }
      return check_recv(me, each.channel, held.started, result, op_code::recv, span_class::max, start);
    }
    case case_kind::send: {
      if (held.reserved_id < 0) held.reserved_id = new_id(me, each.channel);
      rill::send_result<message> result = chosen.send(me.senders[each.channel][each.slot], message(held.reserved_id));
      event(me, "-> completed: " + (result ? "sent " + message_name(held.reserved_id)
                                           : std::string(rill::to_string(result.error().reason))));
      // SPEC R33: disconnected, or out_of_memory on an unbounded channel (R24, checked by check_send).
      if (!result && result.error().reason != rill::send_errc::disconnected &&
          result.error().reason != rill::send_errc::out_of_memory) {
        return fail("R33: a selected send reported " + std::string(rill::to_string(result.error().reason)));
      }
      return check_send(me, each.channel, held.reserved_id, held.started, result, op_code::send, span_class::max,
                        start);
    }
    case case_kind::timer: {
      std::size_t timer_index = 0;
      for (std::size_t k = 0; k < held.case_number; ++k)
        timer_index += held.op->cases[k].kind == case_kind::timer ? 1 : 0;
      rill::recv_result<rill::instant> result = chosen.recv(held.timers[timer_index]);
      event(me, "-> completed (timer)");
      return check_timer_message(result, held.timer_earliest[held.case_number], false, "a selected timer");
    }
  }
}

// ---- timers ----

inline void execution::execute_timer(thread_state& me, const operation& op) {
  const sim::time_point start = scheduler_->now();
  const nanoseconds delay = duration_of(op.timeout);
  switch (op.code) {
    case op_code::timer_after:
      me.timer.receiver = rill::after(delay);
      me.timer.earliest = op.timeout == span_class::max || delay <= nanoseconds(0) ? start : start + delay;
      event(me, "-> timer made");
      return;
    case op_code::timer_at:
      me.timer.receiver = rill::at(deadline_of(op.timeout, start));
      me.timer.earliest =
          op.timeout == span_class::max || delay <= nanoseconds(0) ? sim::time_point::min() : start + delay;
      event(me, "-> timer made");
      return;
    case op_code::timer_tick:
      try {
        me.timer.receiver = rill::tick(delay);
        // SPEC R41: a period of zero or less throws.
        if (delay <= nanoseconds(0)) return fail("R41: tick() with a period of zero or less did not throw");
        me.timer.earliest = op.timeout == span_class::max ? start : start + delay;
        event(me, "-> timer made");
      } catch (const std::invalid_argument&) {
        if (delay > nanoseconds(0)) fail("R41: tick() with a positive period threw");
        event(me, "-> invalid_argument");
      }
      return;
    default: break;
  }
  const rill::receiver<rill::instant>& timer = me.timer.receiver;
  const bool was_empty = !timer.valid();
  try {
    const span_class timeout = op.timeout == span_class::max ? span_class::hour : op.timeout;
    const rill::recv_result<rill::instant> result =
        op.slot == 0 ? timer.try_recv() : timer.recv_for(duration_of(timeout));
    if (was_empty) return fail("R22: a receive on an empty timer handle did not throw");
    event(me, result ? "-> a time point" : "-> " + std::string(rill::to_string(result.error())));
    check_timer_message(result, me.timer.earliest, true, "a timer");
    if (!result && result.error() == rill::recv_error::timeout) {
      if (op.slot == 0) return fail("R7: try_recv on a timer reported timeout");
      check_timeout("R8", timeout, start);
    }
    if (!result && result.error() == rill::recv_error::empty && op.slot != 0) fail("R8: recv_for reported empty");
  } catch (const rill::empty_handle_error&) {
    if (!was_empty) fail("R22: a receive on a valid timer threw empty_handle_error");
    event(me, "-> empty_handle_error");
  }
}

// ---- blocking for ever ----

inline std::string execution::describe_blocked() const {
  std::string text;
  for (const auto& each : threads_) {
    if (each->finished) continue;
    const auto& thread = scheduler_->thread_at(each->id);
    text += "  T" + std::to_string(each->id);
    if (each->current != nullptr) {
      text += " in op " + std::to_string(each->current_index) + " (" + describe(*each->current) + ")";
    } else {
      text += " releasing its handles";
    }
    switch (thread.status) {
      case sim::scheduler::state::parked: text += ", parked"; break;
      case sim::scheduler::state::blocked_on_mutex: text += ", waiting for a lock"; break;
      case sim::scheduler::state::runnable: text += ", runnable"; break;
      case sim::scheduler::state::finished: text += ", finished"; break;
    }
    if (thread.status != sim::scheduler::state::runnable) {
      text +=
          std::string(" at ") + thread.blocked_where.file_name() + ":" + std::to_string(thread.blocked_where.line());
    }
    text += "\n";
  }
  for (unsigned extra = static_cast<unsigned>(threads_.size()); extra < scheduler_->thread_count(); ++extra) {
    const auto& thread = scheduler_->thread_at(extra);
    if (thread.status == sim::scheduler::state::finished) continue;
    text += "  the rescue thread, " +
            std::string(thread.status == sim::scheduler::state::runnable ? "runnable" : "blocked") + " at " +
            thread.blocked_where.file_name() + ":" + std::to_string(thread.blocked_where.line()) + "\n";
  }
  return text;
}

inline void execution::rescue() {
  // SPEC R19: a blocked operation waits only for what cannot happen yet.
  // The rescue judges the channels' state as it is, not as a stale read would show it.
  scheduler_->see_newest(true);
  bool holding = false;
  for (const auto& each : threads_) holding = holding || each->held != nullptr;
  // How a thread waits on a channel: a plain blocking operation, a selection's operation, or a
  // readiness wait (selector::ready), which starts no operation and so is nobody's partner.
  enum class waiting { plain, selection, readiness };
  struct wait {
    unsigned thread;
    std::uint8_t channel;
    bool send;
    waiting how;
  };
  std::vector<wait> waits;
  for (const auto& each : threads_) {
    if (each->finished) continue;
    const auto& thread = scheduler_->thread_at(each->id);
    if (thread.status == sim::scheduler::state::blocked_on_mutex) {
      return fail("R19: a thread waits for a lock that nobody will release\n" + describe_blocked());
    }
    // SPEC R19, R38: an operation that does not block never waits for a partner, not even for a
    // held selected operation (the completion of a held selection may block: it is not counted).
    if (thread.status == sim::scheduler::state::parked && each->current != nullptr && !each->completing_held &&
        never_blocks(*each->current)) {
      return fail("R19: a thread is parked inside an operation that does not block\n" + describe_blocked());
    }
    if (holding) continue;  // a held selected operation may make others wait for it (R33)
    if (each->completing_held) {
      // Completing a held send: on a rendezvous channel whose paired receiver withdrew at its
      // deadline, the completion is a plain blocking send (R33, zero_flavor.hpp).
      waits.push_back({each->id, each->completing_channel, true, waiting::plain});
      continue;
    }
    if (each->current == nullptr || !each->may_block) {
      return fail("R19: a thread is parked inside an operation that does not block\n" + describe_blocked());
    }
    const operation& op = *each->current;
    switch (op.code) {
      case op_code::send:
      case op_code::send_for:
      case op_code::send_until: waits.push_back({each->id, op.channel, true, waiting::plain}); break;
      case op_code::recv:
      case op_code::recv_for:
      case op_code::recv_until:
      case op_code::iterate: waits.push_back({each->id, op.channel, false, waiting::plain}); break;
      case op_code::select:
      case op_code::selector: {
        const bool readiness =
            op.code == op_code::selector && (op.mode == selector_mode::ready || op.mode == selector_mode::ready_for);
        for (const auto& option : op.cases) {
          if (option.kind != case_kind::timer) {
            waits.push_back({each->id, option.channel, option.kind == case_kind::send,
                             readiness ? waiting::readiness : waiting::selection});
          }
        }
        break;
      }
      default: break;
    }
  }
  // Any handle of a channel will do for looking at it and for closing it.
  const auto with_handle = [&](std::uint8_t channel, auto action) {
    for (const auto& each : threads_) {
      for (const auto& handle : each->senders[channel]) {
        if (handle.valid()) return action(handle), true;
      }
      for (const auto& handle : each->receivers[channel]) {
        if (handle.valid()) return action(handle), true;
      }
    }
    return false;
  };
  for (const wait& each : waits) {
    const flavor kind = program_.channels[each.channel].kind;
    std::string could;
    with_handle(each.channel, [&](const auto& handle) {
      if (handle.is_disconnected()) {
        could = "is disconnected (R10-R12)";
      } else if (each.send && kind == flavor::list) {
        could = "is unbounded (R3)";
      } else if (each.send && kind == flavor::array && !handle.full()) {
        could = "has room (R3, R17)";
      } else if (!each.send && kind != flavor::zero && !handle.empty() && !maybe_hole_[each.channel]) {
        could = "has a message (R6)";
      }
    });
    if (kind == flavor::zero) {
      // SPEC R18, R35, R38: a waiting receive pairs with a waiting sender of another thread. A
      // readiness wait is nobody's partner; and a selection's send, whose message does not exist
      // until it is completed, makes a plain or selected receive ready but not a readiness wait
      // (zero_flavor.hpp, "Who may commit to a select sender").
      for (const wait& other : waits) {
        if (other.thread == each.thread || other.channel != each.channel || other.send == each.send) continue;
        if (other.how == waiting::readiness) continue;
        if (each.how == waiting::readiness && !each.send && other.how == waiting::selection) continue;
        could = "has a partner waiting on the other side (R18, R35, R38)";
      }
    }
    if (!could.empty()) {
      return fail("R19: lost wake-up: T" + std::to_string(each.thread) + " waits to " +
                  (each.send ? "send on" : "receive from") + " ch" + std::to_string(each.channel) + ", which " + could +
                  "\n" + describe_blocked());
    }
  }
  // The program blocks for ever, legitimately: close every channel, and every waiting thread must wake.
  if (options_.trace != nullptr) *options_.trace << "the program blocks for ever (allowed): closing every channel\n";
  // The rescue takes its own copy of a handle of each channel first, while every other thread is
  // still blocked: once the first close() wakes them, they may release the handles in their tables,
  // the last of a channel's included, while the rescue is still closing it.
  std::vector<rill::sender<message>> senders;
  std::vector<rill::receiver<message>> receivers;
  for (std::uint8_t channel = 0; channel < program_.channels.size(); ++channel) {
    with_handle(channel, [&](const auto& handle) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(handle)>, rill::sender<message>>) {
        senders.push_back(handle);
      } else {
        receivers.push_back(handle);
      }
    });
  }
  foreign_close_.fill(true);
  for (const auto& handle : senders) handle.close();
  for (const auto& handle : receivers) handle.close();
  for (std::uint8_t channel = 0; channel < program_.channels.size(); ++channel) saw_disconnected(channel);
}

/// Runs one fuzz input; the whole of the fuzz targets' work.
inline run_report run_input(std::span<const std::uint8_t> input, target which, run_options options = {}) {
  const split_input parts = split(input);
  const program decoded = decode(parts.program, which);
  execution run(decoded, parts.schedule, options);
  return run.run();
}

}  // namespace rill::fuzz
