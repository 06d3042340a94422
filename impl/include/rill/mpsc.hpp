// rill/mpsc.hpp - a porting layer shaped like Rust's std::sync::mpsc (SPEC R28).
//
//     auto [tx, rx] = rill::mpsc::channel<int>();         // let (tx, rx) = mpsc::channel();
//     auto [tx, rx] = rill::mpsc::sync_channel<int>(16);  // let (tx, rx) = mpsc::sync_channel(16);
//     auto tx2 = tx.clone();                              // let tx2 = tx.clone();
//     tx.send(1);                                         // tx.send(1).unwrap();
//     for (int& value : rx) use(value);                   // for value in &rx { use(value) }
//
// `channel<T>()` makes an unbounded channel, `sync_channel<T>(n)` a bounded one (n = 0: a
// rendezvous). Each returns a copyable `mpsc::sender<T>` (Rust's Sender and SyncSender are Clone)
// and a move-only `mpsc::receiver<T>` (Rust's Receiver is not Clone: one consumer). Both wrap a
// rill::sender / rill::receiver and forward to it: every operation has exactly the semantics of
// the rill operation it forwards to (R3-R27); this file adds names and shapes, no behaviour, and
// no synchronisation of its own.
//
// | Rust std::sync::mpsc              | rill::mpsc                                | forwards to (rules)   |
// |-----------------------------------|-------------------------------------------|-----------------------|
// | channel(), sync_channel(n)        | channel<T>(), sync_channel<T>(n)          | unbounded, bounded    |
// | Sender<T>, SyncSender<T>          | sender<T> (sync_sender<T> is an alias)    | rill::sender (R21)    |
// | Receiver<T>                       | receiver<T>, move-only                    | rill::receiver (R21)  |
// | tx.clone(), drop(tx)              | tx.clone() or a copy; drop(tx), reset()   | copy, reset (R21)     |
// | tx.send(v)                        | tx.send(v)                                | send (R3)             |
// | tx.try_send(v)  (SyncSender only) | tx.try_send(v)  (any sender)              | try_send (R4)         |
// | rx.recv(), rx.try_recv()          | rx.recv(), rx.try_recv()                  | recv, try_recv (R6,7) |
// | rx.recv_timeout(d)                | rx.recv_timeout(d)                        | recv_for (R8, R20)    |
// | rx.recv_deadline(t)  (unstable)   | rx.recv_deadline(t)                       | recv_until (R8, R20)  |
// | rx.iter(), for v in &rx           | rx.iter(), for (T& v : rx)                | range-for (R27)       |
// | rx.try_iter()                     | rx.try_iter()                             | try_iter (R27)        |
// | for v in rx  (IntoIterator)       | for (T& v : std::move(rx).into_iter())    | range-for (R27)       |
// | select! / Select (crossbeam)      | rill::on_recv(rx, h), selection.recv(rx); | select (R30-R39)      |
// |                                   | rill::on_send(tx, v, h), selection.send(tx)|                       |
//
// Where this layer differs from Rust (docs/porting.md has the full table):
//
// - Results are std::expected. A failed send returns rill::send_error<T>{reason, message}, with the
//   message handed back (R9): Rust's SendError(v) is {disconnected, v}; TrySendError::Full(v) and
//   ::Disconnected(v) are {full, v} and {disconnected, v}. A failed receive returns rill::recv_error:
//   RecvError is `disconnected`; TryRecvError::Empty / ::Disconnected are `empty` / `disconnected`;
//   RecvTimeoutError::Timeout / ::Disconnected are `timeout` / `disconnected`.
// - Rust's unbounded Sender::send never fails except on disconnection; an allocation failure
//   aborts the process. rill's send on a channel() sender never blocks either (R19), but it fails
//   with `out_of_memory` and the message when a block cannot be allocated (R24).
// - sync_channel(n) with n above rill::max_capacity throws std::length_error (R2); failing to
//   allocate the ring throws std::bad_alloc (R24). Rust panics or aborts in those cases.
// - One sender type serves both channels, so try_send also exists on a channel() sender (Rust's
//   Sender has no try_send). There it never reports `full`.
// - recv_timeout takes any std::chrono::duration, recv_deadline a time point of any clock (Rust:
//   Duration and Instant). A zero or negative timeout tries once and reports `timeout`, not
//   `empty`; a duration too large to add to now means "no timeout" (R20), as in current Rust.
// - C++ moves are not checked by the compiler: a moved-from (or reset, or default-constructed)
//   handle is empty and every operation on it throws rill::empty_handle_error, whose message names
//   the Rust-side operation (R22). Rust rejects use after move at compile time.
// - The message type must have a noexcept move constructor and a noexcept destructor (R23); Rust
//   moves are bit copies and need no such rule.
// - When the last receiver goes, every buffered message is destroyed at once (R11), as in
//   current Rust (rust-lang/rust#108164); some earlier releases kept them until the last sender
//   went (KB6).
// - The last sender's release happens-before the receive that reports `disconnected` (R16):
//   whatever a thread wrote before dropping its sender is visible to the receiver that sees the
//   disconnection. Rust's documentation does not promise this.
// - Threads: sender operations are const and may be called on one sender object from several
//   threads at once (Rust's Sender is Sync since 1.72), as long as no thread moves, assigns or
//   resets that object meanwhile. Receiver operations are non-const: like Rust's Receiver (Send,
//   not Sync), use a receiver from one thread at a time, and move it to hand it over.
// - Selection: an mpsc::receiver or mpsc::sender can be given to rill::select (on_recv, on_send) and
//   to rill::selector (recv, send; selected_operation::recv and send complete with it) as it is, as
//   crossbeam's handles can: the selection refers to the rill handle inside, so the mpsc handle
//   must outlive it, as a rill handle must.
// - into_inner() (Rust: no equivalent) gives up the Rust shape and returns the rill handle, with
//   close(), the queries, timed sends and, for a receiver, copies (multi-consumer).
#pragma once

#include "rill/channel.hpp"
#include "rill/errors.hpp"

#include <chrono>
#include <cstddef>
#include <iterator>
#include <utility>

namespace rill::mpsc {

using rill::recv_error;
using rill::recv_result;
using rill::send_errc;
using rill::send_error;
using rill::send_result;

template <class T>
class sender;
template <class T>
class receiver;

namespace detail {
template <class T>
struct mpsc_access;
}  // namespace detail

/// The sending half (Rust: Sender<T> and SyncSender<T>). Copyable: every copy is another sender of
/// the same channel (R21). A moved-from or reset sender is empty (R22).
template <class T>
class sender {
 public:
  using value_type = T;

  /// An empty sender; every operation but valid(), copy, move, swap and reset() throws.
  sender() noexcept = default;

  /// Rust: tx.clone(). The same as copying.
  [[nodiscard]] sender clone() const { return *this; }

  /// Sends, blocking while a bounded channel is full (rendezvous: until a receiver takes it); on a
  /// channel() sender it never blocks. Fails with `disconnected` (or `out_of_memory`, unbounded
  /// only) and the message (R3, R9, R24).
  send_result<T> send(T message) const { return inner_.send(std::move(message)); }

  /// Sends only if that is possible without blocking; fails with `full` or `disconnected` and the
  /// message (R4). Rendezvous: succeeds only if a receiver is waiting (R18).
  send_result<T> try_send(T message) const { return inner_.try_send(std::move(message)); }

  /// Rust: drop(tx). Releases this sender now; the last one disconnects the channel (R10, R21).
  void reset() noexcept { inner_.reset(); }

  [[nodiscard]] bool valid() const noexcept { return inner_.valid(); }
  explicit operator bool() const noexcept { return valid(); }

  void swap(sender& other) noexcept { inner_.swap(other.inner_); }
  friend void swap(sender& left, sender& right) noexcept { left.swap(right); }

  /// Gives up the Rust shape: the rill sender behind this one. This sender becomes empty.
  [[nodiscard]] rill::sender<T> into_inner() && noexcept { return std::move(inner_); }

 private:
  friend struct detail::mpsc_access<T>;
  explicit sender(rill::sender<T>&& inner) noexcept : inner_(std::move(inner)) {}

  rill::sender<T> inner_;
};

/// Rust: SyncSender<T>. The same type as sender<T>: rill's senders do not depend on the flavor.
template <class T>
using sync_sender = sender<T>;

/// The receiving half (Rust: Receiver<T>). Move-only: a channel made here has one consumer. A
/// moved-from or reset receiver is empty (R22).
template <class T>
class receiver {
 public:
  using value_type = T;
  using iterator = typename rill::receiver<T>::iterator;

  /// An empty receiver; every operation but valid(), move, swap and reset() throws.
  receiver() noexcept = default;
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
  receiver(receiver&&) noexcept = default;
  /// Releases the receiver this one held (the last one destroys what is buffered, R11).
  receiver& operator=(receiver&&) noexcept = default;
  ~receiver() = default;

  /// Receives, blocking while the channel is empty and connected; `disconnected` once it is
  /// disconnected and drained (R6, R10).
  recv_result<T> recv() const { return inner_.recv(); }

  /// Receives only if a message is available now: `empty` or `disconnected` otherwise (R7).
  recv_result<T> try_recv() const { return inner_.try_recv(); }

  /// Rust: recv_timeout(Duration). Receives, giving up with `timeout` after `timeout` (R8, R20).
  template <class Rep, class Period>
  recv_result<T> recv_timeout(std::chrono::duration<Rep, Period> timeout) const {
    if (!valid()) throw empty_handle_error("recv_timeout");
    return inner_.recv_for(timeout);
  }

  /// Rust: recv_deadline(Instant) (unstable there). Receives, giving up with `timeout` at
  /// `deadline`, a time point of any clock (R8, R20).
  template <class Clock, class Duration>
  recv_result<T> recv_deadline(std::chrono::time_point<Clock, Duration> deadline) const {
    if (!valid()) throw empty_handle_error("recv_deadline");
    return inner_.recv_until(deadline);
  }

  /// Blocking iteration, Rust's `for v in &rx`: each step is recv(); the loop ends when the
  /// channel is disconnected and drained (R27). Throws empty_handle_error on an empty receiver.
  iterator begin() const { return inner_.begin(); }
  std::default_sentinel_t end() const noexcept { return {}; }

  /// The same blocking iteration as a range (Rust: rx.iter()). The receiver must outlive it.
  class iter_range {
   public:
    iterator begin() { return source_->begin(); }
    std::default_sentinel_t end() const noexcept { return {}; }

   private:
    friend class receiver;
    explicit iter_range(receiver* source) noexcept : source_(source) {}
    receiver* source_;
  };
  iter_range iter() & noexcept { return iter_range(this); }
  iter_range iter() && = delete;  // rill::mpsc::receiver::iter: a temporary receiver would be gone before the loop runs

  /// A non-blocking drain (Rust: rx.try_iter()): what can be received now, stopping at the first
  /// `empty` or `disconnected` (R27).
  /// Like iter(), it refers to this receiver: a temporary receiver does not compile (its range
  /// would outlive it); std::move(rx).into_iter() is the owning form.
  typename rill::receiver<T>::drain_view try_iter() & noexcept { return inner_.try_iter(); }
  // The diagnostic shows this line, comment included (tests/compile_fail): keep it one line.
  // clang-format off
  typename rill::receiver<T>::drain_view try_iter() && = delete;  // rill::mpsc::receiver::try_iter: a temporary receiver would be gone before the loop runs
  // clang-format on

  /// Rust's `for v in rx` (IntoIterator): a range that owns the receiver, so it is released, with
  /// the effects of R11 if it is the last, when the range is destroyed (after the loop).
  class into_iter_range;  // defined below: it holds a receiver, complete only after this class
  [[nodiscard]] into_iter_range into_iter() && noexcept { return into_iter_range(std::move(*this)); }

  /// Rust: drop(rx). Releases this receiver now; the last one disconnects the channel and destroys
  /// every buffered message (R11, R21).
  void reset() noexcept { inner_.reset(); }

  [[nodiscard]] bool valid() const noexcept { return inner_.valid(); }
  explicit operator bool() const noexcept { return valid(); }

  void swap(receiver& other) noexcept { inner_.swap(other.inner_); }
  friend void swap(receiver& left, receiver& right) noexcept { left.swap(right); }

  /// Gives up the Rust shape: the rill receiver behind this one, which can be copied (MPMC).
  /// This receiver becomes empty.
  [[nodiscard]] rill::receiver<T> into_inner() && noexcept { return std::move(inner_); }

 private:
  friend struct detail::mpsc_access<T>;
  explicit receiver(rill::receiver<T>&& inner) noexcept : inner_(std::move(inner)) {}

  rill::receiver<T> inner_;
};

template <class T>
class receiver<T>::into_iter_range {
 public:
  iterator begin() { return owner_.begin(); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend class receiver;
  explicit into_iter_range(receiver&& owner) noexcept : owner_(std::move(owner)) {}
  receiver owner_;
};

/// Rust: drop(tx) / drop(rx). Releases the handle now (R21); it is left empty.
template <class T>
void drop(sender<T>& handle) noexcept {
  handle.reset();
}
template <class T>
void drop(receiver<T>& handle) noexcept {
  handle.reset();
}

namespace detail {

template <class T>
struct mpsc_access {
  static std::pair<sender<T>, receiver<T>> wrap(std::pair<rill::sender<T>, rill::receiver<T>>&& handles) {
    return {sender<T>(std::move(handles.first)), receiver<T>(std::move(handles.second))};
  }
  // What a selection (rill/select.hpp, rill/selector.hpp) refers to: the rill handle inside.
  static const rill::sender<T>& inner(const sender<T>& handle) noexcept { return handle.inner_; }
  static const rill::receiver<T>& inner(const receiver<T>& handle) noexcept { return handle.inner_; }
};

}  // namespace detail

/// Rust: mpsc::channel(). An unbounded channel: send never blocks (R1, R19).
template <class T>
[[nodiscard]] std::pair<sender<T>, receiver<T>> channel() {
  return detail::mpsc_access<T>::wrap(rill::unbounded<T>());
}

/// Rust: mpsc::sync_channel(bound). A channel of at most `bound` messages; 0 makes a rendezvous
/// (R1, R18). Throws std::length_error above rill::max_capacity (R2), std::bad_alloc if the ring
/// cannot be allocated (R24).
template <class T>
[[nodiscard]] std::pair<sender<T>, receiver<T>> sync_channel(std::size_t bound) {
  return detail::mpsc_access<T>::wrap(rill::bounded<T>(bound));
}

}  // namespace rill::mpsc
