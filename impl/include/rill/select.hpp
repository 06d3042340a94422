// rill/select.hpp - the select statement: Go's `select` and crossbeam-channel's `select!` in C++.
//
//     rill::select(
//         rill::on_recv(jobs, [&](rill::recv_result<Job> job) { ... }),
//         rill::on_send(results, std::move(result), [&](rill::send_result<Result> sent) { ... }),
//         rill::on_recv(rill::after(1s), [&](rill::recv_result<rill::instant>) { ... }),
//         rill::on_timeout(100ms, [&] { ... }));    // or rill::on_default([&] { ... })
//
// Exactly one case runs (SPEC R30): the first operation that is ready, chosen uniformly at random
// among those ready at once (R31; rill::select_biased prefers the earliest case), with its
// handler called on the outcome: the received message or why there is none, the send's result
// (a failed send hands the message back). A disconnected channel's case is ready (R32). With
// on_default, select does not block: the default runs when no case is ready. With on_timeout or
// on_deadline, it runs when the deadline passes first: on_timeout(d) counts d from the start of
// the statement (a case kept and reused in a loop gives every round d), on_deadline(t) is
// absolute. With neither, select blocks, and a select with no cases at all blocks forever (Go's
// `select {}`), unless given a timeout.
//
// The value of the expression is the handler's result (all handlers must return the same type,
// or void). The cases live in the caller's frame: a select of any number of cases allocates
// nothing on the heap. A malformed case is a compile error that says what is wrong.
//
// Control flow in the caller: rill::select_which runs the same statement and returns which case
// fired and its result, so the caller can break, continue or return (Go's select arms, crossbeam's
// select! arms). Cases need no handler there; handlers may return different types:
//
//     auto fired = rill::select_which(rill::on_recv(jobs), rill::on_recv(quit), rill::on_timeout(1s));
//     switch (fired.index()) {
//       case 0: run(fired.get<0>().value()); break;   // get<0>() is the recv_result<Job>
//       case 1: return;                                // leaves the enclosing function
//       case 2: continue;                              // the timeout: the next round of a loop
//     }
//
// A case refers to what it is given by reference: a handle given as an lvalue (a temporary handle,
// such as rill::after(1s), is kept in the case) and a send's message, which is moved (an rvalue)
// or copied (an lvalue) only if that send is the case that completes; a send case that does not
// run leaves the caller's message as it was. So make the cases in the call of rill::select. A
// send's message can also be made lazily: on_send(tx, [&] { return make(); }, h) calls the
// callable only if that send is the case that completes (crossbeam's `send(s, expr)`).
//
// To switch a case off by a condition, wrap it: rill::when(condition, case) is never ready while
// the condition is false (Go's nil channel in a select case); its handle may then be empty. A
// statement whose cases are all switched off and that has no default or timeout left would
// block forever: it throws std::logic_error instead, before anything is started (R30).
#pragma once

#include "rill/channel.hpp"
#include "rill/detail/select_binding.hpp"
#include "rill/detail/select_loop.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/errors.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace rill {

/// What rill::select_which returns: which case fired (its position among the arguments,
/// from 0) and that case's result: the handler's value, or, for a case made without a handler,
/// the recv_result<T> or send_result<T> of the operation (std::monostate for a default or
/// timeout case, and for a handler that returns void).
template <class... Results>
class select_result {
 public:
  using variant_type = std::variant<Results...>;

  /// The position of the case that fired among the statement's arguments (0 for the first).
  [[nodiscard]] std::size_t index() const noexcept { return value_.index(); }

  /// True if the case at position I fired.
  template <std::size_t I>
  [[nodiscard]] bool is() const noexcept {
    return value_.index() == I;
  }

  /// The result of the case at position I; throws std::bad_variant_access if another case fired.
  template <std::size_t I>
  [[nodiscard]] auto& get() & {
    return std::get<I>(value_);
  }
  template <std::size_t I>
  [[nodiscard]] const auto& get() const& {
    return std::get<I>(value_);
  }
  template <std::size_t I>
  [[nodiscard]] auto&& get() && {
    return std::get<I>(std::move(value_));
  }

  /// The results as a std::variant, for std::visit.
  [[nodiscard]] variant_type& as_variant() & noexcept { return value_; }
  [[nodiscard]] const variant_type& as_variant() const& noexcept { return value_; }
  [[nodiscard]] variant_type&& as_variant() && noexcept { return std::move(value_); }

  template <std::size_t I, class... Arguments>
  explicit select_result(std::in_place_index_t<I> position, Arguments&&... arguments)
      : value_(position, std::forward<Arguments>(arguments)...) {}

 private:
  variant_type value_;
};

namespace detail {

template <class Handle>
using handle_storage = std::conditional_t<std::is_lvalue_reference_v<Handle>, Handle, std::remove_cvref_t<Handle>>;

/// The handler of a case made without one: the operation's result is the case's result.
struct no_handler {
  template <class Result>
  std::remove_cvref_t<Result> operator()(Result&& result) const {
    return std::forward<Result>(result);
  }
  void operator()() const noexcept {}
};

template <class T, class Source, class Handler>
struct recv_case {
  handle_storage<Source> source;  // a reference to the caller's handle, or a temporary's own copy
  Handler handler;
  recv_result<T> result{std::unexpect, recv_error::empty};
};

/// `message` points to the caller's argument, which the case moves (an rvalue of T), or copies or
/// converts into a T, only when it completes: a send case that does not run leaves it as it was.
template <class T, class Target, class Message, class Handler>
struct send_case {
  handle_storage<Target> target;
  std::remove_reference_t<Message>* message;
  Handler handler;
};

/// A send whose message is made by `make()` only when the case completes (crossbeam's lazy
/// `send(s, expr)`). The case owns the callable.
template <class T, class Target, class Make, class Handler>
struct lazy_send_case {
  handle_storage<Target> target;
  Make make;
  Handler handler;
};

template <class Handler>
struct default_case {
  Handler handler;
};

/// When a timeout case's deadline is: `Limit` is a relative_limit (on_timeout: measured from the
/// start of each statement that uses the case, so a case kept and reused is never stale) or an
/// absolute_limit (on_deadline: the same time point for every statement).
template <class Duration>
struct relative_limit {
  Duration timeout;
  sync::deadline resolve() const { return sync::deadline_after(timeout); }
};
struct absolute_limit {
  sync::deadline deadline;
  sync::deadline resolve() const { return deadline; }
};

template <class Limit, class Handler>
struct timeout_case {
  Limit limit;
  Handler handler;
};

/// rill::when(enabled, case): `inner` takes part in the statement only if `enabled`.
template <class Case>
struct conditional_case {
  bool enabled;
  handle_storage<Case> inner;  // a reference to a kept case, or the case itself
};

template <class Case>
struct case_traits {
  static constexpr bool is_case = false;
};
template <class T, class Source, class Handler>
struct case_traits<recv_case<T, Source, Handler>> {
  static constexpr bool is_case = true, is_channel = true, is_fallback = false, is_receive = true;
  using result = std::invoke_result_t<Handler&, recv_result<T>>;
};
template <class T, class Target, class Message, class Handler>
struct case_traits<send_case<T, Target, Message, Handler>> {
  static constexpr bool is_case = true, is_channel = true, is_fallback = false, is_receive = false;
  using result = std::invoke_result_t<Handler&, send_result<T>>;
};
template <class T, class Target, class Make, class Handler>
struct case_traits<lazy_send_case<T, Target, Make, Handler>> {
  static constexpr bool is_case = true, is_channel = true, is_fallback = false, is_receive = false;
  using result = std::invoke_result_t<Handler&, send_result<T>>;
};
template <class Handler>
struct case_traits<default_case<Handler>> {
  static constexpr bool is_case = true, is_channel = false, is_fallback = true, is_default = true;
  using result = std::invoke_result_t<Handler&>;
};
template <class Limit, class Handler>
struct case_traits<timeout_case<Limit, Handler>> {
  static constexpr bool is_case = true, is_channel = false, is_fallback = true, is_default = false;
  using result = std::invoke_result_t<Handler&>;
};
template <class Case>
struct case_traits<conditional_case<Case>> : case_traits<std::remove_cvref_t<Case>> {};

template <class Case>
inline constexpr bool is_conditional = false;
template <class Case>
inline constexpr bool is_conditional<conditional_case<Case>> = true;

/// The case inside any number of rill::when wrappers.
template <class Case>
decltype(auto) leaf_case(Case& each) {
  if constexpr (is_conditional<std::remove_cvref_t<Case>>) {
    return leaf_case(each.inner);
  } else {
    return (each);
  }
}
/// Whether every rill::when around the case is enabled.
template <class Case>
bool case_enabled(const Case& each) {
  if constexpr (is_conditional<std::remove_cvref_t<Case>>) {
    return each.enabled && case_enabled(each.inner);
  } else {
    return true;
  }
}

template <class... Results>
struct common_result {
  static constexpr bool valid = false;
};
template <class... Results>
  requires requires { typename std::common_type<Results...>::type; }
struct common_result<Results...> {
  static constexpr bool valid = true;
  using type = std::common_type_t<Results...>;
};
template <>
struct common_result<> {
  static constexpr bool valid = true;
  using type = void;
};

template <class Case>
using case_of = case_traits<std::remove_cvref_t<Case>>;

/// A case's result as select_which holds it: void becomes std::monostate.
template <class Result>
using stored_result = std::conditional_t<std::is_void_v<Result>, std::monostate, std::remove_cvref_t<Result>>;

/// A send case made from an rvalue message: it refers to an object that, if it was a temporary,
/// lives only as long as the full-expression that made the case.
template <class Case>
inline constexpr bool refers_to_an_rvalue_message = false;
template <class T, class Target, class Message, class Handler>
inline constexpr bool refers_to_an_rvalue_message<send_case<T, Target, Message, Handler>> =
    !std::is_lvalue_reference_v<Message>;
template <class Case>
inline constexpr bool refers_to_an_rvalue_message<conditional_case<Case>> =
    refers_to_an_rvalue_message<std::remove_cvref_t<Case>>;

/// Whether a case, passed as `CaseRef`, may refer to a temporary that is already gone: it was kept
/// in a variable (passed as an lvalue, or held by reference in a rill::when) and refers to an
/// rvalue message.
template <class CaseRef>
constexpr bool may_dangle() {
  using Case = std::remove_cvref_t<CaseRef>;
  if (std::is_lvalue_reference_v<CaseRef> && refers_to_an_rvalue_message<Case>) return true;
  if constexpr (is_conditional<Case>) {
    return may_dangle<decltype(std::declval<Case&>().inner)>();
  } else {
    return false;
  }
}

/// Completes the selected send `op` of case `each` with the caller's message. An rvalue of T is
/// moved straight into the channel (no copy of it is staged on the way, KB11). Anything else is
/// first made into a T (an lvalue copied, another type converted); if that throws, the send is
/// abandoned (R34: nothing is sent, its slot or partner is released) and the exception leaves
/// select with the caller's message unchanged.
template <class T, class Target, class Message, class Handler>
send_result<T> send_chosen(operation& op, send_case<T, Target, Message, Handler>& each) {
  const sender<T>& target = rill_handle(static_cast<const std::remove_cvref_t<Target>&>(each.target));
  if constexpr (std::is_same_v<Message, T>) {
    return complete_send(op, target, std::move(*each.message));
  } else {
    std::optional<T> message;
    try {
      message.emplace(std::forward<Message>(*each.message));
    } catch (...) {
      op.table->abandon(op);
      throw;
    }
    return complete_send(op, target, std::move(*message));
  }
}

/// Completes the selected send `op` of a lazy case: calls `make()` now, once, and sends what it
/// returns. If `make()` (or converting its result to T) throws, the send is abandoned (R34:
/// nothing is sent, its slot or partner is released), no handler runs, and the exception leaves
/// the statement.
template <class T, class Target, class Make, class Handler>
send_result<T> send_chosen(operation& op, lazy_send_case<T, Target, Make, Handler>& each) {
  const sender<T>& target = rill_handle(static_cast<const std::remove_cvref_t<Target>&>(each.target));
  std::optional<T> message;
  try {
    message.emplace(std::invoke(each.make));
  } catch (...) {
    op.table->abandon(op);
    throw;
  }
  return complete_send(op, target, std::move(*message));
}

enum class statement_form : unsigned char { handlers, which };

/// The position among `Cases` of every channel case (its index in the statement's operations),
/// and of the one fallback case.
template <class... Cases>
struct case_positions {
  static constexpr std::size_t count = sizeof...(Cases);
  static constexpr std::array<bool, count> channel{case_of<Cases>::is_channel...};
  static constexpr std::array<bool, count> fallback{case_of<Cases>::is_fallback...};
  static constexpr std::size_t channel_cases = (std::size_t{0} + ... + (case_of<Cases>::is_channel ? 1 : 0));
  static constexpr std::size_t fallbacks = (std::size_t{0} + ... + (case_of<Cases>::is_fallback ? 1 : 0));

  /// operation_of[i]: the index of case i's operation (channel cases only).
  static constexpr std::array<std::size_t, count> operation_of = [] {
    std::array<std::size_t, count> positions{};
    std::size_t next = 0;
    for (std::size_t i = 0; i < count; ++i) positions[i] = channel[i] ? next++ : count;
    return positions;
  }();
  /// case_of_operation[k]: the position of the case whose operation is k.
  static constexpr std::array<std::size_t, channel_cases> case_of_operation = [] {
    std::array<std::size_t, channel_cases> positions{};
    for (std::size_t i = 0; i < count; ++i) {
      if (channel[i]) positions[operation_of[i]] = i;
    }
    return positions;
  }();
  static constexpr std::size_t fallback_position = [] {
    for (std::size_t i = 0; i < count; ++i) {
      if (fallback[i]) return i;
    }
    return count;
  }();
};

/// One select statement: its cases, the operations bound from them, and the completion of the
/// case that fires. The selection itself is not here: run_statement below runs it blocking, and
/// rill/async.hpp's select awaitable without blocking, over the same operations. `Cases` are the
/// types the statement keeps: references to the caller's cases for run_statement, the cases
/// themselves for the awaitable. Bound in the constructor (an empty handle throws there, before
/// anything is started, R22); the operations point into the object, which therefore never moves.
template <select_order Mode, statement_form Form, class... Cases>
class statement {
  using positions = case_positions<Cases...>;

 public:
  static_assert((case_of<Cases>::is_case && ...),
                "rill::select: every argument must be a case made by rill::on_recv, rill::on_send, rill::on_default, "
                "rill::on_timeout, rill::on_deadline or rill::when");
  static_assert(positions::fallbacks <= 1, "rill::select: at most one on_default, on_timeout or on_deadline case");
  static constexpr std::size_t channel_cases = positions::channel_cases;
  static constexpr select_order mode = Mode;

  template <class... Arguments>
  explicit statement(Arguments&&... arguments) : cases_(std::forward<Arguments>(arguments)...) {
    bool anything_enabled = sizeof...(Cases) == 0;  // a statement with no cases blocks forever (R30)
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (bind(std::get<I>(cases_), I, anything_enabled), ...);
    }(std::index_sequence_for<Cases...>{});
    if (!anything_enabled) {
      throw std::logic_error(
          "rill::select: every case is switched off by rill::when and there is no default or timeout; the "
          "statement would block forever");
    }
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  std::span<operation* const> operations() noexcept { return pointers_; }
  std::span<std::size_t> order() noexcept { return order_; }
  /// The on_timeout or on_deadline case's deadline, resolved when the statement was bound.
  [[nodiscard]] const sync::deadline& deadline() const noexcept { return deadline_; }
  /// False if the statement has an enabled on_default.
  [[nodiscard]] bool blocking() const noexcept { return blocking_; }
  /// Runs the case that fired: the channel case whose operation is `selected` (its send claimed,
  /// select_loop.hpp), or with no operation the fallback (default or timeout). Completes a send,
  /// then calls the handler with the result; the statement's value.
  decltype(auto) complete(std::optional<std::size_t> selected) {
    const std::size_t fired =
        selected.has_value() ? positions::case_of_operation[*selected] : positions::fallback_position;
    if constexpr (Form == statement_form::handlers) {
      static_assert(common_result<typename case_of<Cases>::result...>::valid,
                    "rill::select: the handlers must all return the same type (or all return void); "
                    "rill::select_which allows different types");
      return complete_from<typename common_result<typename case_of<Cases>::result...>::type, 0>(fired);
    } else {
      return complete_from<select_result<stored_result<typename case_of<Cases>::result>...>, 0>(fired);
    }
  }

 private:
  /// Runs case `fired`, looking from case I on (the last case is the one if no earlier one is).
  template <class Result, std::size_t I>
  Result complete_from(std::size_t fired) {
    if constexpr (I + 1 < sizeof...(Cases)) {
      if (fired != I) return complete_from<Result, I + 1>(fired);
    }
    if constexpr (Form == statement_form::handlers) {
      if constexpr (std::is_void_v<Result>) {
        run_case<I>();
      } else {
        return static_cast<Result>(run_case<I>());
      }
    } else if constexpr (std::is_void_v<decltype(run_case<I>())>) {
      run_case<I>();
      return Result(std::in_place_index<I>);
    } else {
      return Result(std::in_place_index<I>, run_case<I>());
    }
  }

  /// Runs case I (the one that fired): completes a send, then calls the handler with the result.
  template <std::size_t I>
  decltype(auto) run_case() {
    auto& wrapped = std::get<I>(cases_);
    auto& each = leaf_case(wrapped);
    using traits = case_of<decltype(wrapped)>;
    if constexpr (!traits::is_channel) {
      return std::invoke(each.handler);
    } else if constexpr (traits::is_receive) {
      return std::invoke(each.handler, std::move(each.result));
    } else {
      return std::invoke(each.handler, send_chosen(operations_[positions::operation_of[I]], each));
    }
  }

  // Binds case `position`, in order. A case switched off by rill::when is not bound (its handle
  // may be empty): its operation is marked removed, so no phase of the selection looks at it.
  template <class Case>
  void bind(Case& wrapped, std::size_t position, bool& anything_enabled) {
    using traits = case_of<Case>;
    const bool enabled = case_enabled(wrapped);
    anything_enabled = anything_enabled || enabled;
    auto& each = leaf_case(wrapped);
    if constexpr (traits::is_channel) {
      operation& op = operations_[positions::operation_of[position]];
      pointers_[positions::operation_of[position]] = &op;
      if (!enabled) {
        op.removed = true;
      } else if constexpr (traits::is_receive) {
        bind_receive(op, rill_handle(static_cast<const std::remove_cvref_t<decltype(each.source)>&>(each.source)),
                     each.result, "select");
      } else {
        bind_send(op, rill_handle(static_cast<const std::remove_cvref_t<decltype(each.target)>&>(each.target)),
                  "select");
      }
    } else if constexpr (traits::is_default) {
      if (enabled) blocking_ = false;
    } else {
      if (enabled) deadline_ = each.limit.resolve();  // on_timeout: from now, the start of this statement (R20)
    }
  }

  std::tuple<Cases...> cases_;
  std::array<operation, channel_cases> operations_;
  std::array<operation*, channel_cases> pointers_{};
  std::array<std::size_t, channel_cases> order_{};
  sync::deadline deadline_ = std::nullopt;
  bool blocking_ = true;
};

/// A select statement run by the calling thread, which blocks until a case fires.
template <select_order Mode, statement_form Form, class... Cases>
decltype(auto) run_statement(Cases&&... cases) {
  static_assert(!(may_dangle<Cases&&>() || ...),
                "rill::select: a send case refers to its message; one made from an rvalue (a temporary or "
                "std::move(m)) must be made in the call of rill::select, not kept in a variable (its temporary "
                "would already be destroyed)");
  if constexpr (sizeof...(Cases) == 0) {
    // Go's `select {}`: nothing can end the wait (R30).
    (void)run_select(std::span<operation* const>{}, std::span<std::size_t>{}, std::nullopt, true, Mode);
  } else {
    statement<Mode, Form, Cases&&...> state(std::forward<Cases>(cases)...);
    // A selected send is claimed before its message is made: a rendezvous receiver paired with
    // it may have withdrawn at its deadline since the selection, and then nothing was selected;
    // the statement looks again, under its own deadline or default (R19, R30).
    auto select_and_claim = [&] {
      for (;;) {
        const select_outcome outcome =
            run_select(state.operations(), state.order(), state.deadline(), state.blocking(), Mode);
        if (outcome.status != select_outcome::selected) return std::optional<std::size_t>();
        operation& chosen = *state.operations()[outcome.index];
        if (chosen.table->claim(chosen)) return std::optional<std::size_t>(outcome.index);
      }
    };
    return state.complete(select_and_claim());
  }
}

}  // namespace detail

/// A receive case: `handler(rill::recv_result<T>)` runs with the message, or with `disconnected`.
/// `source` is a rill::receiver<T> or a rill::mpsc::receiver<T>; it may be a temporary (for
/// example rill::after(1s)), which the case then keeps alive. Without a handler, the case's result
/// is the recv_result<T> itself (for rill::select_which).
template <class Source, class Handler = detail::no_handler>
auto on_recv(Source&& source, Handler handler = {}) {
  using handle = std::remove_cvref_t<Source>;
  static_assert(detail::select_handle<handle>::is_receiver,
                "rill::on_recv: the first argument must be a rill::receiver<T> (or a rill::mpsc::receiver<T>)");
  using T = typename detail::select_handle<handle>::message;
  static_assert(std::is_invocable_v<Handler&, recv_result<T>>,
                "rill::on_recv: the handler must be callable with rill::recv_result<T> (the message, or why there is "
                "none)");
  return detail::recv_case<T, Source, Handler>{std::forward<Source>(source), std::move(handler)};
}

/// A send case: sends `message` when the channel is ready; `handler(rill::send_result<T>)` runs
/// with the outcome (on failure the error holds the message). Without a handler, the case's
/// result is the send_result<T> itself (for rill::select_which).
///
/// The case refers to `message` and takes it only if this case is the one that completes: an
/// rvalue (`std::move(m)`, or a temporary) is then moved into the channel, an lvalue copied; if
/// another case, the default or the timeout runs, `m` is left as it was (as send_for hands its
/// message back). So the message, like a handle given as an lvalue, must outlive the statement:
/// make the case in the call of rill::select, as above, and do not keep it for later.
///
/// Lazy messages: if `message` cannot be made into a T but is a callable that takes no arguments
/// and returns something that can, the case keeps (a copy of) the callable and calls it once,
/// only when this send is the case that completes, after the send is committed (a slot claimed,
/// a receiver paired, or the channel found disconnected: the message is then handed back in the
/// error). Crossbeam's `send(s, expr)` evaluates `expr` the same way. If the callable throws, the
/// send is abandoned (nothing is sent; the slot or the partner is released, R34), no handler
/// runs, and the exception leaves the statement. A callable that makes a blocking receive from the
/// same bounded channel, with nothing buffered before the claimed slot, waits for its own send
/// (R33). When T itself can be made from the callable (T is a std::function), the callable is
/// the message; wrap it in another lambda to send what it makes.
template <class Target, class Message, class Handler = detail::no_handler>
auto on_send(Target&& target, Message&& message, Handler handler = {}) {
  using handle = std::remove_cvref_t<Target>;
  static_assert(detail::select_handle<handle>::is_sender,
                "rill::on_send: the first argument must be a rill::sender<T> (or a rill::mpsc::sender<T>)");
  using T = typename detail::select_handle<handle>::message;
  static_assert(std::is_invocable_v<Handler&, send_result<T>>,
                "rill::on_send: the handler must be callable with rill::send_result<T>");
  if constexpr (std::is_constructible_v<T, Message&&>) {
    return detail::send_case<T, Target, Message, Handler>{std::forward<Target>(target), std::addressof(message),
                                                          std::move(handler)};
  } else if constexpr (std::is_invocable_v<std::decay_t<Message>&>) {
    using make = std::decay_t<Message>;
    static_assert(std::is_constructible_v<T, std::invoke_result_t<make&>>,
                  "rill::on_send: the message must be convertible to the sender's message type T (a callable that "
                  "makes the message must return something convertible to T)");
    return detail::lazy_send_case<T, Target, make, Handler>{std::forward<Target>(target),
                                                            make(std::forward<Message>(message)), std::move(handler)};
  } else {
    static_assert(std::is_constructible_v<T, Message&&>,
                  "rill::on_send: the message must be convertible to the sender's message type T");
  }
}

/// The case that runs, without blocking, when no other case is ready (Go's `default`).
template <class Handler = detail::no_handler>
auto on_default(Handler handler = {}) {
  static_assert(std::is_invocable_v<Handler&>, "rill::on_default: the handler must be callable with no arguments");
  return detail::default_case<Handler>{std::move(handler)};
}

/// The case that runs when no other case became ready within `timeout`, measured from the start of
/// the statement that runs it (not from when the case was made): a case kept in a variable and
/// given to a select in every round of a loop allows `timeout` to each round (R20, R30).
template <class Rep, class Period, class Handler = detail::no_handler>
auto on_timeout(std::chrono::duration<Rep, Period> timeout, Handler handler = {}) {
  static_assert(std::is_invocable_v<Handler&>, "rill::on_timeout: the handler must be callable with no arguments");
  using limit = detail::relative_limit<std::chrono::duration<Rep, Period>>;
  return detail::timeout_case<limit, Handler>{limit{timeout}, std::move(handler)};
}

/// The case that runs when no other case became ready by `deadline`, an absolute time point: the
/// same for every statement that uses the case. A time point of another clock than rill's is
/// converted once, when the case is made (R20).
template <class Clock, class Duration, class Handler = detail::no_handler>
auto on_deadline(std::chrono::time_point<Clock, Duration> deadline, Handler handler = {}) {
  static_assert(std::is_invocable_v<Handler&>, "rill::on_deadline: the handler must be callable with no arguments");
  return detail::timeout_case<detail::absolute_limit, Handler>{
      detail::absolute_limit{detail::sync::deadline_at(deadline)}, std::move(handler)};
}

/// Switches `each` (any case) on or off for this statement: while `enabled` is false the case is
/// never ready and never runs, as a Go select case on a nil channel; its handle is not looked at
/// (it may be empty) and a send case's message is not touched. A default or timeout case switched
/// off is as if absent. A statement whose cases are all switched off, with no default or timeout
/// left, throws std::logic_error before starting anything, instead of blocking forever (R30).
/// `each` is kept by reference if it is an lvalue (a case kept in a variable), moved in otherwise.
template <class Case>
auto when(bool enabled, Case&& each) {
  static_assert(detail::case_of<Case>::is_case,
                "rill::when: the second argument must be a case made by rill::on_recv, rill::on_send, "
                "rill::on_default, rill::on_timeout, rill::on_deadline or rill::when");
  return detail::conditional_case<Case>{enabled, std::forward<Case>(each)};
}

/// Runs exactly one case: a ready one chosen uniformly at random (R30, R31). Returns the handler's
/// result.
template <class... Cases>
decltype(auto) select(Cases&&... cases) {
  return detail::run_statement<detail::select_order::unbiased, detail::statement_form::handlers>(
      std::forward<Cases>(cases)...);
}

/// Runs exactly one case: of the ready ones, the earliest in the argument list (R31).
template <class... Cases>
decltype(auto) select_biased(Cases&&... cases) {
  return detail::run_statement<detail::select_order::biased, detail::statement_form::handlers>(
      std::forward<Cases>(cases)...);
}

/// Runs exactly one case, as rill::select does, and returns which one fired with its result, a
/// rill::select_result: `.index()` is the case's position among the arguments, `.get<I>()` its
/// result (the handler's, or without a handler the operation's recv_result<T> / send_result<T>;
/// std::monostate for void). The handlers need not return one type. For ordinary control flow
/// (break, continue, return) after the statement.
template <class... Cases>
auto select_which(Cases&&... cases) {
  static_assert(sizeof...(Cases) > 0, "rill::select_which: give it at least one case (rill::select() blocks forever)");
  return detail::run_statement<detail::select_order::unbiased, detail::statement_form::which>(
      std::forward<Cases>(cases)...);
}

/// rill::select_which with the biased choice of rill::select_biased (R31).
template <class... Cases>
auto select_which_biased(Cases&&... cases) {
  static_assert(sizeof...(Cases) > 0,
                "rill::select_which_biased: give it at least one case (rill::select() blocks forever)");
  return detail::run_statement<detail::select_order::biased, detail::statement_form::which>(
      std::forward<Cases>(cases)...);
}

}  // namespace rill
