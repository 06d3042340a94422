// fuzz/program.hpp - what a fuzz input means: a small concurrent program over rill channels, and
// the schedule it runs under.
//
// Input layout (every byte string is a valid input; missing bytes read as 0):
//
//   byte 0            L, the length of the program part
//   bytes 1 .. L      the program (decoded below)
//   bytes L+1 ..      the schedule: pairs (thread, run length) read by byte_decisions
//                     (fuzz/decisions.hpp), interleaved with single value bytes (random_below,
//                     spurious compare-exchange failures, under weak memory which store a load reads)
//
// Keeping the program's length up front means a mutation of the program does not shift the
// schedule, and the other way round.
//
// The program: 2-6 threads, 1-3 channels (array of capacity 1-3, list, zero), each thread holding
// some of each channel's handles (two slots per side) and running up to 8 operations drawn from
// the target's repertoire (fuzz/targets): every send and receive form, close, handle copies and
// resets, iteration, queries, select statements and selectors over several channels with send,
// receive and timer cases, defaults and timeouts, and timers (after, at, tick).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rill::fuzz {

enum class flavor : std::uint8_t { array, list, zero };

struct channel_spec {
  flavor kind = flavor::array;
  std::size_t capacity = 1;  // array only
};

enum class op_code : std::uint8_t {
  send,
  try_send,
  send_for,
  send_until,
  recv,
  try_recv,
  recv_for,
  recv_until,
  close,
  clone_sender,
  clone_receiver,
  reset_sender,
  reset_receiver,
  iterate,
  try_iterate,
  query,
  select,
  selector,
  finish_held,
  timer_after,
  timer_at,
  timer_tick,
  timer_recv,
};

inline std::string_view to_string(op_code code) {
  constexpr std::string_view names[] = {
      "send",           "try_send",    "send_for",    "send_until",   "recv",           "try_recv",
      "recv_for",       "recv_until",  "close",       "clone_sender", "clone_receiver", "reset_sender",
      "reset_receiver", "iterate",     "try_iterate", "query",        "select",         "selector",
      "finish_held",    "timer_after", "timer_at",    "timer_tick",   "timer_recv"};
  return names[static_cast<std::size_t>(code)];
}

/// Durations and deadlines, by class: each class behaves differently (R20, R44).
enum class span_class : std::uint8_t { zero, negative, micro, milli, hour, max };
inline constexpr std::size_t span_classes = 6;

inline std::string_view to_string(span_class which) {
  constexpr std::string_view names[] = {"0", "-5us", "1us", "1ms", "1h", "max"};
  return names[static_cast<std::size_t>(which)];
}

enum class case_kind : std::uint8_t { recv, send, timer };
enum class fallback_kind : std::uint8_t { none, on_default, on_timeout };
/// How a selector looks for an operation.
enum class selector_mode : std::uint8_t { select, try_select, select_for, ready, try_ready, ready_for };
/// What happens to an operation a selector selected.
enum class completion : std::uint8_t { complete, abandon, hold };

struct select_case {
  case_kind kind = case_kind::recv;
  std::uint8_t channel = 0;
  std::uint8_t slot = 0;
  span_class delay = span_class::zero;  // timer cases: the after() delay
};

struct operation {
  op_code code = op_code::query;
  std::uint8_t channel = 0;
  std::uint8_t slot = 0;                  // which of the two handles of the side
  span_class timeout = span_class::zero;  // timed forms, timers, select timeouts
  std::uint8_t limit = 1;                 // iterate: messages before breaking out
  // select, selector
  std::vector<select_case> cases;
  fallback_kind fallback = fallback_kind::none;
  bool biased = false;
  selector_mode mode = selector_mode::select;
  completion then = completion::complete;
};

struct thread_spec {
  // Per channel: bit 0 holds a sender, bit 1 a receiver (in slot 0) at the start.
  std::vector<std::uint8_t> handles;
  std::vector<operation> ops;
};

struct program {
  std::vector<channel_spec> channels;
  std::vector<thread_spec> threads;
  unsigned park_after = 2;
  bool spurious_failures = false;
  bool weak_memory = false;  // unless the run forces a memory model (run_options::memory)
  bool awaited = false;      // the async target: blocking operations are awaited by coroutines
};

/// The fuzz targets: each draws operations from its own repertoire. The async target runs its
/// blocking sends, receives and select statements as coroutines awaiting them (rill/async.hpp),
/// each thread driving a rill::run_loop until the operation completes: the same oracle, through
/// the awaitables' engine, task contexts, the loop's posts and its timers.
enum class target : std::uint8_t { channel, select, timer, all, async };
inline constexpr target all_targets[] = {target::channel, target::select, target::timer, target::all, target::async};

inline std::string_view to_string(target which) {
  switch (which) {
    case target::channel: return "channel";
    case target::select: return "select";
    case target::timer: return "timer";
    case target::all: return "all";
    case target::async: return "async";
  }
  return "all";
}

inline bool parse_target(std::string_view name, target& out) {
  for (target each : all_targets) {
    if (to_string(each) == name) {
      out = each;
      return true;
    }
  }
  return false;
}

inline std::span<const op_code> repertoire(target which) {
  using enum op_code;
  static constexpr op_code channel_ops[] = {
      send,  try_send,     send_for,       send_until,   recv,           try_recv, recv_for,    recv_until,
      close, clone_sender, clone_receiver, reset_sender, reset_receiver, iterate,  try_iterate, query};
  static constexpr op_code select_ops[] = {send,   try_send,     recv,           try_recv,     send_for,   recv_for,
                                           close,  reset_sender, reset_receiver, clone_sender, select,     select,
                                           select, selector,     selector,       selector,     finish_held};
  static constexpr op_code timer_ops[] = {send,        try_send, recv,       try_recv,   recv_for,
                                          send_for,    close,    select,     select,     selector,
                                          timer_after, timer_at, timer_tick, timer_recv, timer_recv};
  static constexpr op_code every_op[] = {
      send,   try_send,     send_for,       send_until,   recv,           try_recv,   recv_for,    recv_until,
      close,  clone_sender, clone_receiver, reset_sender, reset_receiver, iterate,    try_iterate, query,
      select, selector,     finish_held,    timer_after,  timer_at,       timer_tick, timer_recv};
  // Awaited (in this target): send, send_for, send_until, recv, recv_for, recv_until, select
  // (with timer cases, defaults and timeouts). The rest run as in the other targets.
  static constexpr op_code async_ops[] = {send,     try_send,     send_for,       send_until,    recv,   try_recv,
                                          recv_for, recv_until,   close,          clone_sender,  select, select,
                                          select,   reset_sender, clone_receiver, reset_receiver};
  switch (which) {
    case target::channel: return channel_ops;
    case target::select: return select_ops;
    case target::timer: return timer_ops;
    case target::all: return every_op;
    case target::async: return async_ops;
  }
  return every_op;
}

/// Reads bytes; past the end every byte is 0.
class byte_reader {
 public:
  explicit byte_reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint8_t next() { return position_ < bytes_.size() ? bytes_[position_++] : 0; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

struct split_input {
  std::span<const std::uint8_t> program;
  std::span<const std::uint8_t> schedule;
};

inline split_input split(std::span<const std::uint8_t> input) {
  if (input.empty()) return {};
  const std::size_t length = std::min<std::size_t>(input[0], input.size() - 1);
  return {input.subspan(1, length), input.subspan(1 + length)};
}

inline program decode(std::span<const std::uint8_t> bytes, target which) {
  byte_reader in(bytes);
  program decoded;
  const std::size_t thread_count = 2 + in.next() % 5;
  const std::size_t channel_count = 1 + in.next() % 3;
  const std::uint8_t flags = in.next();
  constexpr unsigned park_steps[] = {2, 0, 1, 4};
  decoded.park_after = park_steps[flags & 3];
  decoded.spurious_failures = (flags & 4) != 0;
  decoded.weak_memory = (flags & 8) != 0;
  decoded.awaited = which == target::async;
  for (std::size_t c = 0; c < channel_count; ++c) {
    const std::uint8_t b = in.next();
    channel_spec spec;
    spec.kind = static_cast<flavor>(b % 3);
    spec.capacity = spec.kind == flavor::array ? 1 + (b / 3) % 3 : (spec.kind == flavor::zero ? 0 : 0);
    decoded.channels.push_back(spec);
  }
  const auto ops = repertoire(which);
  const auto channel_of = [&](std::uint8_t b) { return static_cast<std::uint8_t>(b % channel_count); };
  for (std::size_t t = 0; t < thread_count; ++t) {
    thread_spec thread;
    for (std::size_t c = 0; c < channel_count; ++c) thread.handles.push_back(static_cast<std::uint8_t>(~in.next() & 3));
    const std::size_t op_count = in.next() % 9;
    for (std::size_t i = 0; i < op_count; ++i) {
      operation op;
      op.code = ops[in.next() % ops.size()];
      const std::uint8_t operand = in.next();
      op.channel = channel_of(operand);
      op.slot = (operand / 3) % 2;
      op.timeout = static_cast<span_class>((operand / 6) % span_classes);
      op.limit = static_cast<std::uint8_t>(1 + (operand / 36) % 4);
      if (op.code == op_code::select || op.code == op_code::selector) {
        const std::uint8_t shape = in.next();
        const std::size_t case_count = 1 + shape % 3;
        op.fallback = static_cast<fallback_kind>((shape / 3) % 3);
        op.biased = ((shape / 9) & 1) != 0;
        op.mode = static_cast<selector_mode>((shape / 18) % 6);
        op.then = static_cast<completion>((shape / 108) % 3);
        for (std::size_t k = 0; k < case_count; ++k) {
          const std::uint8_t b = in.next();
          select_case added;
          added.kind = static_cast<case_kind>(b % 3);
          if (which == target::channel && added.kind == case_kind::timer) added.kind = case_kind::recv;
          added.channel = channel_of(b / 3);
          added.slot = (b / 9) % 2;
          added.delay = static_cast<span_class>((b / 18) % span_classes);
          op.cases.push_back(added);
        }
        // A selection that can wait for ever must have a channel operation, so that closing the
        // channels (the harness's rescue of a program that blocks for ever) wakes it.
        const bool no_deadline = op.timeout == span_class::max;
        const bool waits_for_ever =
            op.code == op_code::select
                ? op.fallback == fallback_kind::none || (op.fallback == fallback_kind::on_timeout && no_deadline)
                : op.mode == selector_mode::select || op.mode == selector_mode::ready ||
                      ((op.mode == selector_mode::select_for || op.mode == selector_mode::ready_for) && no_deadline);
        bool has_channel = false;
        for (const auto& each : op.cases) has_channel = has_channel || each.kind != case_kind::timer;
        if (waits_for_ever && !has_channel) op.cases.front().kind = case_kind::recv;
      }
      thread.ops.push_back(std::move(op));
    }
    decoded.threads.push_back(std::move(thread));
  }
  return decoded;
}

inline std::string describe(const channel_spec& spec) {
  switch (spec.kind) {
    case flavor::array: return "array(" + std::to_string(spec.capacity) + ")";
    case flavor::list: return "list";
    case flavor::zero: return "zero";
  }
  return "?";
}

inline std::string describe(const select_case& each) {
  const std::string channel = "ch" + std::to_string(each.channel);
  switch (each.kind) {
    case case_kind::recv: return "recv " + channel + ".rx" + std::to_string(each.slot);
    case case_kind::send: return "send " + channel + ".tx" + std::to_string(each.slot);
    case case_kind::timer: return "recv after(" + std::string(to_string(each.delay)) + ")";
  }
  return "?";
}

inline std::string describe(const operation& op) {
  const std::string channel = "ch" + std::to_string(op.channel);
  const std::string tx = channel + ".tx" + std::to_string(op.slot);
  const std::string rx = channel + ".rx" + std::to_string(op.slot);
  const std::string timeout(to_string(op.timeout));
  std::string text(to_string(op.code));
  switch (op.code) {
    case op_code::send:
    case op_code::try_send: return text + " " + tx;
    case op_code::send_for:
    case op_code::send_until: return text + " " + tx + " " + timeout;
    case op_code::recv:
    case op_code::try_recv: return text + " " + rx;
    case op_code::recv_for:
    case op_code::recv_until: return text + " " + rx + " " + timeout;
    case op_code::close:
    case op_code::query: return text + " " + channel + (op.slot == 0 ? ".tx0" : ".rx0");
    case op_code::clone_sender:
    case op_code::reset_sender: return text + " " + tx;
    case op_code::clone_receiver:
    case op_code::reset_receiver:
    case op_code::try_iterate: return text + " " + rx;
    case op_code::iterate: return text + " " + rx + " up to " + std::to_string(op.limit);
    case op_code::select:
    case op_code::selector: {
      constexpr std::string_view modes[] = {"select", "try_select", "select_for", "ready", "try_ready", "ready_for"};
      constexpr std::string_view thens[] = {"complete", "abandon", "hold"};
      if (op.code == op_code::select) {
        text += op.biased ? " biased" : "";
      } else {
        text += std::string(op.biased ? " biased " : " ") + std::string(modes[static_cast<std::size_t>(op.mode)]);
        if (op.mode == selector_mode::select_for || op.mode == selector_mode::ready_for) text += " " + timeout;
        text += " then " + std::string(thens[static_cast<std::size_t>(op.then)]);
      }
      text += " {";
      for (std::size_t k = 0; k < op.cases.size(); ++k) text += (k ? "; " : " ") + describe(op.cases[k]);
      if (op.code == op_code::select) {
        if (op.fallback == fallback_kind::on_default) text += "; default";
        if (op.fallback == fallback_kind::on_timeout) text += "; timeout " + timeout;
      }
      return text + " }";
    }
    case op_code::finish_held: return text + (op.slot == 0 ? " complete" : " abandon");
    case op_code::timer_after:
    case op_code::timer_at:
    case op_code::timer_tick: return text + " " + timeout;
    case op_code::timer_recv: return text + (op.slot == 0 ? " try" : " for " + timeout);
  }
  return text;
}

inline void print(const program& decoded, std::ostream& out) {
  out << "program: " << decoded.threads.size() << " threads, " << decoded.channels.size() << " channels, park_after "
      << decoded.park_after << (decoded.spurious_failures ? ", spurious compare-exchange failures" : "")
      << (decoded.weak_memory ? ", weak memory" : "")
      << (decoded.awaited ? ", blocking operations awaited by coroutines on a run_loop per thread" : "") << "\n";
  for (std::size_t c = 0; c < decoded.channels.size(); ++c) {
    out << "  ch" << c << ": " << describe(decoded.channels[c]) << "\n";
  }
  for (std::size_t t = 0; t < decoded.threads.size(); ++t) {
    const thread_spec& thread = decoded.threads[t];
    out << "  T" << t << " holds";
    for (std::size_t c = 0; c < thread.handles.size(); ++c) {
      if (thread.handles[c] & 1) out << " ch" << c << ".tx0";
      if (thread.handles[c] & 2) out << " ch" << c << ".rx0";
    }
    out << "\n";
    for (std::size_t i = 0; i < thread.ops.size(); ++i) out << "    " << i << ": " << describe(thread.ops[i]) << "\n";
  }
}

}  // namespace rill::fuzz
