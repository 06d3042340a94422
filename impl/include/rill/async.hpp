// rill/async.hpp - awaiting channel operations from C++20 coroutines.
//
//   rill::run_loop loop;
//   auto [tx, rx] = rill::bounded<int>(0);
//   loop.spawn([](rill::receiver<int> rx) -> rill::async_task {
//     while (auto value = co_await rx.async_recv()) std::printf("%d\n", *value);
//   }(rx));
//   std::jthread producer([tx] { for (int i = 0; i < 3; ++i) tx.send(i); });  // threads and
//   loop.run();                                                            // coroutines mix
//
// Design
// ------
// There is no second channel type. `tx.async_send(msg)` and `rx.async_recv()` (channel.hpp)
// return awaitables that drive the channel's own select protocol (select_operation.hpp) for one
// operation, the protocol a blocking select runs: try, register a waiter, wait, unregister,
// accept, try again. Only the waiting differs. A blocking select parks its thread on a context
// (context.hpp); an awaitable registers a *task context*, which lives inside the awaitable, on
// the coroutine frame, and whose unpark runs a wake action that posts the awaitable (an
// `async_work`) to the coroutine's executor. The coroutine is suspended meanwhile; its thread is
// free. So the flavors do not know whether a thread or a coroutine waits: threads blocking and
// coroutines awaiting meet on one channel in every direction, and the rendezvous flavor's
// hand-off rule (the partner finishes the hand-off before it unparks, handoff_packet.hpp) holds
// for coroutines unchanged, because a task context is `sleeping` from the start.
//
// Executor hand-off. A notifier never resumes a coroutine: it selects the task context under
// the channel's lock, as for a thread, and its "unpark" posts the awaitable to the executor the
// coroutine runs on (R46). The posted work runs on the executor: it unregisters the waiter, accepts
// what the notifier offered and resumes the coroutine there, or, if another party took the
// offer first (a buffered message received by someone else, a select sender that declined),
// registers again and stays suspended. An executor is anything with `post(async_work&)`
// (`rill::executor`); `rill::run_loop` is a single-thread one. The executor of an awaiting
// coroutine comes from its promise's `executor()` (rill::async_task has one), or is passed:
// `tx.async_send(msg, executor)`, `rx.async_recv(executor)` (any `rill::executor`).
//
// No allocation per operation (R47). The operation, its waiter, its rendezvous packet, its task
// context and its work item all live in the awaitable, which lives in the coroutine frame for as
// long as the coroutine is suspended in it. run_loop's queue is intrusive.
//
// Destroying a suspended coroutine (R48). The awaitable's destructor aborts its task context
// with the compare-exchange every notifier uses (C1). If the abort wins, no party has chosen the
// operation and none ever will: the waiter is unregistered (under the waker's lock, so no
// notifier still reads it), nothing of the channel's was taken, and a send's message is
// destroyed with the frame, never delivered. If the abort loses, a party has chosen the
// operation and its wake-up is posted, or will be once a rendezvous partner has finished the
// hand-off. The destructor then takes the wake-up back from the executor (`withdraw`, waiting
// for it to arrive) and passes on what the operation was given: a receive on a buffered channel
// notifies the next receiver (the message stays in the buffer; the waiter remembers its
// sync_waker for this); a send commits and abandons, as a select does with a send it does not
// complete (a freed slot is given back and the next sender woken; a rendezvous receiver is
// declined and looks again). A rendezvous receive that was chosen has received: the hand-off is
// finished before the wake-up, so the message is in the frame and is destroyed with it, as a
// received value would be. The destruction must run where the posted work cannot be running:
// on the executor's thread, or while it does not run. An executor without `withdraw` cannot
// take work back: destroying a coroutine whose wake-up it holds ends the program
// (std::terminate, with a message on stderr).
//
// Cancellation (R50). The engine also serves callers that are not coroutines (the Asio adaptor,
// rill/asio.hpp): start() runs it with a completion callback instead of a continuation, and
// request_cancel() cancels a waiting operation through the same compare-exchange as the
// destruction above. If it wins, nothing was chosen, and the operation completes `cancelled`
// (a send's message handed back) through an ordinary wake-up; if it loses, the operation
// completes as chosen.
//
// Limitations of this version: no timed forms here (rill/asio.hpp has them) and no awaitable
// select; timer receivers (after, at, tick) cannot be awaited (their delivery has no notifier: a
// std::logic_error says so).
// On a rendezvous channel a waiting async send is a *select* sender to the flavor (the select
// protocol is its only non-blocking door): a try_recv does not take from it, and a blocking recv
// that pairs with it waits until its coroutine has been resumed (SPEC R38, R33). And if the
// timed receiver such a send has just committed to withdraws at its deadline between the accept
// and the write, the flavor's completion falls back to a blocking send (select_write), which
// blocks the executor's thread until another receiver comes (docs/async.md).
//
// Linearisation: an operation takes effect where the select operation that completes it does
// (its successful try, or its accept after a wake-up; select_operation.hpp). Progress: an await
// never blocks its thread (short of the gap above); it holds a channel lock as the select
// protocol does, and run_loop::post holds the loop's mutex for a few stores.
//
// Synchronisation: no atomic of its own. The task context's selection (C1, C2) and the
// rendezvous packet (Z2-Z6) are the existing sites; run_loop's queue is under its mutex, and a
// post happens-before the execution of the work it posts through that mutex.
// Model-checking scenarios: verify/relacy/async_scenarios.hpp.
#pragma once

#include "rill/channel.hpp"
#include "rill/detail/context.hpp"
#include "rill/detail/select_binding.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/errors.hpp"

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace rill {

/// One unit of work that an executor runs once. Intrusive (`next` is the executor's to use while
/// the work is queued), so posting never allocates.
class async_work {
 public:
  using function = void (*)(async_work&) noexcept;
  explicit async_work(function run) noexcept : run_(run) {}
  async_work(const async_work&) = delete;
  async_work& operator=(const async_work&) = delete;

  /// Runs the work; the work item may be gone when this returns.
  void execute() noexcept { run_(*this); }

  async_work* next = nullptr;

 private:
  function run_;
};

/// An executor runs posted work later, on a thread of its own choosing, never inside post():
/// post() is called under channel locks (R46).
template <class E>
concept executor = requires(E& target, async_work& work) { target.post(work); };

/// A reference to an executor of any type.
class executor_ref {
 public:
  executor_ref() noexcept = default;
  template <executor E>
    requires(!std::same_as<std::remove_cv_t<E>, executor_ref>)
  executor_ref(E& target) noexcept  // NOLINT(google-explicit-constructor): an executor is one
      : object_(&target), post_([](void* object, async_work& work) { static_cast<E*>(object)->post(work); }) {
    if constexpr (requires(async_work& work) {
                    { target.withdraw(work) } -> std::same_as<bool>;
                  }) {
      withdraw_ = [](void* object, async_work& work) { return static_cast<E*>(object)->withdraw(work); };
    }
  }

  void post(async_work& work) const { post_(object_, work); }
  explicit operator bool() const noexcept { return post_ != nullptr; }

  /// Whether the executor can take back posted work that has not run (`withdraw`).
  [[nodiscard]] bool can_withdraw() const noexcept { return withdraw_ != nullptr; }
  /// Takes `work` back if it is queued and has not started; true if it did.
  bool withdraw(async_work& work) const { return withdraw_(object_, work); }

 private:
  void* object_ = nullptr;
  void (*post_)(void*, async_work&) = nullptr;
  bool (*withdraw_)(void*, async_work&) = nullptr;
};

class async_task;

/// A single-thread executor: run() executes posted work in FIFO order until every task spawned
/// on the loop has finished. post() may be called from any thread; run() from one at a time.
class run_loop {
 public:
  run_loop() = default;
  run_loop(const run_loop&) = delete;
  run_loop& operator=(const run_loop&) = delete;

  void post(async_work& work) {
    detail::sync::lock_guard lock(mutex_);
    work.next = nullptr;
    (tail_ != nullptr ? tail_->next : head_) = &work;
    tail_ = &work;
    // Under the lock: run() cannot see the last task finish, return and let the loop be
    // destroyed while this unpark still touches it.
    parker_.unpark();
  }

  /// Takes back `work` if it is queued (posted and not started); true if it was.
  bool withdraw(async_work& work) {
    detail::sync::lock_guard lock(mutex_);
    async_work* previous = nullptr;
    for (async_work* current = head_; current != nullptr; previous = current, current = current->next) {
      if (current != &work) continue;
      (previous != nullptr ? previous->next : head_) = current->next;
      if (tail_ == current) tail_ = previous;
      return true;
    }
    return false;
  }

  /// Starts `task` on this loop (its first step runs inside run()).
  void spawn(async_task task);

  /// Runs posted work until no task spawned here is left unfinished and nothing is queued.
  void run() {
    for (;;) {
      async_work* work = nullptr;
      {
        detail::sync::lock_guard lock(mutex_);
        work = head_;
        if (work != nullptr) {
          head_ = work->next;
          if (head_ == nullptr) tail_ = nullptr;
        } else if (unfinished_ == 0) {
          return;
        }
      }
      if (work != nullptr) {
        work->execute();
      } else {
        parker_.park();  // a post (or the last task's end) unparks
      }
    }
  }

  /// Tasks spawned and not finished yet.
  [[nodiscard]] std::size_t unfinished() const {
    detail::sync::lock_guard lock(mutex_);
    return unfinished_;
  }

 private:
  friend class async_task;
  void task_started() {
    detail::sync::lock_guard lock(mutex_);
    ++unfinished_;
  }
  void task_finished() {
    detail::sync::lock_guard lock(mutex_);
    --unfinished_;
    parker_.unpark();
  }

  mutable detail::sync::mutex mutex_;
  detail::sync::parker parker_;
  async_work* head_ = nullptr;  // guarded by mutex_
  async_work* tail_ = nullptr;  // guarded by mutex_
  std::size_t unfinished_ = 0;  // guarded by mutex_
};

/// A coroutine started by run_loop::spawn. It runs on that loop, and its frame is destroyed when
/// it finishes; an exception that escapes it ends the program. A task never spawned is destroyed
/// with its handle.
class async_task {
 public:
  struct promise_type {
    struct start_work : async_work {
      start_work() noexcept
          : async_work([](async_work& work) noexcept { static_cast<start_work&>(work).handle.resume(); }) {}
      std::coroutine_handle<> handle;
    };

    async_task get_return_object() noexcept {
      return async_task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct finish {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<promise_type> handle) const noexcept {
          run_loop* const owner = handle.promise().loop;
          handle.destroy();
          owner->task_finished();
        }
        void await_resume() const noexcept {}
      };
      return finish{};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }

    /// The executor the task's awaited channel operations post to.
    [[nodiscard]] executor_ref executor() const noexcept { return executor_ref(*loop); }

    run_loop* loop = nullptr;
    start_work start;
  };

  async_task(async_task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  async_task& operator=(async_task&&) = delete;
  ~async_task() {
    if (handle_) handle_.destroy();
  }

 private:
  friend class run_loop;
  explicit async_task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

inline void run_loop::spawn(async_task task) {
  auto handle = std::exchange(task.handle_, {});
  handle.promise().loop = this;
  handle.promise().start.handle = handle;
  task_started();
  post(handle.promise().start);
}

namespace detail {

/// [[noreturn]] outcome of destroying a coroutine whose wake-up is already posted (R48).
[[noreturn]] inline void destroyed_while_woken(const char* operation) noexcept {
  std::fprintf(stderr,
               "rill::%s: a coroutine was destroyed after a channel had chosen its operation and posted "
               "its wake-up; the executor still refers to its frame\n",
               operation);
  std::terminate();
}

/// The engine shared by the awaitables: one select operation driven without blocking (see the
/// top of this file). `Derived` provides `finish()` (after a successful try or accept) and
/// `name()`.
template <class Derived>
class async_operation : public async_work {
  friend Derived;  // only the awaitables derive from it (CRTP)

 public:
  bool await_ready() {
    if (!try_once()) return false;
    self().finish();
    return true;
  }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> handle) {
    if constexpr (requires { handle.promise().executor(); }) {
      if (!executor_) executor_ = executor_ref(handle.promise().executor());
    }
    if (!executor_) {
      throw std::logic_error(std::string("rill::") + self().name() +
                             ": the awaiting coroutine's promise has no executor(); name one with .on(executor)");
    }
    continuation_ = handle;
    return !advance();
  }

 private:
  explicit async_operation(executor_ref target) noexcept : async_work(&on_wake), executor_(target) {}
  async_operation(const async_operation&) = delete;
  async_operation& operator=(const async_operation&) = delete;

 protected:
  ~async_operation() {
    if (phase_ == phase::idle) return;
    // The same compare-exchange as every notifier's (C1): exactly one of us wins.
    if (phase_ == phase::waiting && waiting_->try_select(selection_aborted)) {
      operation_.table->unregister_waiter(operation_);
      return;
    }
    give_up_chosen();
  }

  /// The frame goes after a party chose the operation (R48): its one wake-up is posted, or will
  /// be once a rendezvous partner has finished the hand-off. Take it back from the executor
  /// (waiting for it to arrive), then pass on what the chosen operation was given.
  void give_up_chosen() {
    if (!executor_.can_withdraw()) destroyed_while_woken(self().name());
    while (!executor_.withdraw(*this)) sync::yield_now();
    // Nobody refers to the operation any more but a rendezvous partner that waits for a send.
    if (phase_ == phase::handoff) return;            // a select sender finished our packet: done or declined
    const selection outcome = waiting_->selected();  // (C2)
    operation_.table->unregister_waiter(operation_);
    if (outcome != operation_.entry.operation()) return;  // disconnected: nothing was given
    if (operation_.table->is_send) {
      // A slot was freed for us, or a receiver waits for us: commit, then abandon, as a select
      // does with a send it does not complete (it gives the slot back and wakes the next sender;
      // a rendezvous receiver is declined and looks again).
      operation_.token = {};
      if (operation_.table->accept(operation_)) operation_.table->abandon(operation_);
    } else if (!rendezvous_receive_) {
      // A buffered message was announced to us: announce it to the next waiter.
      if (operation_.entry.home != nullptr) operation_.entry.home->notify();
    }
    // A rendezvous receive that was chosen has received: the message (or the decline) is in the
    // result, destroyed with the frame.
  }

  Derived& self() noexcept { return static_cast<Derived&>(*this); }

  /// One try, without blocking; true if the operation is done (a send: committed).
  bool try_once() {
    operation_.token = {};
    return operation_.table->try_select(operation_);
  }

  /// Waits for the operation without blocking: true once it is finished (the result is ready),
  /// false if a wake-up will be posted.
  bool advance() {
    for (;;) {
      if (cancel_requested_) {  // R50: cancelled before it waits (again); nothing was taken
        self().finish_cancelled();
        return true;
      }
      if (try_once()) {
        self().finish();
        return true;
      }
      waiting_.reset();
      waiting_.emplace(context::wake_action{&wake, this});
      operation_.entry.owner = &*waiting_;
      operation_.entry.packet = &operation_.packet;
      operation_.entry.observer = false;
      phase_ = phase::waiting;
      if (!operation_.table->register_waiter(operation_)) return false;  // a notifier posts us
      // Ready after all (the re-check of the waker pattern, waker.hpp).
      if (waiting_->try_select(selection_aborted)) {
        operation_.table->unregister_waiter(operation_);
        phase_ = phase::idle;
        continue;
      }
      // A notifier chose us meanwhile and posts us; except on a rendezvous channel, whose
      // registration links nothing when it reports ready: then the selection is our own, made
      // as the registration paired this receive with a waiting select sender. Its completion
      // finishes our packet; announce that we sleep (Z5), so that it posts us then.
      if (!rendezvous_receive_) return false;
      phase_ = phase::handoff;
      if (operation_.packet.announce_sleep()) return false;  // (Z5)
      phase_ = phase::idle;
      operation_.token = {};
      if (operation_.table->accept(operation_)) {  // the hand-off is final: (Z3) inside
        self().finish();
        return true;
      }
    }
  }

  /// On the executor, after the one unpark of the current task context.
  bool resume_after_wake() {
    if (phase_ == phase::handoff) {
      phase_ = phase::idle;
      operation_.token = {};
      if (operation_.table->accept(operation_)) {
        self().finish();
        return true;
      }
      return advance();
    }
    const selection outcome = waiting_->selected();  // (C2)
    operation_.table->unregister_waiter(operation_);
    phase_ = phase::idle;
    if (outcome == operation_.entry.operation()) {
      operation_.token = {};
      if (operation_.table->accept(operation_)) {
        self().finish();
        return true;
      }
    }
    return advance();  // disconnected, or the offer went to someone else: look again
  }

  /// The task context's wake action, run by the one party that unparks it (possibly under a
  /// channel lock): posts this operation. Its last access to the frame is reading the executor.
  static void wake(void* argument) {
    auto* const self = static_cast<async_operation*>(argument);
    const executor_ref target = self->executor_;
    target.post(*self);
  }

  static void on_wake(async_work& work) noexcept {
    auto& self = static_cast<async_operation&>(work);
    if (self.resume_after_wake()) self.completed();
  }

  /// The result is ready after a wait: resume the coroutine, or tell the starter (start()).
  void completed() {
    if (done_ != nullptr) {
      done_(done_argument_);
    } else {
      continuation_.resume();
    }
  }

 public:
  /// Starts the operation for a caller that is not a coroutine (the Asio adaptor, rill/asio.hpp):
  /// true if it finished at once; otherwise `done(argument)` runs on the executor once the result
  /// is ready. The caller must not touch the operation again until then (it may be running).
  bool start(void (*done)(void*), void* argument) {
    done_ = done;
    done_argument_ = argument;
    return advance();
  }

  /// Cooperative cancellation (R50): the operation completes with a `cancelled` error, taking
  /// nothing and handing a send's message back, unless a party has already chosen it; then it
  /// completes as chosen (with the message, for a receive). Either way it completes exactly once,
  /// through the usual wake-up. Must not run concurrently with start() or the posted wake-up
  /// (the Asio adaptor serialises them); a notifier may race it, through the compare-exchange.
  void request_cancel() {
    cancel_requested_ = true;
    // The same compare-exchange as every notifier's (C1). If it wins, nobody can choose the
    // operation any more: wake it as a notifier would; resume_after_wake finds the selection
    // is not its operation, and advance() completes it cancelled. If it loses, a party chose
    // the operation and its wake-up is posted (or will be): that completes it.
    if (phase_ == phase::waiting && waiting_.has_value() && waiting_->try_select(selection_aborted)) {
      waiting_->unpark();
    }
  }

 protected:
  enum class phase : unsigned char {
    idle,     // not registered: nobody refers to the operation
    waiting,  // registered; a notifier may choose it and post us
    handoff,  // a rendezvous receive paired with a select sender; its completion posts us
  };

  operation operation_;
  std::optional<context> waiting_;
  executor_ref executor_;
  std::coroutine_handle<> continuation_;
  void (*done_)(void*) = nullptr;  // set by start(): who is told instead of a coroutine
  void* done_argument_ = nullptr;
  phase phase_ = phase::idle;
  bool rendezvous_receive_ = false;
  bool cancel_requested_ = false;
};

/// Whether `source` is a rendezvous channel's receiver; throws std::logic_error for a timer
/// receiver, which cannot be awaited (R45), and empty_handle_error for an empty handle (R22).
template <class T>
bool awaitable_receive_is_rendezvous(const receiver<T>& source) {
  bool rendezvous = false;
  dispatch<T>(channel_access<T>::ref_of(source), "async_recv", [&](auto& state) {
    using flavor = std::remove_reference_t<decltype(state.channel())>;
    if constexpr (requires(const flavor& channel) { channel.recv_ready_at(); }) {
      throw std::logic_error("rill::async_recv: a timer receiver (after, at, tick) cannot be awaited");
    }
    rendezvous = std::is_same_v<flavor, zero_flavor<T>>;
  });
  return rendezvous;
}

template <class T>
class recv_awaitable : public async_operation<recv_awaitable<T>> {
  using base = async_operation<recv_awaitable<T>>;
  friend base;

 public:
  explicit recv_awaitable(const receiver<T>& source, executor_ref target = {}) : base(target) {
    this->rendezvous_receive_ = awaitable_receive_is_rendezvous(source);
    bind_receive(this->operation_, source, result_, "async_recv");
  }

  recv_result<T> await_resume() { return std::move(result_); }

 private:
  void finish() noexcept {}
  void finish_cancelled() noexcept { result_ = std::unexpected(recv_error::cancelled); }
  static const char* name() noexcept { return "async_recv"; }

  recv_result<T> result_{std::unexpect, recv_error::empty};
};

template <class T>
class send_awaitable : public async_operation<send_awaitable<T>> {
  using base = async_operation<send_awaitable<T>>;
  friend base;

 public:
  send_awaitable(const sender<T>& target, T message, executor_ref executor = {})
      : base(executor), target_(&target), message_(std::move(message)) {
    bind_send(this->operation_, target, "async_send");
  }

  send_result<T> await_resume() {
    if (!result_) throw std::logic_error("rill::async_send: the result was read before the operation finished");
    return std::move(*result_);
  }

 private:
  /// Committed: hand the message over (a failed completion gives it back in the error).
  void finish() { result_.emplace(complete_send(this->operation_, *target_, std::move(message_))); }
  /// Cancelled before any party chose the send: the message goes back in the error (R50).
  void finish_cancelled() { result_.emplace(failed_send(send_errc::cancelled, message_)); }
  static const char* name() noexcept { return "async_send"; }

  const sender<T>* target_;
  T message_;  // moved out once, by finish() or finish_cancelled()
  std::optional<send_result<T>> result_;
};

}  // namespace detail
}  // namespace rill
