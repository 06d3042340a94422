// rill/detail/list_flavor.hpp - the unbounded channel (SPEC R1, R24).
//
// Algorithm
// ---------
// A segmented queue in the form crossbeam-channel uses: messages live in a linked list of
// blocks of `block_capacity` (31, RILL_LIST_BLOCK_CAPACITY below) slots. Two positions, `head`
// (receivers) and `tail` (senders), each hold an index and the block that index falls in. An
// index counts slots, shifted left by `shift` (1) to make room for a flag bit:
//
//     index = (lap * lap_size + offset) << shift | flag        lap_size = 32, offset in 0..31
//
// Offset 31 is never a real slot: it means "this block is used up, the next block is being
// installed"; the thread that claims offset 30 allocates and installs the next block and moves
// the position to offset 0 of it. The flag is `mark_bit`: in `tail` it means disconnected; in
// `head` it means "the head block has a successor", which lets a receiver skip a load of `tail`.
//
// Each slot has a `state` with three bits: write (the message is in the cell), read (a receiver
// has moved it out) and destroy (the block is being freed and this slot's reader must continue
// the freeing). A block is freed by the reader of its last slot, or by whichever reader is the
// last to finish in it: no epochs, no hazard pointers.
//
// The first block is installed lazily by the first sender, in two steps (tail.block, then
// head.block). The release of the last receiver, racing that install, caused three successive
// bugs in crossbeam-channel (KB1 null head walked, KB2 leak, KB3 double free); see
// discard_all_messages() for how each is avoided.
//
// Linearisation points
// --------------------
//   send succeeds          the compare-exchange on tail.index (L4)
//   send sees disconnect   the load of tail.index (L1) showing mark_bit
//   recv succeeds          the compare-exchange on head.index (L9)
//   recv sees empty        the load of tail.index (L8) equal to head, without mark
//   recv sees disconnect   the same load, equal to head, with mark_bit (drained first: R7)
//   disconnect             the fetch_or of mark_bit into tail.index (L13)
//
// Progress
// --------
// try_send and try_recv never park. They retry lost compare-exchanges, and may snooze while
// another thread finishes a step it has started: installing the next block (L3/L5), or writing
// a slot this receiver has claimed (L11). Each is a bounded number of that thread's
// instructions, plus one allocation for a block install (SPEC R19, KB8). send never blocks
// (the channel is unbounded) except to wait for such a step; it fails with out_of_memory when a
// block cannot be allocated, before claiming anything (R24).
//
// Model-checking scenarios: verify/relacy/ (list_*).
#pragma once

#include "rill/detail/blocking_wait.hpp"
#include "rill/detail/context.hpp"
#include "rill/detail/message_cell.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <utility>

// Messages per block. 31 in every build users make (a block of 8-byte messages then fills about
// half a kilobyte). The model-checking build sets it to 3, so that a scenario of a handful of
// messages crosses block boundaries (installing the next block, freeing the previous one): the
// code paths are the same, only the constant differs. Any value of at least 2 works: a lap is
// capacity + 1 offsets, and no arithmetic on indices assumes that is a power of two
// (tests/unit/list_block_test.cpp checks the queries with capacities 4, 5 and 31).
#ifndef RILL_LIST_BLOCK_CAPACITY
#define RILL_LIST_BLOCK_CAPACITY 31
#endif

namespace rill::detail {

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace list_order {
// (L1) acquire: the tail index and block are read together; acquire pairs with the release
//      stores (L5) of a sender that installed the next block, so the block pointer read after
//      this load is at least as new as the index.
inline constexpr sync::ordering tail_observe = sync::ordering_site("list.tail_observe", std::memory_order_acquire);  // (L1)
// (L2) release: installing the first block publishes its constructed slots to the senders and
//      receivers that acquire tail.block / head.block (L1, L7).
inline constexpr sync::ordering first_block_publish = sync::ordering_site("list.first_block_publish", std::memory_order_release);  // (L2)
// (L3) relaxed on a failed install: the loser frees its own unused block and reloads tail.index
//      and tail.block with (L1) before it touches the winner's block, so this failure load
//      carries nothing: the loser relies on that reload, not on this load, so nothing is
//      ordered by it (no Relacy scenario tells relaxed from acquire here).
inline constexpr sync::ordering first_block_lost = sync::ordering_site("list.first_block_lost", std::memory_order_relaxed);  // (L3)
// (L4) seq_cst: claiming a slot is the X of the waker store-load pattern (waker.hpp) for blocked
//      receivers; failure acquire, as (L1).
inline constexpr sync::ordering claim_tail = sync::ordering_site("list.claim_tail", std::memory_order_seq_cst);  // (L4)
// (L5) release: installing the next block (tail.block, tail.index, block.next) publishes the new
//      block's constructed slots to the acquire loads (L1), (L7) and (L12).
inline constexpr sync::ordering next_block_publish = sync::ordering_site("list.next_block_publish", std::memory_order_release);  // (L5)
// (L6) release: the write bit publishes the message in the cell to the reader's acquire (L11).
inline constexpr sync::ordering write_publish = sync::ordering_site("list.write_publish", std::memory_order_release);  // (L6)
// (L7) acquire: head index and block, read together; pairs with (L10) of the receiver that
//      moved head to the next block, and with (L2).
inline constexpr sync::ordering head_observe = sync::ordering_site("list.head_observe", std::memory_order_acquire);  // (L7)
// (L8) acquire: the tail load in recv's empty/disconnected check. When it reads mark_bit it
//      synchronises-with the disconnect (L13), so what preceded the last sender's release or
//      close() happens-before "disconnected" (R16, KB7). The seq_cst fence before it (L8f)
//      cannot do that for it: a fence lends acquire semantics only to loads sequenced before it.
inline constexpr sync::ordering tail_in_empty_check = sync::ordering_site("list.tail_in_empty_check", std::memory_order_acquire);  // (L8)
// (L8f) seq_cst fence: puts the empty check into the single total order S of seq_cst operations
//      and fences: the tail load (L8) after it reads a tail at least as new as every seq_cst
//      change of tail (a claim (L4), the disconnect (L13)) that precedes the fence in S
//      ([atomics.order] p4). Keeping (L8) after the head load needs no fence: (L7) is an acquire
//      load. Stronger than SPEC needs, for the reason given at array.empty_fence (A10).
inline constexpr sync::ordering empty_fence = sync::ordering_site("list.empty_fence", std::memory_order_seq_cst);  // (L8f)
// (L9) seq_cst: claiming a message. Stronger than needed: in the array flavor the claim is the
//      X of the waker pattern for blocked senders, but list senders never block, so nothing
//      pairs with it here; kept seq_cst so both flavors read alike (the mutation bank shows
//      acq_rel passes every scenario: verify/mutation/stronger_than_needed.txt).
inline constexpr sync::ordering claim_head = sync::ordering_site("list.claim_head", std::memory_order_seq_cst);  // (L9)
// (L10) release: moving head to the next block publishes it to the acquire loads (L7).
inline constexpr sync::ordering head_advance = sync::ordering_site("list.head_advance", std::memory_order_release);  // (L10)
// (L11) acquire: the reader waits for the write bit; synchronises-with (L6).
inline constexpr sync::ordering write_observe = sync::ordering_site("list.write_observe", std::memory_order_acquire);  // (L11)
// (L12) acquire: reading block.next; synchronises-with (L5).
inline constexpr sync::ordering next_observe = sync::ordering_site("list.next_observe", std::memory_order_acquire);  // (L12)
// (L13) seq_cst: disconnection; its release half pairs with (L8). Stronger than SPEC needs,
//      for the reason given at array.disconnect (A11).
inline constexpr sync::ordering disconnect = sync::ordering_site("list.disconnect", std::memory_order_seq_cst);  // (L13)
// (L14) acq_rel: the read and destroy bits. Release: a reader's move out of its cell happens
//      before the destroyer frees the block; acquire: the destroyer (or the last reader) sees
//      every earlier reader's release before freeing.
inline constexpr sync::ordering reader_done = sync::ordering_site("list.reader_done", std::memory_order_acq_rel);  // (L14)
// (L17) acquire: the destroyer's look at a slot's read bit before it frees the block;
//      synchronises-with that reader's (L14) release, so the reader's move out of its cell
//      happens-before the free. (When the bit is not there yet, the destroyer's own (L14)
//      fetch_or decides who frees.)
inline constexpr sync::ordering read_observe = sync::ordering_site("list.read_observe", std::memory_order_acquire);  // (L17)
// (L15) seq_cst snapshot loads for size/empty and blocked receivers' re-check (Y of the pattern).
inline constexpr sync::ordering snapshot = sync::ordering_site("list.snapshot", std::memory_order_seq_cst);  // (L15)
// (L16) acquire: discard takes the head block away from the channel; that the exchange is one
//      atomic step is what gives the block exactly one owner (KB3). Acquire pairs with the
//      installer's (L2), so the block is seen constructed even when no claim of the tail says
//      so yet. No release half: nobody reads head.block after discard but the destructor, which
//      is ordered after it by the handle counts (K2, K3), so a release half would have no
//      reader to serve.
inline constexpr sync::ordering take_head_block = sync::ordering_site("list.take_head_block", std::memory_order_acquire);  // (L16)
}  // namespace list_order
// clang-format on

template <class T>
class list_flavor {
 public:
  using message_type = T;

 private:
  static constexpr std::size_t shift = 1;
  static constexpr std::size_t mark_bit = 1;
  static constexpr std::size_t block_capacity = RILL_LIST_BLOCK_CAPACITY;
  static constexpr std::size_t lap_size = block_capacity + 1;
  static_assert(block_capacity >= 2, "RILL_LIST_BLOCK_CAPACITY must be at least 2");
  static constexpr std::size_t unit = std::size_t(1) << shift;

  static constexpr std::size_t write_bit = 1;
  static constexpr std::size_t read_bit = 2;
  static constexpr std::size_t destroy_bit = 4;

  struct slot {
    sync::atomic<std::size_t> state{0};
    message_cell<T> message;

    void wait_write() {
      sync::backoff backoff;
      while ((state.load(list_order::write_observe) & write_bit) == 0) backoff.snooze();
    }
  };

  struct block {
    sync::atomic<block*> next{nullptr};
    slot slots[block_capacity];
    // A block is constructed (its atomics initialised, which is not an atomic operation) by the
    // thread that allocates it, and then used by others that reach it through a pointer (tail,
    // head, next). Each use first calls is_constructed(): under Relacy that is a read of a plain
    // variable the constructor wrote, so a block reached without happens-before from its
    // construction is reported as a data race (the edges L2, L3, L5, L7, L12 are what provide
    // it). Empty in production.
    [[no_unique_address]] sync::race_marker constructed;

    block() { constructed.mark_write(); }

    void is_constructed() const { constructed.mark_read(); }

    block* wait_next() {
      sync::backoff backoff;
      for (;;) {
        if (block* successor = next.load(list_order::next_observe); successor != nullptr) {
          successor->is_constructed();
          return successor;
        }
        backoff.snooze();
      }
    }
  };

  struct position {
    sync::atomic<std::size_t> index{0};
    sync::atomic<block*> current{nullptr};
  };

  struct token {
    block* claimed = nullptr;  // set only by a claim that returns claim::claimed (disconnection is claim::disconnected)
    std::size_t offset = 0;
  };

  enum class claim { claimed, disconnected, unavailable, out_of_memory };

 public:
  list_flavor() = default;
  list_flavor(const list_flavor&) = delete;
  list_flavor& operator=(const list_flavor&) = delete;

  /// Runs when the last handle is gone: no other thread can touch the channel.
  ~list_flavor() {
    std::size_t head = head_.index.load(list_order::head_observe) & ~mark_bit;
    const std::size_t tail = tail_.index.load(list_order::tail_observe) & ~mark_bit;
    block* current = head_.current.load(list_order::head_observe);
    while (head != tail) {
      const std::size_t offset = (head >> shift) % lap_size;
      if (offset < block_capacity) {
        current->slots[offset].message.destroy();
      } else {
        block* successor = current->next.load(list_order::next_observe);
        destroy_block_storage(current);
        current = successor;
      }
      head += unit;
    }
    if (current != nullptr) destroy_block_storage(current);
  }

  send_result<T> try_send(T&& message) { return send(std::move(message), std::nullopt); }

  send_result<T> send(T&& message, const sync::deadline&) {
    token claimed;
    switch (start_send(claimed)) {
      case claim::claimed: break;
      case claim::disconnected: return failed_send(send_errc::disconnected, message);
      case claim::out_of_memory:
      case claim::unavailable: return failed_send(send_errc::out_of_memory, message);
    }
    slot& target = claimed.claimed->slots[claimed.offset];
    target.message.write(std::move(message));
    target.state.fetch_or(write_bit, list_order::write_publish);
    receivers_.notify();
    return {};
  }

  recv_result<T> try_recv() {
    token claimed;
    switch (start_recv(claimed)) {
      case claim::claimed: return read(claimed);
      case claim::disconnected: return std::unexpected(recv_error::disconnected);
      default: return std::unexpected(recv_error::empty);
    }
  }

  recv_result<T> recv(const sync::deadline& deadline) {
    token claimed;
    claim outcome = claim::unavailable;
    const bool done = wait_until_done(
        deadline, [&] { return (outcome = start_recv(claimed)) != claim::unavailable; },
        [&](waiter& entry) { receivers_.register_waiter(entry); },
        // (Y) of the waker pattern: a message (or a disconnect) since the last attempt?
        [&] { return !is_empty() || is_disconnected(); }, [&](waiter& entry) { receivers_.unregister(entry); });
    if (!done) return std::unexpected(recv_error::timeout);
    if (outcome == claim::claimed) return read(claimed);
    return std::unexpected(recv_error::disconnected);
  }

  [[nodiscard]] std::size_t size() const {
    for (;;) {
      std::size_t tail = tail_.index.load(list_order::snapshot);
      std::size_t head = head_.index.load(list_order::snapshot);
      if (tail_.index.load(list_order::snapshot) != tail) continue;  // not a consistent pair
      tail &= ~mark_bit;
      head &= ~mark_bit;
      // The last offset of a lap (block_capacity) is no slot: count it as the start of the next
      // block. A remainder, not a mask: lap_size need not be a power of two.
      if ((tail >> shift) % lap_size == block_capacity) tail += unit;
      if ((head >> shift) % lap_size == block_capacity) head += unit;
      // Rebase both on head's lap, then subtract the one non-slot per lap between them.
      const std::size_t lap = (head >> shift) / lap_size;
      tail = (tail - ((lap * lap_size) << shift)) >> shift;
      head = (head - ((lap * lap_size) << shift)) >> shift;
      return tail - tail / lap_size - head;
    }
  }

  [[nodiscard]] bool is_empty() const {
    const std::size_t head = head_.index.load(list_order::snapshot);
    const std::size_t tail = tail_.index.load(list_order::snapshot);
    return (head >> shift) == (tail >> shift);
  }

  [[nodiscard]] bool is_disconnected() const { return (tail_.index.load(list_order::snapshot) & mark_bit) != 0; }

  /// Head and tail only grow (the mark bit included), so equal readings mean neither moved: a
  /// receive that found the channel empty in between found it empty throughout. A send is
  /// always ready.
  readiness_version readiness() const {
    const std::size_t head = head_.index.load(list_order::snapshot);
    const std::size_t tail = tail_.index.load(list_order::snapshot);
    return {{head, tail, 0, 0}, true};
  }

  /// Marks the channel disconnected and wakes blocked receivers. True if this call did it.
  bool disconnect() {
    const std::size_t tail = tail_.index.fetch_or(mark_bit, list_order::disconnect);
    if ((tail & mark_bit) != 0) return false;
    receivers_.disconnect();
    return true;
  }

  /// The last receiver is gone: disconnect and destroy every buffered message now (R11, KB6).
  void disconnect_receivers() {
    disconnect();
    discard_all_messages();
  }

  // --- select (select_operation.hpp) -------------------------------------------------------
  // A send never waits for room, so a select send is always ready and claims nothing: the send
  // itself happens when the selected operation is completed (its linearisation point is then
  // that send's, L4), and an abandoned one leaves no trace (R34). It can still report
  // `disconnected` (a disconnection after the selection) or `out_of_memory` on completion.
  // A select receive claims and reads at once.

  bool select_try_send(select_token& committed) {
    committed.disconnected = is_disconnected();
    return true;
  }
  bool select_register_send(waiter&) { return true; }
  void select_unregister_send(waiter&) {}
  bool select_accept_send(waiter&, select_token& committed) { return select_try_send(committed); }
  send_result<T> select_write(select_token& committed, T&& message) {
    if (committed.disconnected) return failed_send(send_errc::disconnected, message);
    return send(std::move(message), std::nullopt);
  }
  void select_abandon_send(select_token&) {}

  bool select_try_recv(select_token&, recv_result<T>& result) { return keep_unless_empty(try_recv(), result); }
  bool select_register_recv(waiter& entry, recv_result<T>&) {
    receivers_.register_waiter(entry);
    return !is_empty() || is_disconnected();  // (Y) of the waker pattern
  }
  void select_unregister_recv(waiter& entry) { receivers_.unregister(entry); }
  bool select_accept_recv(waiter&, select_token& committed, recv_result<T>& result) {
    return select_try_recv(committed, result);
  }

  bool is_send_ready() const { return true; }
  bool is_recv_ready() const { return !is_empty() || is_disconnected(); }
  bool watch_send(waiter&) { return true; }
  void unwatch_send(waiter&) {}
  bool watch_recv(waiter& entry) {
    receivers_.register_observer(entry);
    return is_recv_ready();
  }
  void unwatch_recv(waiter& entry) { receivers_.unregister(entry); }

 private:
  static block* create_block() {
    void* memory = sync::allocate_bytes(sizeof(block), alignof(block));
    if (memory == nullptr) return nullptr;
    return ::new (memory) block();
  }

  static void destroy_block_storage(block* target) {
    target->~block();
    sync::deallocate_bytes(target, sizeof(block), alignof(block));
  }

  /// Frees `target` unless a reader of a slot from `start` on is still busy in it; that reader
  /// sees destroy_bit when it finishes and continues from its own slot.
  static void destroy_block(block* target, std::size_t start) {
    // The last slot's reader starts destruction, so it is not checked here.
    for (std::size_t i = start; i + 1 < block_capacity; ++i) {
      slot& current = target->slots[i];
      // A read bit seen here, by (L17), orders that reader's move out of its cell before the free.
      if ((current.state.load(list_order::read_observe) & read_bit) == 0 &&
          (current.state.fetch_or(destroy_bit, list_order::reader_done) & read_bit) == 0) {
        return;  // that slot's reader is still at work; it will free the block
      }
    }
    destroy_block_storage(target);
  }

  claim start_send(token& claimed) {
    sync::backoff backoff;
    std::size_t tail = tail_.index.load(list_order::tail_observe);
    block* current = tail_.current.load(list_order::tail_observe);
    block* next_block = nullptr;
    struct release_unused {
      block*& pending;
      ~release_unused() {
        if (pending != nullptr) destroy_block_storage(pending);
      }
    } guard{next_block};

    for (;;) {
      if ((tail & mark_bit) != 0) return claim::disconnected;
      const std::size_t offset = (tail >> shift) % lap_size;
      if (offset == block_capacity) {
        // Another sender claimed the block's last slot and is installing the next block.
        backoff.snooze();
        tail = tail_.index.load(list_order::tail_observe);
        current = tail_.current.load(list_order::tail_observe);
        continue;
      }
      // About to claim the block's last slot: have the next block ready before claiming, so
      // that an allocation failure is reported before anything is claimed (R24).
      if (offset + 1 == block_capacity && next_block == nullptr) {
        next_block = create_block();
        if (next_block == nullptr) return claim::out_of_memory;
      }
      if (current == nullptr) {
        // The very first message: install the first block (step 1: tail.block).
        block* first = create_block();
        if (first == nullptr) return claim::out_of_memory;
        block* expected = nullptr;
        if (tail_.current.compare_exchange_strong(expected, first, list_order::first_block_publish,
                                                  list_order::first_block_lost)) {
          // Step 2: head.block. Between the two steps other senders may already claim slots in
          // `first` (KB1); receivers and discard_all_messages wait for this store.
          head_.current.store(first, list_order::first_block_publish);
          current = first;
        } else {
          destroy_block_storage(first);
          tail = tail_.index.load(list_order::tail_observe);
          current = tail_.current.load(list_order::tail_observe);
          continue;
        }
      }
      const std::size_t new_tail = tail + unit;
      if (tail_.index.compare_exchange_weak(tail, new_tail, list_order::claim_tail, list_order::tail_observe)) {
        current->is_constructed();
        if (offset + 1 == block_capacity) {
          // We took the last slot: install the next block and skip the non-slot offset.
          block* successor = next_block;
          next_block = nullptr;
          tail_.current.store(successor, list_order::next_block_publish);
          tail_.index.fetch_add(unit, list_order::next_block_publish);
          current->next.store(successor, list_order::next_block_publish);
        }
        claimed.claimed = current;
        claimed.offset = offset;
        return claim::claimed;
      }
      current = tail_.current.load(list_order::tail_observe);
      backoff.spin();
    }
  }

  claim start_recv(token& claimed) {
    sync::backoff backoff;
    std::size_t head = head_.index.load(list_order::head_observe);
    block* current = head_.current.load(list_order::head_observe);
    for (;;) {
      const std::size_t offset = (head >> shift) % lap_size;
      if (offset == block_capacity) {
        // Another receiver is moving head to the next block.
        backoff.snooze();
        head = head_.index.load(list_order::head_observe);
        current = head_.current.load(list_order::head_observe);
        continue;
      }
      std::size_t new_head = head + unit;
      if ((new_head & mark_bit) == 0) {
        // Not known whether the head block has a successor: compare with tail.
        sync::fence(list_order::empty_fence);
        const std::size_t tail = tail_.index.load(list_order::tail_in_empty_check);
        if ((head >> shift) == (tail >> shift)) {
          return (tail & mark_bit) != 0 ? claim::disconnected : claim::unavailable;
        }
        // Different blocks: remember that the head block has a successor.
        if ((head >> shift) / lap_size != (tail >> shift) / lap_size) new_head |= mark_bit;
      }
      if (current == nullptr) {
        // The first block is being installed (between its two steps): wait for it.
        backoff.snooze();
        head = head_.index.load(list_order::head_observe);
        current = head_.current.load(list_order::head_observe);
        continue;
      }
      if (head_.index.compare_exchange_weak(head, new_head, list_order::claim_head, list_order::head_observe)) {
        current->is_constructed();
        if (offset + 1 == block_capacity) {
          // We took the block's last slot: move head to the next block.
          block* successor = current->wait_next();
          std::size_t next_index = (new_head & ~mark_bit) + unit;
          if (successor->next.load(list_order::next_observe) != nullptr) next_index |= mark_bit;
          head_.current.store(successor, list_order::head_advance);
          head_.index.store(next_index, list_order::head_advance);
        }
        claimed.claimed = current;
        claimed.offset = offset;
        return claim::claimed;
      }
      current = head_.current.load(list_order::head_observe);
      backoff.spin();
    }
  }

  recv_result<T> read(token& claimed) {
    block* current = claimed.claimed;
    const std::size_t offset = claimed.offset;
    slot& source = current->slots[offset];
    source.wait_write();  // the sender claimed this slot before us and may still be writing it
    recv_result<T> message = source.message.take_result();
    if (offset + 1 == block_capacity) {
      destroy_block(current, 0);
    } else if ((source.state.fetch_or(read_bit, list_order::reader_done) & destroy_bit) != 0) {
      destroy_block(current, offset + 1);
    }
    return message;
  }

  /// Destroys every buffered message and frees the blocks. Called once, by the last receiver's
  /// release, after the mark bit is set: no receiver exists and no sender can claim a new slot.
  void discard_all_messages() {
    sync::backoff backoff;
    std::size_t tail = tail_.index.load(list_order::tail_observe);
    // A sender that claimed a block's last slot is still installing the next block: wait.
    while (((tail >> shift) % lap_size) == block_capacity) {
      backoff.snooze();
      tail = tail_.index.load(list_order::tail_observe);
    }
    std::size_t head = head_.index.load(list_order::head_observe);
    // Take the head block away from the channel (KB3): the destructor will not see it again.
    // A sender that installs the first block after this point stores it into head.block, and
    // the destructor frees it (KB2).
    block* current = head_.current.exchange(nullptr, list_order::take_head_block);
    if ((head >> shift) != (tail >> shift)) {
      // There are messages, so a first block exists or is being installed (KB1): wait for it.
      while (current == nullptr) {
        backoff.snooze();
        current = head_.current.exchange(nullptr, list_order::take_head_block);
      }
    }
    while ((head >> shift) != (tail >> shift)) {
      const std::size_t offset = (head >> shift) % lap_size;
      current->is_constructed();
      if (offset < block_capacity) {
        slot& buffered = current->slots[offset];
        buffered.wait_write();
        buffered.message.destroy();
      } else {
        block* successor = current->wait_next();
        destroy_block_storage(current);
        current = successor;
      }
      head += unit;
    }
    if (current != nullptr) {
      current->is_constructed();
      destroy_block_storage(current);
    }
    // Shares (L10)'s ordering: no receiver is left to move head; the only later readers are the
    // size queries of remaining senders and the destructor (ordered after by the handle counts).
    head_.index.store(head & ~mark_bit, list_order::head_advance);
  }

  alignas(64) position head_;
  alignas(64) position tail_;
  sync_waker receivers_;
};

}  // namespace rill::detail
