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
// Select (R51). rill::async_select awaits a select statement (select.hpp's `statement`): the
// engine below drives one or more operations, registered with one task context, exactly as
// select_loop.hpp's loop does for a thread (try all in a fresh order; register all; on the wake-up
// unregister all and accept the chosen one). A single async_recv or async_send is a statement of
// one case. Every send, whether it completed in a try or in an accept, is claimed before its
// message is written (operation_table::claim): a rendezvous receiver that withdrew at its deadline
// in between means nothing was selected, and the coroutine waits again rather than blocking its
// thread in a plain send.
//
// Time (R20, R45, R51). The timed forms and a select's on_timeout / on_deadline give the engine a
// deadline; timer cases (after, at, tick) a delivery time (their delivery has no notifier). While
// it waits, the engine keeps one timer armed on the executor (`post_at`) for the earliest of them.
// The timer's work aborts the task context through the compare-exchange every notifier uses (C1),
// as a thread's wait_until does at its deadline, and wakes the operation if it won; advance() then
// finds the deadline passed (the non-blocking select's double collect, then `timeout`) or a timer
// case ready. The timer and the wake-up run on the executor, never concurrently (a single-thread
// executor or a strand), so they share the engine's plain state. An operation that completes
// withdraws its timer. An executor without timers cannot wait for time: std::logic_error.
//
// On a rendezvous channel a waiting async send is a *select* sender to the flavor (the select
// protocol is its only non-blocking door): a try_recv does not take from it, and a blocking recv
// that pairs with it waits until its coroutine has been resumed (SPEC R38, R33).
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
#include "rill/detail/select_loop.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/errors.hpp"
#include "rill/select.hpp"

#include <array>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <optional>
#include <span>
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
  /// When an executor's timer runs the work (post_at); the executor's to use while it is queued.
  detail::sync::clock::time_point due{};

 private:
  function run_;
};

/// An executor runs posted work later, on a thread of its own choosing, never inside post():
/// post() is called under channel locks (R46). An executor with timers also has
/// `post_at(work, due)`, which runs the work once `due` (rill's clock) has passed, and
/// `withdraw(work)`, which takes back work posted either way that has not started; the waits
/// that need time (deadlines, timer receivers) need both. The work items of one awaited
/// operation must not run concurrently: a single-thread executor (rill::run_loop) or a strand.
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
      if constexpr (requires(async_work& work, detail::sync::clock::time_point due) { target.post_at(work, due); }) {
        post_at_ = [](void* object, async_work& work, detail::sync::clock::time_point due) {
          static_cast<E*>(object)->post_at(work, due);
        };
      }
    }
  }

  void post(async_work& work) const { post_(object_, work); }
  explicit operator bool() const noexcept { return post_ != nullptr; }

  /// Whether the executor can take back posted work that has not run (`withdraw`).
  [[nodiscard]] bool can_withdraw() const noexcept { return withdraw_ != nullptr; }
  /// Takes `work` back if it is queued and has not started; true if it did.
  bool withdraw(async_work& work) const { return withdraw_(object_, work); }

  /// Whether the executor has timers (post_at, and withdraw to take a timer back).
  [[nodiscard]] bool has_timers() const noexcept { return post_at_ != nullptr; }
  /// Runs `work` once `due` has passed.
  void post_at(async_work& work, detail::sync::clock::time_point due) const { post_at_(object_, work, due); }

 private:
  void* object_ = nullptr;
  void (*post_)(void*, async_work&) = nullptr;
  bool (*withdraw_)(void*, async_work&) = nullptr;
  void (*post_at_)(void*, async_work&, detail::sync::clock::time_point) = nullptr;
};

class async_task;

/// A single-thread executor with timers: run() executes posted work in FIFO order, and timed work
/// (post_at) once its time has passed, until every task spawned on the loop has finished. post()
/// and post_at() may be called from any thread; run() from one at a time.
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

  /// Runs `work` on the loop once `due` has passed (rill's clock), after the timed work due
  /// earlier or at the same time.
  void post_at(async_work& work, detail::sync::clock::time_point due) {
    detail::sync::lock_guard lock(mutex_);
    work.due = due;
    async_work** link = &timers_;
    while (*link != nullptr && !(due < (*link)->due)) link = &(*link)->next;
    work.next = *link;
    *link = &work;
    ++timer_count_;
    parker_.unpark();  // run() may be parked until a later time
  }

  /// Takes back `work` if it is queued (posted or timed, and not started); true if it was.
  bool withdraw(async_work& work) {
    detail::sync::lock_guard lock(mutex_);
    async_work* previous = nullptr;
    for (async_work* current = head_; current != nullptr; previous = current, current = current->next) {
      if (current != &work) continue;
      (previous != nullptr ? previous->next : head_) = current->next;
      if (tail_ == current) tail_ = previous;
      return true;
    }
    for (async_work** link = &timers_; *link != nullptr; link = &(*link)->next) {
      if (*link != &work) continue;
      *link = work.next;
      --timer_count_;
      return true;
    }
    return false;
  }

  /// Starts `task` on this loop (its first step runs inside run()).
  void spawn(async_task task);

  /// Runs posted work, and timed work as its time passes (timed work that is due first, so a
  /// busy queue does not starve a deadline), until no task spawned here is left unfinished and
  /// nothing is queued. Timed work of no task does not keep it running.
  void run() {
    for (;;) {
      async_work* work = nullptr;
      detail::sync::deadline wake = std::nullopt;
      {
        detail::sync::lock_guard lock(mutex_);
        if (timers_ != nullptr && detail::sync::has_passed(timers_->due)) {
          work = timers_;
          timers_ = work->next;
          --timer_count_;
        } else if (head_ != nullptr) {
          work = head_;
          head_ = work->next;
          if (head_ == nullptr) tail_ = nullptr;
        } else if (unfinished_ == 0) {
          return;
        } else if (timers_ != nullptr) {
          wake = timers_->due;
        }
      }
      if (work != nullptr) {
        work->execute();
      } else if (wake.has_value()) {
        (void)parker_.park_until(*wake);  // a post, a new earlier timer or the time unparks
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

  /// Timed work queued and not run yet (an operation that completes withdraws its timer).
  [[nodiscard]] std::size_t timers() const {
    detail::sync::lock_guard lock(mutex_);
    return timer_count_;
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
  async_work* head_ = nullptr;    // guarded by mutex_
  async_work* tail_ = nullptr;    // guarded by mutex_
  async_work* timers_ = nullptr;  // guarded by mutex_; ordered by due, then by post_at order
  std::size_t timer_count_ = 0;   // guarded by mutex_
  std::size_t unfinished_ = 0;    // guarded by mutex_
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

/// The engine shared by the awaitables: a selection among one or more operations, driven
/// without blocking (see the top of this file). `Derived` provides `operations()` and `order()`
/// (spans of one length), `mode` (a select_order), `finish(index)` (operation `index` completed
/// by a try or an accept, a send's claimed), `finish_timeout()` (the deadline passed with nothing
/// ready), `name()`, optionally `finish_cancelled()` (R50), and a destructor that calls
/// `end_wait()` while its operations still exist.
template <class Derived>
class async_operation : public async_work {
  friend Derived;  // only the awaitables derive from it (CRTP)

 public:
  bool await_ready() {
    if (const std::optional<std::size_t> ready = try_all()) {
      self().finish(*ready);
      return true;
    }
    if (sync::has_passed(deadline_)) {  // a deadline already passed tries once (R20): no wait
      finish_at_deadline();
      return true;
    }
    return false;
  }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> handle) {
    if constexpr (requires { handle.promise().executor(); }) {
      if (!executor_) executor_ = executor_ref(handle.promise().executor());
    }
    if (!executor_) {
      throw std::logic_error(std::string("rill::") + self().name() +
                             ": the awaiting coroutine's promise has no executor(); name one (async_recv(executor), "
                             "async_send(message, executor), async_select(executor, cases...))");
    }
    continuation_ = handle;
    require_timers_if_needed();
    return !advance();
  }

 private:
  explicit async_operation(executor_ref target, sync::deadline deadline = std::nullopt) noexcept
      : async_work(&on_wake), executor_(target), deadline_(deadline) {}
  async_operation(const async_operation&) = delete;
  async_operation& operator=(const async_operation&) = delete;
  ~async_operation() = default;

 protected:
  /// Run by the derived destructor, while the operations still exist: leaves the channels (R48).
  void end_wait() {
    disarm_timer();
    if (phase_ == phase::idle) return;
    // The same compare-exchange as every notifier's (C1): exactly one of us wins.
    if (phase_ == phase::waiting && task_context().try_select(selection_aborted)) {
      unregister_all();
      return;
    }
    give_up_chosen();
  }

  /// The frame goes after a party chose an operation (R48): its one wake-up is posted, or will
  /// be once a rendezvous partner has finished the hand-off. Take it back from the executor
  /// (waiting for it to arrive), then pass on what the chosen operation was given.
  void give_up_chosen() {
    if (!executor_.can_withdraw()) destroyed_while_woken(self().name());
    while (!executor_.withdraw(*this)) sync::yield_now();
    // Nobody refers to the operations any more but a rendezvous partner that waits for a send.
    const selection outcome = task_context().selected();  // (C2)
    unregister_all();
    const std::optional<std::size_t> index = index_of(outcome);
    if (!index) return;  // disconnected: nothing was given
    operation& chosen = *self().operations()[*index];
    if (chosen.table->is_send) {
      // A slot was freed for us, or a receiver waits for us: commit, then abandon, as a select
      // does with a send it does not complete (it gives the slot back and wakes the next sender;
      // a rendezvous receiver is declined and looks again).
      chosen.token = {};
      if (chosen.table->accept(chosen)) chosen.table->abandon(chosen);
    } else if (!chosen.table->rendezvous) {
      // A buffered message was announced to us: announce it to the next waiter.
      if (chosen.entry.home != nullptr) chosen.entry.home->notify();
    }
    // A rendezvous receive that was chosen has received (or was declined): the hand-off is
    // finished before the wake-up, so the message is in the result, destroyed with the frame.
  }

  Derived& self() noexcept { return static_cast<Derived&>(*this); }

  /// The current task context; made by advance() before any phase but idle, which alone reads
  /// it, and kept until the next round makes a new one.
  context& task_context() noexcept {
    return *waiting_;  // NOLINT(bugprone-unchecked-optional-access): see above
  }

  /// The operation a notifier's selection names, if it names one of ours.
  std::optional<std::size_t> index_of(selection outcome) {
    const std::span<operation* const> operations = self().operations();
    for (std::size_t index = 0; index < operations.size(); ++index) {
      if (!operations[index]->removed && operations[index]->entry.operation() == outcome) return index;
    }
    return std::nullopt;
  }

  /// One try of every operation, in a fresh order (select_loop.hpp's phase 1); the index of the
  /// one that completed. A send that succeeds is claimed: a rendezvous receiver it paired with
  /// may have withdrawn at its deadline since, and then it was not ready after all (R19, R30).
  std::optional<std::size_t> try_all() {
    const std::span<operation* const> operations = self().operations();
    const std::span<std::size_t> order = self().order();
    choose_order(order, Derived::mode);
    for (const std::size_t index : order) {
      operation& op = *operations[index];
      if (op.removed) continue;
      op.token = {};
      if (op.table->try_select(op) && op.table->claim(op)) return index;
    }
    return std::nullopt;
  }

  void unregister_all() {
    const std::span<operation* const> operations = self().operations();
    const std::span<const std::size_t> order = self().order();
    for (std::size_t position = 0; position < registered_; ++position) {
      operation& op = *operations[order[position]];
      if (!op.removed) op.table->unregister_waiter(op);
    }
    registered_ = 0;
  }

  /// Waits without blocking: true once an operation is finished (the result is ready), false
  /// if a wake-up will be posted.
  bool advance() {
    const std::span<operation* const> operations = self().operations();
    const std::span<const std::size_t> order = self().order();
    for (;;) {
      if constexpr (requires { self().finish_cancelled(); }) {
        if (cancel_requested_) {  // R50: cancelled before it waits (again); nothing was taken
          self().finish_cancelled();
          return true;
        }
      }
      if (sync::has_passed(deadline_)) {  // at the call (try once) or after a wait: R20
        finish_at_deadline();
        return true;
      }
      if (const std::optional<std::size_t> ready = try_all()) {
        self().finish(*ready);
        return true;
      }
      // Register every operation with one task context (select_loop.hpp's phase 2), until one
      // reports that it is ready after all.
      waiting_.reset();
      waiting_.emplace(context::wake_action{&wake, this});
      phase_ = phase::waiting;
      bool ready = false;
      while (registered_ < order.size() && !ready) {
        operation& op = *operations[order[registered_++]];
        if (op.removed) continue;
        op.entry.owner = &*waiting_;
        op.entry.packet = &op.packet;
        op.entry.observer = false;
        ready = op.table->register_waiter(op);
      }
      if (!ready) {
        arm_timer();   // the deadline, or the earliest timer case's time
        return false;  // a notifier (or the timer) posts us
      }
      // Ready after all (the re-check of the waker pattern, waker.hpp).
      if (task_context().try_select(selection_aborted)) {
        unregister_all();
        phase_ = phase::idle;
        continue;
      }
      // A notifier chose us meanwhile and posts us. Except when the last registration made the
      // selection itself: a rendezvous receive that paired with a waiting select sender, which
      // links nothing (zero_flavor.hpp). That sender's completion finishes our packet; announce
      // that we sleep (Z5), so that it posts us then. The selection names the operation that
      // was chosen: a rendezvous receive whose registration reported ready without pairing (the
      // channel disconnected, a plain sender waiting) did not reset its packet, which may hold a
      // finished hand-off of an earlier round, so only a selection of its own is a hand-off.
      operation& paired = *operations[order[registered_ - 1]];
      if (paired.table->is_send || !paired.table->rendezvous || task_context().selected() != paired.entry.operation()) {
        return false;
      }
      phase_ = phase::handoff;
      if (paired.packet.announce_sleep()) return false;  // (Z5)
      // The hand-off is already final: accept it now ((Z3) inside); a decline means look again.
      const std::size_t index = order[registered_ - 1];
      unregister_all();
      phase_ = phase::idle;
      paired.token = {};
      if (paired.table->accept(paired)) {
        self().finish(index);
        return true;
      }
    }
  }

  /// On the executor, after the one unpark of the current task context. True if an operation
  /// finished.
  bool resume_after_wake() {
    const selection outcome = task_context().selected();  // (C2)
    unregister_all();
    phase_ = phase::idle;
    if (const std::optional<std::size_t> index = index_of(outcome)) {
      operation& chosen = *self().operations()[*index];
      chosen.token = {};
      // Accept what the notifier offered: a buffered message may have gone to someone else, a
      // rendezvous partner may decline or have withdrawn (the claim): then look again.
      if (chosen.table->accept(chosen) && chosen.table->claim(chosen)) {
        self().finish(*index);
        return true;
      }
    }
    return advance();  // disconnected, cancelled, or the offer went to someone else: look again
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
    if (!self.resume_after_wake()) return;
    self.disarm_timer();
    self.completed();
  }

  /// The deadline has passed: the non-blocking selection's proof that nothing was ready at an
  /// instant after it (select_loop.hpp's look_once), then a timeout, or the operation found
  /// ready (a send's claimed), as a blocking select's last look does (R20, R30).
  void finish_at_deadline() {
    const std::span<operation* const> operations = self().operations();
    auto try_one = [&](std::size_t index) {
      operation& op = *operations[index];
      op.token = {};
      return op.table->try_select(op);
    };
    for (;;) {
      const select_outcome outcome = look_once(operations, self().order(), Derived::mode, try_one);
      if (outcome.status != select_outcome::selected) {
        self().finish_timeout();
        return;
      }
      operation& chosen = *operations[outcome.index];
      if (chosen.table->claim(chosen)) {
        self().finish(outcome.index);
        return;
      }
    }
  }

  /// A wait that needs time (a deadline, a timer case) needs an executor with timers: checked
  /// when the coroutine suspends, before anything is registered (R45, R51).
  void require_timers_if_needed() {
    if (executor_.has_timers() || !wake_time(self().operations(), deadline_).has_value()) return;
    throw std::logic_error(std::string("rill::") + self().name() +
                           ": a deadline or a timer receiver needs an executor with timers (post_at and withdraw, "
                           "as rill::run_loop has)");
  }

  /// Asks the executor to run timer_ at the wake time: the deadline or the earliest timer case's
  /// delivery time, whichever is first (select_loop.hpp's wake_time). Kept across rounds while
  /// the time does not change.
  void arm_timer() {
    const sync::deadline wake = wake_time(self().operations(), deadline_);
    if (!wake.has_value() || !executor_.has_timers()) return;
    if (timer_armed_) {
      if (timer_due_ == *wake) return;
      (void)executor_.withdraw(timer_);
    }
    timer_armed_ = true;
    timer_due_ = *wake;
    executor_.post_at(timer_, *wake);
  }

  void disarm_timer() {
    if (!timer_armed_) return;
    timer_armed_ = false;
    (void)executor_.withdraw(timer_);  // false: it ran already, on this thread, before us
  }

  /// The timer's work, on the executor (never concurrently with on_wake, see `executor`): the
  /// owner's own abort through the compare-exchange every notifier uses (C1), as a thread's
  /// wait_until does when its deadline passes. If it wins, the operation is woken as a notifier
  /// would wake it, and advance() finds the deadline passed (or a timer case ready); if it loses,
  /// a party chose the operation and its wake-up completes it.
  static void on_timer(async_work& work) noexcept {
    async_operation& self = *static_cast<timer_work&>(work).owner;
    self.timer_armed_ = false;
    if (self.phase_ == phase::waiting && self.task_context().try_select(selection_aborted)) {
      self.task_context().unpark();
    }
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
    // names none of its operations, and advance() completes it cancelled. If it loses, a party
    // chose the operation and its wake-up is posted (or will be): that completes it.
    if (phase_ == phase::waiting && task_context().try_select(selection_aborted)) task_context().unpark();
  }

 protected:
  enum class phase : unsigned char {
    idle,     // not registered: nobody refers to the operations
    waiting,  // registered; a notifier may choose one and post us
    handoff,  // a rendezvous receive paired with a select sender; its completion posts us
  };

  /// The timer's work item, which finds its operation.
  struct timer_work : async_work {
    explicit timer_work(async_operation* operation) noexcept : async_work(&on_timer), owner(operation) {}
    async_operation* owner;
  };

  std::optional<context> waiting_;
  executor_ref executor_;
  sync::deadline deadline_;
  timer_work timer_{this};
  sync::clock::time_point timer_due_{};  // when the armed timer runs
  bool timer_armed_ = false;
  std::coroutine_handle<> continuation_;
  void (*done_)(void*) = nullptr;  // set by start(): who is told instead of a coroutine
  void* done_argument_ = nullptr;
  std::size_t registered_ = 0;  // positions of order() registered with waiting_
  phase phase_ = phase::idle;
  bool cancel_requested_ = false;
};

/// The storage of an awaitable of one operation.
struct single_operation {
  static constexpr select_order mode = select_order::biased;  // one operation: no order to draw

  single_operation() = default;
  single_operation(const single_operation&) = delete;
  single_operation& operator=(const single_operation&) = delete;

  std::span<operation* const> operations() noexcept { return pointers; }
  std::span<std::size_t> order() noexcept { return positions; }

  operation op;
  std::array<operation*, 1> pointers{&op};
  std::array<std::size_t, 1> positions{0};
};

/// For callers that try before they bind and whose executors have no timers (the Asio adaptor):
/// throws std::logic_error for a timer receiver, empty_handle_error for an empty handle (R22).
template <class T>
void check_awaitable_receive(const receiver<T>& source, const char* caller) {
  dispatch<T>(channel_access<T>::ref_of(source), caller, [&](auto& state) {
    using flavor = std::remove_reference_t<decltype(state.channel())>;
    if constexpr (requires(const flavor& channel) { channel.recv_ready_at(); }) {
      throw std::logic_error(std::string("rill::") + caller + ": a timer receiver (after, at, tick) cannot be awaited");
    }
  });
}

template <class T>
class recv_awaitable : public async_operation<recv_awaitable<T>> {
  using base = async_operation<recv_awaitable<T>>;
  friend base;

 public:
  explicit recv_awaitable(const receiver<T>& source, executor_ref target = {}, sync::deadline deadline = std::nullopt)
      : base(target, deadline) {
    bind_receive(storage_.op, source, result_, "async_recv");
  }
  ~recv_awaitable() { this->end_wait(); }

  recv_result<T> await_resume() { return std::move(result_); }

 private:
  static constexpr select_order mode = single_operation::mode;
  std::span<operation* const> operations() noexcept { return storage_.operations(); }
  std::span<std::size_t> order() noexcept { return storage_.order(); }
  void finish(std::size_t) noexcept {}
  void finish_timeout() noexcept { result_ = std::unexpected(recv_error::timeout); }
  void finish_cancelled() noexcept { result_ = std::unexpected(recv_error::cancelled); }
  static const char* name() noexcept { return "async_recv"; }

  single_operation storage_;
  recv_result<T> result_{std::unexpect, recv_error::empty};
};

template <class T>
class send_awaitable : public async_operation<send_awaitable<T>> {
  using base = async_operation<send_awaitable<T>>;
  friend base;

 public:
  send_awaitable(const sender<T>& target, T message, executor_ref executor = {}, sync::deadline deadline = std::nullopt)
      : base(executor, deadline), target_(&target), message_(std::move(message)) {
    bind_send(storage_.op, target, "async_send");
  }
  ~send_awaitable() { this->end_wait(); }

  send_result<T> await_resume() {
    if (!result_) throw std::logic_error("rill::async_send: the result was read before the operation finished");
    return std::move(*result_);
  }

 private:
  static constexpr select_order mode = single_operation::mode;
  std::span<operation* const> operations() noexcept { return storage_.operations(); }
  std::span<std::size_t> order() noexcept { return storage_.order(); }
  /// Committed and claimed: hand the message over (a failed completion gives it back in the error).
  void finish(std::size_t) { result_.emplace(complete_send(storage_.op, *target_, std::move(message_))); }
  /// The deadline passed with no room and no receiver: the message goes back (R5, R20).
  void finish_timeout() { result_.emplace(failed_send(send_errc::timeout, message_)); }
  /// Cancelled before any party chose the send: the message goes back in the error (R50).
  void finish_cancelled() { result_.emplace(failed_send(send_errc::cancelled, message_)); }
  static const char* name() noexcept { return "async_send"; }

  single_operation storage_;
  const sender<T>* target_;
  T message_;  // moved out once, by finish() or finish_cancelled()
  std::optional<send_result<T>> result_;
};

/// The awaitable of rill::async_select and its forms: a select statement (select.hpp) whose
/// selection is the engine above. Its cases are kept in the awaitable, on the coroutine frame;
/// what they refer to (handles given as lvalues, a send's message) must outlive the co_await,
/// so make the cases in the co_await expression, as for rill::select.
template <select_order Mode, statement_form Form, class... Cases>
class select_awaitable : public async_operation<select_awaitable<Mode, Form, Cases...>> {
  using base = async_operation<select_awaitable<Mode, Form, Cases...>>;
  friend base;

 public:
  template <class... Arguments>
    requires(sizeof...(Arguments) == sizeof...(Cases))
  explicit select_awaitable(executor_ref target, Arguments&&... cases)
      : base(target), statement_(std::forward<Arguments>(cases)...) {
    this->deadline_ = statement_.deadline();  // on_timeout: from now, the start of the statement (R20)
  }
  ~select_awaitable() { this->end_wait(); }

  /// With an on_default case the statement never suspends: a non-blocking select (R30), its
  /// double collect and its claim loop as in run_statement.
  bool await_ready() {
    if (statement_.blocking()) return base::await_ready();
    for (;;) {
      const select_outcome outcome = run_select(statement_.operations(), statement_.order(), std::nullopt, false, Mode);
      if (outcome.status != select_outcome::selected) return true;  // the default fires
      operation& chosen = *statement_.operations()[outcome.index];
      if (chosen.table->claim(chosen)) {
        fired_ = outcome.index;
        return true;
      }
    }
  }

  /// Completes the case that fired (a send's message is moved into the channel here) and
  /// returns the statement's value, as rill::select or rill::select_which would.
  decltype(auto) await_resume() { return statement_.complete(fired_); }

 private:
  static constexpr select_order mode = Mode;
  std::span<operation* const> operations() noexcept { return statement_.operations(); }
  std::span<std::size_t> order() noexcept { return statement_.order(); }
  void finish(std::size_t index) noexcept { fired_ = index; }
  void finish_timeout() noexcept { fired_.reset(); }  // the on_timeout or on_deadline case fires
  static const char* name() noexcept { return "async_select"; }

  statement<Mode, Form, Cases...> statement_;
  std::optional<std::size_t> fired_;  // the operation that completed; none: the default
};

/// The awaitable of a select statement; `arguments` are the cases, after an optional executor
/// (needed when the awaiting coroutine's promise has no executor()).
template <select_order Mode, statement_form Form, class First, class... Rest>
auto make_select_awaitable(First&& first, Rest&&... rest) {
  if constexpr (executor<std::remove_cvref_t<First>>) {
    static_assert(sizeof...(Rest) > 0, "rill::async_select: give it at least one case after the executor");
    static_assert(!(may_dangle<Rest&&>() || ...),
                  "rill::async_select: a send case refers to its message; one made from an rvalue (a temporary or "
                  "std::move(m)) must be made in the co_await expression, not kept in a variable");
    return select_awaitable<Mode, Form, std::remove_cvref_t<Rest>...>(executor_ref(first), std::forward<Rest>(rest)...);
  } else {
    static_assert(!(may_dangle<First&&>() || ... || may_dangle<Rest&&>()),
                  "rill::async_select: a send case refers to its message; one made from an rvalue (a temporary or "
                  "std::move(m)) must be made in the co_await expression, not kept in a variable");
    return select_awaitable<Mode, Form, std::remove_cvref_t<First>, std::remove_cvref_t<Rest>...>(
        executor_ref(), std::forward<First>(first), std::forward<Rest>(rest)...);
  }
}

}  // namespace detail

/// `co_await rill::async_select(cases...)`: rill::select for a coroutine, which is suspended
/// instead of its thread (R51). The same cases (on_recv, on_send, on_default, on_timeout,
/// on_deadline, when) and the same
/// outcome: one case fires, chosen uniformly at random among the ready ones, and the awaited
/// value is its handler's result. on_timeout, on_deadline and timer receivers need an executor
/// with timers (rill::run_loop; another throws std::logic_error when the coroutine would wait).
/// An executor may come first, `rill::async_select(loop, cases...)`, for a coroutine whose promise
/// has no executor().
template <class... Cases>
auto async_select(Cases&&... cases) {
  return detail::make_select_awaitable<detail::select_order::unbiased, detail::statement_form::handlers>(
      std::forward<Cases>(cases)...);
}

/// rill::async_select with rill::select_biased's choice: the earliest ready case (R31).
template <class... Cases>
auto async_select_biased(Cases&&... cases) {
  return detail::make_select_awaitable<detail::select_order::biased, detail::statement_form::handlers>(
      std::forward<Cases>(cases)...);
}

/// rill::select_which for a coroutine: the awaited value is a rill::select_result (which case
/// fired, and its result).
template <class... Cases>
auto async_select_which(Cases&&... cases) {
  return detail::make_select_awaitable<detail::select_order::unbiased, detail::statement_form::which>(
      std::forward<Cases>(cases)...);
}

/// rill::async_select_which with the biased choice (R31).
template <class... Cases>
auto async_select_which_biased(Cases&&... cases) {
  return detail::make_select_awaitable<detail::select_order::biased, detail::statement_form::which>(
      std::forward<Cases>(cases)...);
}

}  // namespace rill
