// bench/cpp/peers/mutex_deque_channel.hpp - the channel most C++ code bases write by hand: one
// std::mutex, two std::condition_variables and a std::deque. The baseline rill has to beat.
//
// Design
// ------
// All state is guarded by `mutex`; nothing is atomic. Capacity:
//   bounded(c), c >= 1   send waits on `not_full` while the deque holds c messages;
//   unbounded            send never waits;
//   bounded(0)           rendezvous: the deque holds at most one message *in hand-over*. A sender
//                        waits until the hand-over place is free, puts its message there, takes
//                        ticket `handed_over + 1`, then waits on `taken` until a receiver has taken
//                        that ticket (`taken_count >= ticket`). So send returns only after a
//                        receiver has the message, which is what a rendezvous promises.
// Receive waits on `not_empty`. Notifications are sent after unlocking, to one waiter
// (notify_one) except for `taken`, where the sender of the ticket just taken may not be the one
// a notify_one would pick, so every rendezvous sender is woken (notify_all) and re-checks.
//
// No disconnection: the benchmark's consumers receive an exact count.
// Progress: everything blocks on the mutex; waits are condition-variable waits (futex).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <utility>

namespace bench {

template <class T>
class mutex_deque_channel {
 public:
  static constexpr std::size_t unbounded_capacity = std::numeric_limits<std::size_t>::max();

  /// capacity 0 is a rendezvous; unbounded_capacity never blocks a sender.
  explicit mutex_deque_channel(std::size_t capacity) : capacity_(capacity) {}

  void send(T message) {
    std::unique_lock lock(mutex_);
    if (capacity_ == 0) {
      not_full_.wait(lock, [&] { return messages_.empty(); });
      messages_.push_back(std::move(message));
      const std::size_t ticket = ++handed_over_count_;
      lock.unlock();
      not_empty_.notify_one();
      lock.lock();
      taken_.wait(lock, [&] { return taken_count_ >= ticket; });
      return;
    }
    not_full_.wait(lock, [&] { return messages_.size() < capacity_; });
    messages_.push_back(std::move(message));
    lock.unlock();
    not_empty_.notify_one();
  }

  T recv() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !messages_.empty(); });
    T message = std::move(messages_.front());
    messages_.pop_front();
    if (capacity_ == 0) ++taken_count_;
    lock.unlock();
    not_full_.notify_one();
    if (capacity_ == 0) taken_.notify_all();
    return message;
  }

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::condition_variable taken_;  // rendezvous only: a receiver took ticket `taken_count_`
  std::deque<T> messages_;
  std::size_t handed_over_count_ = 0;  // rendezvous tickets handed out to senders
  std::size_t taken_count_ = 0;        // rendezvous tickets taken by receivers
};

}  // namespace bench
