// rill/selector.hpp - dynamic selection over many channel operations (SPEC R30-R36).
//
// The counterpart of crossbeam-channel's `Select`: operations are added at run time, on channels
// of any message types, and a selection returns which one is ready, already committed:
//
//     rill::selector selection;
//     const std::size_t from_jobs = selection.recv(jobs);      // receive operations ...
//     const std::size_t to_results = selection.send(results);  // ... and send operations
//     rill::selected_operation chosen = selection.select();    // blocks until one is ready
//     if (chosen.index() == from_jobs) {
//       rill::recv_result<Job> job = chosen.recv(jobs);         // complete it
//     } else {
//       chosen.send(results, Result{...});
//     }
//
// The selected operation must be completed with a handle of the same channel (any copy will
// do) and the same direction; completing it with another channel's handle, or twice, throws
// std::logic_error and changes nothing (an empty handle: rill::empty_handle_error, R22). A send
// takes its message by reference, so a send that throws leaves the caller's message as it was.
// A selected operation that is destroyed without being
// completed is *abandoned*, with the outcome SPEC R34 defines: a receive's message is destroyed
// (as if received and dropped), a send sends nothing and releases what it had claimed; never a
// hang, a leak or a lost slot. Complete a selected send promptly: until then, a rendezvous
// partner waits for it, and a bounded channel's blocking receivers wait at its claimed slot.
//
// Memory: the operations live inside the selector (in an arena of `inline_bytes`) while they
// fit, which holds four receive operations of small messages; only beyond that does adding one
// allocate. A selector is not copyable. It is movable, so that a function can build and return
// one: other threads hold the addresses of its operations only while it selects or while a
// selected operation is pending, so a move rebuilds the operations (same indices, same order,
// same mode) in the destination and leaves the source empty: no operations, its mode kept,
// usable again as if newly made. Moving a selector whose selected operation is pending throws
// std::logic_error and changes neither; a move assignment first abandons the destination's own
// pending operation (as its destruction would, R34). A move takes both selectors' single-user
// marks (R39), so it cannot overlap a member call on either from another thread.
//
// The handles passed to recv() and send() must outlive the selector's use of them (as for
// std::span); the selector does not copy them, so that it never keeps a channel connected. A
// temporary handle would be gone at the end of the statement that adds it: recv() and send() of
// an rvalue handle are deleted, and do not compile.
//
// A selector is used by one thread at a time. Every member that adds, removes or selects marks
// the selector in use while it runs (detail::single_user, select_loop.hpp: one uncontended
// exchange on entry and one plain store on exit); a second thread that calls one of them
// meanwhile gets std::logic_error and changes nothing (R39). The selected operation is not
// covered: complete it on the thread that uses the selector, or hand both over together.
#pragma once

#include "rill/channel.hpp"
#include "rill/detail/select_binding.hpp"
#include "rill/detail/select_loop.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/selector_storage.hpp"
#include "rill/errors.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace rill {

/// Why a try_ or timed selection found nothing.
enum class select_error : std::uint8_t {
  would_block,  ///< try_select / try_ready: no operation was ready.
  timeout,      ///< the deadline passed first.
};

constexpr std::string_view to_string(select_error reason) noexcept {
  return reason == select_error::would_block ? "would_block" : "timeout";
}

class selector;

/// An operation chosen by a selector: ready and committed, to be completed exactly once with
/// recv() or send(), or abandoned by destroying it (R33, R34). Movable, not copyable.
class selected_operation {
 public:
  selected_operation(selected_operation&& other) noexcept;
  selected_operation& operator=(selected_operation&& other) noexcept;
  selected_operation(const selected_operation&) = delete;
  selected_operation& operator=(const selected_operation&) = delete;
  ~selected_operation() { abandon(); }

  /// The index that recv() or send() returned when the operation was added.
  [[nodiscard]] std::size_t index() const noexcept { return index_; }

  /// Completes a selected receive; `source` must be a handle of the selected operation's channel.
  template <class T>
  recv_result<T> recv(const receiver<T>& source);

  /// Completes a selected send with `message` (moved; the const& overload copies it);
  /// `target` must be a handle of its channel. The message is taken only if the send goes ahead:
  /// a call that throws (another channel's handle, an empty one, completed already) leaves it as
  /// it was. T is the sender's: the message converts to it (`send(tx_u32, 124)`).
  template <class T>
  send_result<T> send(const sender<T>& target, std::type_identity_t<T>&& message);
  template <class T>
    requires std::is_copy_constructible_v<T>
  send_result<T> send(const sender<T>& target, const std::type_identity_t<T>& message);

  /// The same with the Rust-shaped handles of rill/mpsc.hpp.
  template <class T>
  recv_result<T> recv(const mpsc::receiver<T>& source) {
    return recv(detail::rill_handle(source));
  }
  template <class T>
  send_result<T> send(const mpsc::sender<T>& target, std::type_identity_t<T>&& message) {
    return send(detail::rill_handle(target), std::move(message));
  }
  template <class T>
    requires std::is_copy_constructible_v<T>
  send_result<T> send(const mpsc::sender<T>& target, const std::type_identity_t<T>& message) {
    return send(detail::rill_handle(target), message);
  }

  /// Abandons the operation now (R34); afterwards it can no longer be completed.
  void abandon() noexcept;

 private:
  friend class selector;
  struct key {
    explicit key() = default;
  };

 public:
  /// Made only by selector (the key is private), in place, so that it never moves on the way.
  selected_operation(key, selector* owner, std::size_t index) noexcept;

 private:
  detail::operation& checked(const void* identity, bool is_send, const char* caller) const;

  selector* owner_ = nullptr;  // null once completed, abandoned or moved from
  std::size_t index_ = 0;
};

/// Selection over a set of send and receive operations. Unbiased by default (a uniformly random
/// ready operation, R31); selector::biased() prefers the lowest index.
class selector {
 public:
  selector() = default;
  selector(const selector&) = delete;
  selector& operator=(const selector&) = delete;

  /// Takes `other`'s operations (the same indices) and mode; `other` is left with no operations
  /// and its mode, usable again. Throws std::logic_error, changing nothing, if `other` has a
  /// selected operation pending or another thread is inside one of its members (R39), and
  /// std::bad_alloc if the operations do not fit inline and cannot be allocated.
  // NOLINTNEXTLINE(performance-noexcept-move-constructor,bugprone-exception-escape): throws by design (above)
  selector(selector&& other) : mode_(other.mode_) {
    const detail::single_user source(other.in_use_, "selector(selector&&)");
    take(other);
  }

  /// Abandons this selector's pending selected operation, if any (R34), drops its operations and
  /// takes `other`'s, as the move constructor does. If `other` has a pending operation, or
  /// another thread is inside a member of either selector, throws std::logic_error and changes
  /// neither. If allocation fails, throws std::bad_alloc; this selector is then left empty.
  // NOLINTNEXTLINE(performance-noexcept-move-constructor,bugprone-exception-escape): throws by design (above)
  selector& operator=(selector&& other) {
    if (this == &other) return *this;
    const detail::single_user target(in_use_, "operator=");
    const detail::single_user source(other.in_use_, "operator=");
    check_movable(other);
    if (pending_ != nullptr) pending_->abandon();
    clear();
    mode_ = other.mode_;
    take(other);
    return *this;
  }

  ~selector() {
    if (pending_ != nullptr) pending_->abandon();
    for (entry* added : entries_) added->~entry();  // the arena frees the memory
  }

  /// A selector that, of several ready operations, picks the one added first. (Returned as a
  /// prvalue: `auto s = rill::selector::biased();` constructs in place, no move is involved.)
  static selector biased() { return selector(detail::select_order::biased); }

  /// Bytes of operations a selector holds without allocating.
  static constexpr std::size_t inline_bytes = 1280;

  /// Adds a receive operation; returns its index. Throws rill::empty_handle_error for an empty
  /// handle (R22).
  template <class T>
  std::size_t recv(const receiver<T>& source) {
    const detail::single_user scope(in_use_, "recv");
    return add<typed_entry<T>>(
        [&](typed_entry<T>& added) { detail::bind_receive(added.op, source, added.result, "selector::recv"); });
  }

  /// Adds a send operation; returns its index.
  template <class T>
  std::size_t send(const sender<T>& target) {
    const detail::single_user scope(in_use_, "send");
    return add<entry>([&](entry& added) { detail::bind_send(added.op, target, "selector::send"); });
  }

  /// The same for the Rust-shaped handles of rill/mpsc.hpp: the selector refers to the rill handle
  /// inside, so the mpsc handle must outlive the selector's use of it.
  template <class T>
  std::size_t recv(const mpsc::receiver<T>& source) {
    return recv(detail::rill_handle(source));
  }
  template <class T>
  std::size_t send(const mpsc::sender<T>& target) {
    return send(detail::rill_handle(target));
  }

  // A temporary handle dies at the end of the statement that adds it, and the selector refers to it:
  template <class T>
  std::size_t recv(receiver<T>&&) = delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t recv(const receiver<T>&&) = delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t send(sender<T>&&) = delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t send(const sender<T>&&) = delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t recv(mpsc::receiver<T>&&) = delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t recv(const mpsc::receiver<T>&&) =
      delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t send(mpsc::sender<T>&&) = delete;  // rill::selector: a temporary handle would dangle; add a named one
  template <class T>
  std::size_t send(const mpsc::sender<T>&&) =
      delete;  // rill::selector: a temporary handle would dangle; add a named one

  /// Removes operation `index` from later selections (for example a disconnected channel that
  /// would otherwise keep being selected). Indices of the others do not change.
  void remove(std::size_t index) {
    const detail::single_user scope(in_use_, "remove");
    if (index >= entries_.size() || entries_[index]->op.removed) {
      throw std::out_of_range("rill::selector::remove: no operation " + std::to_string(index));
    }
    entries_[index]->op.removed = true;
  }

  /// Blocks until an operation is ready; returns it, committed (R30).
  selected_operation select() {
    const detail::single_user scope(in_use_, "select");
    return selected_operation(selected_operation::key{}, this, choose(std::nullopt, true, "select").index);
  }
  std::expected<selected_operation, select_error> try_select() { return run(std::nullopt, false, "try_select"); }
  template <class Rep, class Period>
  std::expected<selected_operation, select_error> select_for(std::chrono::duration<Rep, Period> timeout) {
    return run(detail::sync::deadline_after(timeout), true, "select_for");
  }
  template <class Clock, class Duration>
  std::expected<selected_operation, select_error> select_until(std::chrono::time_point<Clock, Duration> deadline) {
    return run(detail::sync::deadline_at(deadline), true, "select_until");
  }

  /// Blocks until an operation is ready and returns its index, starting no operation (R36): a
  /// later operation on that channel may still find it taken by another thread.
  std::size_t ready() { return *run_ready(std::nullopt, true, "ready"); }
  std::expected<std::size_t, select_error> try_ready() { return run_ready(std::nullopt, false, "try_ready"); }
  template <class Rep, class Period>
  std::expected<std::size_t, select_error> ready_for(std::chrono::duration<Rep, Period> timeout) {
    return run_ready(detail::sync::deadline_after(timeout), true, "ready_for");
  }
  template <class Clock, class Duration>
  std::expected<std::size_t, select_error> ready_until(std::chrono::time_point<Clock, Duration> deadline) {
    return run_ready(detail::sync::deadline_at(deadline), true, "ready_until");
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  friend class selected_operation;

  using arena_type = detail::bump_arena<inline_bytes>;

  struct entry {
    virtual ~entry() = default;
    virtual void discard_result() noexcept {}
    /// A new entry in `arena`, bound to the same channel and direction as this one (at rest: no
    /// selection under way, nothing pending).
    virtual entry* copy_into(arena_type& arena) const {
      return bind_copy(::new (arena.allocate(sizeof(entry), alignof(entry))) entry);
    }
    entry* bind_copy(entry* copy) const noexcept {
      copy->op.table = op.table;
      copy->op.channel = op.channel;
      copy->op.identity = op.identity;
      copy->op.removed = op.removed;
      return copy;
    }
    detail::operation op;
  };
  template <class T>
  struct typed_entry final : entry {
    void discard_result() noexcept override { result = std::unexpected(recv_error::empty); }
    entry* copy_into(arena_type& arena) const override {
      auto* copy = ::new (arena.allocate(sizeof(typed_entry), alignof(typed_entry))) typed_entry;
      copy->op.result = &copy->result;
      return bind_copy(copy);
    }
    recv_result<T> result{std::unexpect, recv_error::empty};
  };

  explicit selector(detail::select_order mode) : mode_(mode) {}

  static void check_movable(const selector& other) {
    if (other.pending_ != nullptr) {
      throw std::logic_error(
          "rill::selector: cannot move a selector whose selected operation has not been completed or abandoned");
    }
  }

  /// Destroys every operation and returns the arena to its inline storage. No operation may be
  /// pending or selecting.
  void clear() noexcept {
    for (entry* added : entries_) added->~entry();
    entries_.clear();
    operations_.clear();
    order_.clear();
    arena_.release();
  }

  /// Rebuilds `other`'s operations here (this selector has none), then empties `other`. If an
  /// allocation throws, this selector is left empty and `other` as it was. Both selectors'
  /// single-user marks are held by the caller (or this one is being constructed).
  void take(selector& other) {
    check_movable(other);
    try {
      entries_.reserve(other.entries_.size());
      operations_.reserve(other.entries_.size());
      order_.reserve(other.entries_.size());
      for (const entry* added : other.entries_) {
        entry* copy = added->copy_into(arena_);
        entries_.push_back(copy);  // reserved: does not throw
        operations_.push_back(&copy->op);
        order_.push_back(0);
      }
    } catch (...) {
      clear();
      throw;
    }
    other.clear();
  }

  /// Constructs an entry in the arena, binds it to its channel and appends it; returns its index.
  /// Entries are never freed one by one: the selector only adds them, and the arena releases
  /// everything when the selector goes. If binding (an empty handle, R22) or appending throws,
  /// the entry is destroyed and the selector is as it was.
  template <class Entry, class Bind>
  std::size_t add(Bind bind) {
    // Room first (std::bad_alloc leaves the selector as it was; the containers keep what they
    // reserved), then the entry; binding throws for an empty handle (R22).
    entries_.reserve(entries_.size() + 1);
    operations_.reserve(entries_.size() + 1);
    order_.reserve(entries_.size() + 1);
    // Default-initialized (`Entry`, not `Entry()`): every member of an entry and its operation has
    // a default member initializer, so this sets each one; `Entry()` would first zero all of its
    // 200-odd bytes (value-initialization of a class whose constructor is not user-provided), a
    // block store that was a quarter of the cost of making a selector of four receives.
    Entry* added = ::new (arena_.allocate(sizeof(Entry), alignof(Entry))) Entry;
    try {
      bind(*added);
    } catch (...) {
      added->~entry();
      arena_.unallocate_last(added, sizeof(Entry));
      throw;
    }
    operations_.push_back(&added->op);
    order_.push_back(0);
    entries_.push_back(added);
    return entries_.size() - 1;
  }

  detail::select_outcome choose(const detail::sync::deadline& deadline, bool blocking, const char* caller) {
    if (pending_ != nullptr) {
      throw std::logic_error(std::string("rill::selector::") + caller +
                             ": the previously selected operation has not been completed or abandoned");
    }
    return detail::run_select(operations_.items(), order_.items(), deadline, blocking, mode_);
  }

  std::expected<selected_operation, select_error> run(const detail::sync::deadline& deadline, bool blocking,
                                                      const char* caller) {
    const detail::single_user scope(in_use_, caller);
    const detail::select_outcome outcome = choose(deadline, blocking, caller);
    switch (outcome.status) {
      case detail::select_outcome::selected: break;
      case detail::select_outcome::would_block: return std::unexpected(select_error::would_block);
      case detail::select_outcome::timed_out: return std::unexpected(select_error::timeout);
    }
    return std::expected<selected_operation, select_error>(std::in_place, selected_operation::key{}, this,
                                                           outcome.index);
  }

  std::expected<std::size_t, select_error> run_ready(const detail::sync::deadline& deadline, bool blocking,
                                                     const char* caller) {
    const detail::single_user scope(in_use_, caller);
    const detail::select_outcome outcome =
        detail::run_ready(operations_.items(), order_.items(), deadline, blocking, mode_);
    switch (outcome.status) {
      case detail::select_outcome::selected: return outcome.index;
      case detail::select_outcome::would_block: return std::unexpected(select_error::would_block);
      case detail::select_outcome::timed_out: break;
    }
    return std::unexpected(select_error::timeout);
  }

  // The operations (detail/selector_storage.hpp), and three arrays over them of which the first
  // `inline_operations` entries live inside the selector: the entries, their operations and the
  // selection order (what the select loop takes).
  static constexpr std::size_t inline_operations = 8;
  arena_type arena_;
  detail::small_vector<entry*, inline_operations> entries_;
  detail::small_vector<detail::operation*, inline_operations> operations_;
  detail::small_vector<std::size_t, inline_operations> order_;
  detail::select_order mode_ = detail::select_order::unbiased;
  selected_operation* pending_ = nullptr;     // the selected operation not yet completed
  detail::sync::atomic<bool> in_use_{false};  // a member call is running (detail::single_user)
};

inline selected_operation::selected_operation(key, selector* owner, std::size_t index) noexcept
    : owner_(owner), index_(index) {
  owner_->pending_ = this;
}

inline selected_operation::selected_operation(selected_operation&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), index_(other.index_) {
  if (owner_ != nullptr) owner_->pending_ = this;
}

inline selected_operation& selected_operation::operator=(selected_operation&& other) noexcept {
  if (this != &other) {
    abandon();
    owner_ = std::exchange(other.owner_, nullptr);
    index_ = other.index_;
    if (owner_ != nullptr) owner_->pending_ = this;
  }
  return *this;
}

inline void selected_operation::abandon() noexcept {
  if (owner_ == nullptr) return;
  auto& chosen = *owner_->entries_[index_];
  chosen.op.table->abandon(chosen.op);
  chosen.discard_result();  // a receive's message is destroyed, as if received and dropped
  owner_->pending_ = nullptr;
  owner_ = nullptr;
}

inline detail::operation& selected_operation::checked(const void* identity, bool is_send, const char* caller) const {
  if (owner_ == nullptr) {
    throw std::logic_error(std::string("rill::selected_operation::") + caller +
                           ": the operation was already completed or abandoned (or moved from)");
  }
  detail::operation& op = owner_->entries_[index_]->op;
  if (op.table->is_send != is_send) {
    throw std::logic_error(std::string("rill::selected_operation::") + caller + ": operation " +
                           std::to_string(index_) + " is a " + (op.table->is_send ? "send" : "receive"));
  }
  if (identity != op.identity) {
    throw std::logic_error(std::string("rill::selected_operation::") + caller +
                           ": the handle refers to a different channel from the selected operation's");
  }
  return op;
}

template <class T>
recv_result<T> selected_operation::recv(const receiver<T>& source) {
  if (!source.valid()) throw empty_handle_error("selected_operation::recv");
  checked(detail::identity_of(detail::channel_access<T>::ref_of(source)), false, "recv");
  auto& chosen = static_cast<selector::typed_entry<T>&>(*owner_->entries_[index_]);
  recv_result<T> message = std::move(chosen.result);
  chosen.result = std::unexpected(recv_error::empty);
  owner_->pending_ = nullptr;
  owner_ = nullptr;
  return message;
}

template <class T>
send_result<T> selected_operation::send(const sender<T>& target, std::type_identity_t<T>&& message) {
  if (!target.valid()) throw empty_handle_error("selected_operation::send");
  detail::operation& op = checked(detail::identity_of(detail::channel_access<T>::ref_of(target)), true, "send");
  owner_->pending_ = nullptr;
  owner_ = nullptr;
  return detail::complete_send(op, target, std::move(message));
}

template <class T>
  requires std::is_copy_constructible_v<T>
send_result<T> selected_operation::send(const sender<T>& target, const std::type_identity_t<T>& message) {
  if (!target.valid()) throw empty_handle_error("selected_operation::send");
  (void)checked(detail::identity_of(detail::channel_access<T>::ref_of(target)), true, "send");
  T copy(message);  // if the copy throws, the operation is still selected, to complete or abandon
  return send(target, std::move(copy));
}

}  // namespace rill
