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
// the statement (a case kept and reused in a loop gives every round d), on_deadline(t) is absolute. With neither, select blocks, and a
// select with no cases at all blocks forever (Go's `select {}`), unless given a timeout.
//
// The value of the expression is the handler's result (all handlers must return the same type,
// or void). The cases live in the caller's frame: a select of any number of cases allocates
// nothing on the heap. A malformed case is a compile error that says what is wrong.
//
// A case refers to what it is given by reference: a handle given as an lvalue (a temporary handle,
// such as rill::after(1s), is kept in the case) and a send's message, which is moved (an rvalue)
// or copied (an lvalue) only if that send is the case that completes; a send case that does not
// run leaves the caller's message as it was. So make the cases in the call of rill::select.
//
// To switch a case off without changing the statement, receive from rill::never<T>() (R42).
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
#include <tuple>
#include <type_traits>
#include <utility>

namespace rill {

namespace detail {

template <class Handle>
using handle_storage = std::conditional_t<std::is_lvalue_reference_v<Handle>, Handle, std::remove_cvref_t<Handle>>;

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

template <class Case>
struct case_traits {
  static constexpr bool is_case = false;
};
template <class T, class Source, class Handler>
struct case_traits<recv_case<T, Source, Handler>> {
  static constexpr bool is_case = true, is_channel = true, is_fallback = false;
  using result = std::invoke_result_t<Handler&, recv_result<T>>;
};
template <class T, class Target, class Message, class Handler>
struct case_traits<send_case<T, Target, Message, Handler>> {
  static constexpr bool is_case = true, is_channel = true, is_fallback = false;
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

/// A send case made from an rvalue message: it refers to an object that, if it was a temporary,
/// lives only as long as the full-expression that made the case.
template <class Case>
inline constexpr bool refers_to_an_rvalue_message = false;
template <class T, class Target, class Message, class Handler>
inline constexpr bool refers_to_an_rvalue_message<send_case<T, Target, Message, Handler>> =
    !std::is_lvalue_reference_v<Message>;

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

template <select_order Mode, class... Cases>
decltype(auto) run_statement(Cases&&... cases) {
  static_assert((case_of<Cases>::is_case && ...),
                "rill::select: every argument must be a case made by rill::on_recv, rill::on_send, rill::on_default, "
                "rill::on_timeout or rill::on_deadline");
  constexpr std::size_t fallbacks = (std::size_t{0} + ... + (case_of<Cases>::is_fallback ? 1 : 0));
  static_assert(fallbacks <= 1, "rill::select: at most one on_default, on_timeout or on_deadline case");
  static_assert(!((std::is_lvalue_reference_v<Cases> && refers_to_an_rvalue_message<std::remove_cvref_t<Cases>>) || ...),
                "rill::select: a send case refers to its message; one made from an rvalue (a temporary or "
                "std::move(m)) must be made in the call of rill::select, not kept in a variable (its temporary "
                "would already be destroyed)");
  static_assert(common_result<typename case_of<Cases>::result...>::valid,
                "rill::select: the handlers must all return the same type (or all return void)");
  using result_type = typename common_result<typename case_of<Cases>::result...>::type;
  constexpr std::size_t channel_cases = (std::size_t{0} + ... + (case_of<Cases>::is_channel ? 1 : 0));

  std::array<operation, channel_cases> operations;
  std::array<operation*, channel_cases> pointers{};
  std::array<std::size_t, channel_cases> order{};
  sync::deadline deadline = std::nullopt;
  bool blocking = true;

  // Bind every case, in order. Empty handles throw here, before anything is committed (R22).
  {
    std::size_t next = 0;
    auto bind = [&]<class Case>(Case& each) {
      using traits = case_traits<std::remove_cvref_t<Case>>;
      if constexpr (traits::is_channel) {
        operation& op = operations[next];
        pointers[next] = &op;
        if constexpr (requires { each.source; }) {
          bind_receive(op, rill_handle(static_cast<const std::remove_cvref_t<decltype(each.source)>&>(each.source)),
                       each.result, "select");
        } else {
          bind_send(op, rill_handle(static_cast<const std::remove_cvref_t<decltype(each.target)>&>(each.target)),
                    "select");
        }
        ++next;
      } else if constexpr (traits::is_default) {
        blocking = false;
      } else {
        deadline = each.limit.resolve();  // on_timeout: from now, the start of this statement (R20)
      }
    };
    (bind(cases), ...);
  }

  const select_outcome outcome = run_select(pointers, order, deadline, blocking, Mode);

  // Run the chosen case's handler.
  std::optional<std::conditional_t<std::is_void_v<result_type>, char, result_type>> value;
  bool done = false;
  std::size_t next = 0;
  auto finish = [&]<class Case>(Case& each) {
    using traits = case_traits<std::remove_cvref_t<Case>>;
    if (done) return;
    auto call = [&](auto&&... arguments) {
      done = true;
      if constexpr (std::is_void_v<result_type>) {
        std::invoke(each.handler, std::forward<decltype(arguments)>(arguments)...);
      } else {
        value.emplace(std::invoke(each.handler, std::forward<decltype(arguments)>(arguments)...));
      }
    };
    if constexpr (traits::is_channel) {
      const std::size_t mine = next++;
      if (outcome.status != select_outcome::selected || outcome.index != mine) return;
      if constexpr (requires { each.source; }) {
        call(std::move(each.result));
      } else {
        call(send_chosen(operations[mine], each));
      }
    } else if constexpr (traits::is_default) {
      if (outcome.status == select_outcome::would_block) call();
    } else {
      if (outcome.status == select_outcome::timed_out) call();
    }
  };
  (finish(cases), ...);
  if constexpr (!std::is_void_v<result_type>) return static_cast<result_type>(std::move(*value));
}

}  // namespace detail

/// A receive case: `handler(rill::recv_result<T>)` runs with the message, or with `disconnected`.
/// `source` may be a temporary (for example rill::after(1s)); the case then keeps it alive.
template <class Source, class Handler>
auto on_recv(Source&& source, Handler handler) {
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
/// with the outcome (on failure the error holds the message).
///
/// The case refers to `message` and takes it only if this case is the one that completes: an
/// rvalue (`std::move(m)`, or a temporary) is then moved into the channel, an lvalue copied; if
/// another case, the default or the timeout runs, `m` is left as it was (as send_for hands its
/// message back). So the message, like a handle given as an lvalue, must outlive the statement:
/// make the case in the call of rill::select, as above, and do not keep it for later.
template <class Target, class Message, class Handler>
auto on_send(Target&& target, Message&& message, Handler handler) {
  using handle = std::remove_cvref_t<Target>;
  static_assert(detail::select_handle<handle>::is_sender,
                "rill::on_send: the first argument must be a rill::sender<T> (or a rill::mpsc::sender<T>)");
  using T = typename detail::select_handle<handle>::message;
  static_assert(std::is_constructible_v<T, Message&&>,
                "rill::on_send: the message must be convertible to the sender's message type T");
  static_assert(std::is_invocable_v<Handler&, send_result<T>>,
                "rill::on_send: the handler must be callable with rill::send_result<T>");
  return detail::send_case<T, Target, Message, Handler>{std::forward<Target>(target), std::addressof(message),
                                                        std::move(handler)};
}

/// The case that runs, without blocking, when no other case is ready (Go's `default`).
template <class Handler>
auto on_default(Handler handler) {
  static_assert(std::is_invocable_v<Handler&>, "rill::on_default: the handler must be callable with no arguments");
  return detail::default_case<Handler>{std::move(handler)};
}

/// The case that runs when no other case became ready within `timeout`, measured from the start of
/// the statement that runs it (not from when the case was made): a case kept in a variable and
/// given to a select in every round of a loop allows `timeout` to each round (R20, R30).
template <class Rep, class Period, class Handler>
auto on_timeout(std::chrono::duration<Rep, Period> timeout, Handler handler) {
  static_assert(std::is_invocable_v<Handler&>, "rill::on_timeout: the handler must be callable with no arguments");
  using limit = detail::relative_limit<std::chrono::duration<Rep, Period>>;
  return detail::timeout_case<limit, Handler>{limit{timeout}, std::move(handler)};
}

/// The case that runs when no other case became ready by `deadline`, an absolute time point: the
/// same for every statement that uses the case. A time point of another clock than rill's is
/// converted once, when the case is made (R20).
template <class Clock, class Duration, class Handler>
auto on_deadline(std::chrono::time_point<Clock, Duration> deadline, Handler handler) {
  static_assert(std::is_invocable_v<Handler&>, "rill::on_deadline: the handler must be callable with no arguments");
  return detail::timeout_case<detail::absolute_limit, Handler>{detail::absolute_limit{detail::sync::deadline_at(deadline)},
                                                               std::move(handler)};
}

/// Runs exactly one case: a ready one chosen uniformly at random (R30, R31).
template <class... Cases>
decltype(auto) select(Cases&&... cases) {
  return detail::run_statement<detail::select_order::unbiased>(std::forward<Cases>(cases)...);
}

/// Runs exactly one case: of the ready ones, the earliest in the argument list (R31).
template <class... Cases>
decltype(auto) select_biased(Cases&&... cases) {
  return detail::run_statement<detail::select_order::biased>(std::forward<Cases>(cases)...);
}

}  // namespace rill
