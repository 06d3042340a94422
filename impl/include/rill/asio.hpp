// rill/asio.hpp - rill's channel operations as Asio asynchronous operations (standalone Asio).
//
//   asio::awaitable<void> consume(rill::receiver<int> rx) {
//     while (auto value = co_await rill::asio::async_receive(rx, asio::use_awaitable))
//       std::printf("%d\n", *value);
//   }
//   asio::co_spawn(context, consume(rx), asio::detached);
//
// What it is
// ----------
// Two initiating functions that take any Asio completion token:
//
//   rill::asio::async_send(tx, message, token)   completion signature void(rill::send_result<T>)
//   rill::asio::async_receive(rx, token)         completion signature void(rill::recv_result<T>)
//
// their timed forms, as send_for / send_until / recv_for / recv_until (`timeout`, R5, R8, R20):
//
//   rill::asio::async_send_for(tx, message, timeout, token)     async_send_until(tx, message, deadline, token)
//   rill::asio::async_receive_for(rx, timeout, token)           async_receive_until(rx, deadline, token)
//
// and an overload of each whose first argument is an executor, for handlers that have no
// associated executor of their own (a plain callback: it then runs on that executor). So
// `asio::use_awaitable`, callbacks, `asio::use_future`, `asio::experimental::deferred` and
// Asio's per-operation cancellation all work, and the results are exactly those of the blocking
// `send` and `recv` (R45), with one more reason, `cancelled` (R50). They are free functions, not members, so that
// channel.hpp knows nothing of Asio; the members `tx.async_send(msg)` / `rx.async_recv()` are
// rill's own awaitables (rill/async.hpp), which an `asio::awaitable` coroutine cannot await.
//
// Design
// ------
// Ready at once: the initiating function first tries the operation as try_send / try_recv,
// which complete exactly as send / recv would unless they report `full` / `empty` (where send /
// recv would wait); then it posts the handler with the result and allocates nothing of its own.
// Otherwise: an operation is rill's own awaitable engine (rill/async.hpp: one select operation driven
// without blocking) inside an operation state that Asio's handler owns. The state is allocated
// with the handler's associated allocator (for use_awaitable, Asio's per-thread recycling
// allocator), holds a copy of the sender or receiver (so the operation keeps its channel as a
// blocked thread does), a work guard on the handler's executor (the context's run() does not
// return while a channel operation is outstanding), and the handler.
//
// Executor hand-off (R46). A party that chooses the operation calls its task context's wake action
// under the channel's lock; the action posts to the handler's associated executor, never runs
// anything inline. The posted function finishes the operation there (unregister, accept) and
// dispatches the handler on that executor. An operation that completes at once, inside the
// initiating function, posts its handler (Asio's rule: a handler is never invoked from inside the
// initiating function).
//
// Cancellation (R50). If the handler has a connected cancellation slot, the operation installs
// a cancellation handler (every cancellation type is honoured: a cancelled operation has taken
// nothing, the "total" guarantee). It calls the engine's request_cancel(): the compare-exchange
// every notifier uses (C1) decides. If cancellation wins, nobody can choose the operation any
// more; it completes with `recv_error::cancelled`, or `send_errc::cancelled` with the message
// handed back. If a party won first, the operation completes as that party chose it: a receive
// with its message, a send delivered. Cancellation is a request; the result says what happened,
// and nothing is lost in either case.
//
// Serialisation: the engine's steps (the start, the posted wake-up, the cancellation) run under
// a mutex of the operation state, so that a cancellation emitted on one thread of a pool and a
// wake-up run on another do not interleave. Asio's own rule still applies to the slot itself:
// emit a cancellation from the executor (strand) the handler runs on.
//
// Limitations: the operation must complete before its executor's context is destroyed (a
// context destroyed with a wake-up queued destroys the posted function without running it, and
// the operation would stay registered with its channel); timer receivers (after, at, tick) cannot
// be awaited, as in rill/async.hpp. A cancellation that arrives after a party chose the operation
// does not undo it: with Asio's awaitable operators, `co_await (async_receive(rx, use_awaitable)
// || timer.async_wait(use_awaitable))` can complete the receive with a message and then discard
// that result when the timer won the race for the operator (docs/async.md).
#pragma once

// Asio 1.22 recognises clang's coroutines only through the Coroutines TS macro (__cpp_coroutines),
// which clang 17 and later no longer define; their standard C++20 coroutines are what Asio needs.
// (A translation unit that includes an Asio header before this one must define it itself.)
#if defined(__clang__) && !defined(ASIO_HAS_CO_AWAIT) && defined(__cpp_impl_coroutine) && \
    __cpp_impl_coroutine >= 201902L
#define ASIO_HAS_CO_AWAIT 1
#endif

#include "rill/async.hpp"
#include "rill/channel.hpp"
#include "rill/detail/sync/sync.hpp"

#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/query.hpp>
#include <asio/wait_traits.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace rill::asio {
namespace detail {

/// The state of one operation: the handle it works on, rill's engine (`Awaitable`: a
/// rill::detail::recv_awaitable or send_awaitable), the handler and where it runs.
template <class Handle, class Awaitable, class Handler, class Executor, class TimerExecutor>
class operation_state {
  using allocator_type =
      typename std::allocator_traits<::asio::associated_allocator_t<Handler>>::template rebind_alloc<operation_state>;

 public:
  using result_type = decltype(std::declval<Awaitable&>().await_resume());

  /// Allocates the state with the handler's allocator and starts the operation; with a
  /// deadline, a timer on the handler's executor cancels it then and it reports `timeout`.
  template <class... Arguments>
  static void launch(Handler handler, const Executor& executor, const TimerExecutor& timer_executor,
                     rill::detail::sync::deadline deadline, const Handle& handle, Arguments&&... arguments) {
    allocator_type allocator(::asio::get_associated_allocator(handler));
    operation_state* const self = std::allocator_traits<allocator_type>::allocate(allocator, 1);
    try {
      std::construct_at(self, std::move(handler), executor, handle, std::forward<Arguments>(arguments)...);
    } catch (...) {  // an empty handle (R22) or a timer receiver: reported to the caller
      std::allocator_traits<allocator_type>::deallocate(allocator, self, 1);
      throw;
    }
    self->start(timer_executor, deadline);
  }

  operation_state(Handler&& handler, const Executor& executor, const Handle& handle, auto&&... arguments)
      : handler_(std::move(handler)),
        work_guard_(executor),
        handle_(handle),
        poster_{this},
        engine_(handle_, std::forward<decltype(arguments)>(arguments)..., rill::executor_ref(poster_)) {}

 private:
  /// Posts the engine's wake-up to the handler's executor (R46): called once per wait, by the
  /// party that chose the operation, possibly under its channel's lock.
  struct wake_poster {
    operation_state* state;
    void post(rill::async_work& /*the engine*/) {
      ::asio::post(state->work_guard_.get_executor(), [state = state] { state->run_wake(); });
    }
  };

  /// The cancellation slot's handler: asks the engine to cancel (see the top of this file).
  struct cancellation {
    operation_state* state;
    void operator()(::asio::cancellation_type type) {
      if (type == ::asio::cancellation_type::none) return;
      rill::detail::sync::lock_guard lock(state->mutex_);
      state->engine_.request_cancel();
    }
  };

  void start(const TimerExecutor& timer_executor, rill::detail::sync::deadline deadline) {
    auto slot = ::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.template emplace<cancellation>(cancellation{this});
    bool done = false;
    {
      rill::detail::sync::lock_guard lock(mutex_);
      done = engine_.start(&on_done, this);
      if (!done && deadline.has_value()) {
        // The timer's handler runs on the executor, never here; it refers to this state, which
        // therefore stays until both the operation and the wait have finished.
        timer_.emplace(timer_executor, *deadline);
        timer_waiting_ = true;
        timer_->async_wait([this](const ::asio::error_code& error) { on_timer(error); });
      }
    }
    // Done inside the initiating function: the handler must not run here, so post it.
    if (done) complete(/*from_initiation=*/true);
  }

  /// On the handler's executor, after the one wake-up of a wait.
  void run_wake() {
    bool last = false;
    {
      rill::detail::sync::lock_guard lock(mutex_);
      engine_.execute();  // sets finished_ (on_done) if the result is ready; else it waits again
      if (finished_ && timer_waiting_ && timer_.has_value()) timer_->cancel();  // its handler still runs
      last = finished_ && !timer_waiting_;
    }
    if (last) complete(/*from_initiation=*/false);
  }

  /// On the handler's executor: the deadline passed (or the wait was cancelled). A deadline that
  /// passes while the operation waits cancels it as a cancellation slot would (R50), so it takes
  /// nothing, unless a party chose it first; the result then reads `timeout` (R5, R8, R20).
  void on_timer(const ::asio::error_code& error) {
    bool last = false;
    {
      rill::detail::sync::lock_guard lock(mutex_);
      timer_waiting_ = false;
      if (!finished_ && error != ::asio::error::operation_aborted) {
        timed_out_ = true;
        engine_.request_cancel();
      }
      last = finished_;
    }
    if (last) complete(/*from_initiation=*/false);
  }

  /// A cancellation that the deadline made reads `timeout`, the message handed back.
  static void cancelled_to_timeout(recv_result<typename Handle::value_type>& result) {
    if (!result && result.error() == recv_error::cancelled) result = std::unexpected(recv_error::timeout);
  }
  static void cancelled_to_timeout(send_result<typename Handle::value_type>& result) {
    if (!result && result.error().reason == send_errc::cancelled) result.error().reason = send_errc::timeout;
  }

  static void on_done(void* argument) { static_cast<operation_state*>(argument)->finished_ = true; }

  /// Frees the state before the handler runs (Asio's rule, so that the handler can start the
  /// next operation with the same memory), then runs the handler on its executor.
  void complete(bool from_initiation) {
    auto slot = ::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    result_type result = engine_.await_resume();
    if (timed_out_) cancelled_to_timeout(result);
    Handler handler = std::move(handler_);
    auto work_guard = std::move(work_guard_);
    allocator_type allocator(::asio::get_associated_allocator(handler));
    std::destroy_at(this);
    std::allocator_traits<allocator_type>::deallocate(allocator, this, 1);
    auto run = [handler = std::move(handler), result = std::move(result)]() mutable {
      std::move(handler)(std::move(result));
    };
    if (from_initiation) {
      ::asio::post(work_guard.get_executor(), std::move(run));
    } else {
      ::asio::dispatch(work_guard.get_executor(), std::move(run));
    }
  }

  Handler handler_;
  ::asio::executor_work_guard<Executor> work_guard_;
  Handle handle_;  // the operation's own copy: the engine refers to it
  wake_poster poster_;
  rill::detail::sync::mutex mutex_;  // serialises start, wake-up, cancellation and the timer
  Awaitable engine_;                 // guarded by mutex_
  // A timed form's timer, on the sync layer's clock (the std backend's: std::chrono::steady_clock).
  using timer_type = ::asio::basic_waitable_timer<rill::detail::sync::clock,
                                                  ::asio::wait_traits<rill::detail::sync::clock>, TimerExecutor>;
  std::optional<timer_type> timer_;  // timed forms only
  bool finished_ = false;            // guarded by mutex_; read after it by the wake-up's thread
  bool timer_waiting_ = false;       // guarded by mutex_: the timer's handler has yet to run
  bool timed_out_ = false;           // guarded by mutex_: the deadline cancelled the operation
};

template <class Handler, class Default>
using handler_executor_t = ::asio::associated_executor_t<std::decay_t<Handler>, Default>;

/// Whether an executor belongs to an execution context, so that a timer can run on it (the
/// executor of a use_future handler does not).
template <class E>
consteval bool belongs_to_context() {
  if constexpr (::asio::execution::is_executor<E>::value) {
    return ::asio::can_query<const E&, ::asio::execution::context_t>::value;
  } else {
    return requires(const E& executor) { executor.context(); };
  }
}
template <class E>
concept has_execution_context = belongs_to_context<E>();

/// The executor of a timed operation's timer: the handler's, or else the initiating function's.
template <class HandlerExecutor, class Fallback>
auto timer_executor_of(const HandlerExecutor& handler_executor, const Fallback& fallback) {
  if constexpr (has_execution_context<HandlerExecutor>) {
    return handler_executor;
  } else {
    return fallback;
  }
}

/// The fast path of an operation that completes at once: posts the handler with its result,
/// without allocating an operation state (Asio's post counts as outstanding work by itself).
template <class Handler, class Executor, class Result>
void post_result(Handler&& handler, const Executor& executor, Result&& result) {
  ::asio::post(executor, [handler = std::forward<Handler>(handler), result = std::forward<Result>(result)]() mutable {
    std::move(handler)(std::move(result));
  });
}

template <class T>
struct initiate_receive {
  template <class Handler, class Executor>
  void operator()(Handler&& handler, const Executor& fallback, const receiver<T>* source,
                  rill::detail::sync::deadline deadline) const {
    using executor_type = handler_executor_t<Handler, Executor>;
    const executor_type executor = ::asio::get_associated_executor(handler, fallback);
    const auto timer_executor = timer_executor_of(executor, fallback);
    using state = operation_state<receiver<T>, rill::detail::recv_awaitable<T>, std::decay_t<Handler>, executor_type,
                                  std::decay_t<decltype(timer_executor)>>;
    rill::detail::check_awaitable_receive(*source, "asio::async_receive");  // timers and empty handles throw
    // Fast path: try_recv completes exactly as recv would (a message, or `disconnected` when
    // drained), except when it reports `empty`, where recv would wait.
    if (auto ready = source->try_recv(); ready || ready.error() != recv_error::empty) {
      post_result(std::forward<Handler>(handler), executor, std::move(ready));
      return;
    }
    if (rill::detail::sync::has_passed(deadline)) {  // tried once, as recv_until does (R20)
      post_result(std::forward<Handler>(handler), executor, recv_result<T>(std::unexpect, recv_error::timeout));
      return;
    }
    state::launch(std::forward<Handler>(handler), executor, timer_executor, deadline, *source);
  }
};

template <class T>
struct initiate_send {
  template <class Handler, class Executor>
  void operator()(Handler&& handler, const Executor& fallback, const sender<T>* target, T message,
                  rill::detail::sync::deadline deadline) const {
    using executor_type = handler_executor_t<Handler, Executor>;
    const executor_type executor = ::asio::get_associated_executor(handler, fallback);
    const auto timer_executor = timer_executor_of(executor, fallback);
    using state = operation_state<sender<T>, rill::detail::send_awaitable<T>, std::decay_t<Handler>, executor_type,
                                  std::decay_t<decltype(timer_executor)>>;
    // Fast path: try_send completes exactly as send would (delivered, or `disconnected` with the
    // message back), except when it reports `full`, where send would wait; the message comes back.
    send_result<T> ready = target->try_send(std::move(message));
    if (ready || ready.error().reason != send_errc::full) {
      post_result(std::forward<Handler>(handler), executor, std::move(ready));
      return;
    }
    if (rill::detail::sync::has_passed(deadline)) {  // tried once, as send_until does (R20)
      ready.error().reason = send_errc::timeout;
      post_result(std::forward<Handler>(handler), executor, std::move(ready));
      return;
    }
    state::launch(std::forward<Handler>(handler), executor, timer_executor, deadline, *target,
                  std::move(ready.error().message));
  }
};

}  // namespace detail

/// Receives from `source` (R45): the handler gets `recv_result<T>`, as recv() returns, or
/// `recv_error::cancelled` if a cancellation came before any message was given to it (R50). The
/// handler runs on `executor` unless it has an associated executor of its own.
template <class T, class Executor, class Token>
  requires(::asio::execution::is_executor<Executor>::value || ::asio::is_executor<Executor>::value)
auto async_receive(const Executor& executor, const receiver<T>& source, Token&& token) {
  return ::asio::async_initiate<Token, void(recv_result<T>)>(detail::initiate_receive<T>{}, token, executor, &source,
                                                             rill::detail::sync::deadline(std::nullopt));
}

/// async_receive(executor, source, token) with the handler's associated executor (for
/// use_awaitable: the coroutine's). A plain callback has none: give it one with
/// asio::bind_executor, or use the overload above.
template <class T, class Token>
auto async_receive(const receiver<T>& source, Token&& token) {
  return async_receive(::asio::system_executor(), source, std::forward<Token>(token));
}

/// Sends `message` on `target` (R45): the handler gets `send_result<T>`, as send() returns (the
/// message back on failure), or `send_errc::cancelled` with the message back if a cancellation
/// came before any receiver or slot took it (R50).
template <class T, class Executor, class Token>
  requires(::asio::execution::is_executor<Executor>::value || ::asio::is_executor<Executor>::value)
auto async_send(const Executor& executor, const sender<T>& target, T message, Token&& token) {
  return ::asio::async_initiate<Token, void(send_result<T>)>(detail::initiate_send<T>{}, token, executor, &target,
                                                             std::move(message),
                                                             rill::detail::sync::deadline(std::nullopt));
}

/// async_send(executor, target, message, token) with the handler's associated executor.
template <class T, class Token>
auto async_send(const sender<T>& target, T message, Token&& token) {
  return async_send(::asio::system_executor(), target, std::move(message), std::forward<Token>(token));
}

// Timed forms: as recv_until / recv_for and send_until / send_for (R5, R8, R20), with the results
// of those (`timeout`, the message handed back), and cancellable as the untimed forms (R50). A
// deadline that has passed when the operation starts means "try once". The deadline is kept by
// a timer on the handler's executor, which cancels the waiting operation when it passes: it then
// takes nothing, unless a party chose it first (then it completes with what it was given).

/// Receives from `source` until `deadline` (any clock), then `recv_error::timeout`.
template <class T, class Executor, class Clock, class Duration, class Token>
  requires(::asio::execution::is_executor<Executor>::value || ::asio::is_executor<Executor>::value)
auto async_receive_until(const Executor& executor, const receiver<T>& source,
                         std::chrono::time_point<Clock, Duration> deadline, Token&& token) {
  return ::asio::async_initiate<Token, void(recv_result<T>)>(detail::initiate_receive<T>{}, token, executor, &source,
                                                             rill::detail::sync::deadline_at(deadline));
}
template <class T, class Clock, class Duration, class Token>
auto async_receive_until(const receiver<T>& source, std::chrono::time_point<Clock, Duration> deadline, Token&& token) {
  return async_receive_until(::asio::system_executor(), source, deadline, std::forward<Token>(token));
}

/// Receives from `source` for at most `timeout`, then `recv_error::timeout`.
template <class T, class Executor, class Rep, class Period, class Token>
  requires(::asio::execution::is_executor<Executor>::value || ::asio::is_executor<Executor>::value)
auto async_receive_for(const Executor& executor, const receiver<T>& source, std::chrono::duration<Rep, Period> timeout,
                       Token&& token) {
  return ::asio::async_initiate<Token, void(recv_result<T>)>(detail::initiate_receive<T>{}, token, executor, &source,
                                                             rill::detail::sync::deadline_after(timeout));
}
template <class T, class Rep, class Period, class Token>
auto async_receive_for(const receiver<T>& source, std::chrono::duration<Rep, Period> timeout, Token&& token) {
  return async_receive_for(::asio::system_executor(), source, timeout, std::forward<Token>(token));
}

/// Sends `message` on `target` until `deadline` (any clock), then `send_errc::timeout` with the
/// message back.
template <class T, class Executor, class Clock, class Duration, class Token>
  requires(::asio::execution::is_executor<Executor>::value || ::asio::is_executor<Executor>::value)
auto async_send_until(const Executor& executor, const sender<T>& target, T message,
                      std::chrono::time_point<Clock, Duration> deadline, Token&& token) {
  return ::asio::async_initiate<Token, void(send_result<T>)>(detail::initiate_send<T>{}, token, executor, &target,
                                                             std::move(message),
                                                             rill::detail::sync::deadline_at(deadline));
}
template <class T, class Clock, class Duration, class Token>
auto async_send_until(const sender<T>& target, T message, std::chrono::time_point<Clock, Duration> deadline,
                      Token&& token) {
  return async_send_until(::asio::system_executor(), target, std::move(message), deadline, std::forward<Token>(token));
}

/// Sends `message` on `target` for at most `timeout`, then `send_errc::timeout` with the message back.
template <class T, class Executor, class Rep, class Period, class Token>
  requires(::asio::execution::is_executor<Executor>::value || ::asio::is_executor<Executor>::value)
auto async_send_for(const Executor& executor, const sender<T>& target, T message,
                    std::chrono::duration<Rep, Period> timeout, Token&& token) {
  return ::asio::async_initiate<Token, void(send_result<T>)>(detail::initiate_send<T>{}, token, executor, &target,
                                                             std::move(message),
                                                             rill::detail::sync::deadline_after(timeout));
}
template <class T, class Rep, class Period, class Token>
auto async_send_for(const sender<T>& target, T message, std::chrono::duration<Rep, Period> timeout, Token&& token) {
  return async_send_for(::asio::system_executor(), target, std::move(message), timeout, std::forward<Token>(token));
}

}  // namespace rill::asio
