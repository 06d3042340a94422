// rill/detail/array_flavor.hpp - the bounded channel of capacity >= 1 (SPEC R1).
//
// Algorithm
// ---------
// Dmitry Vyukov's bounded MPMC queue, in the form crossbeam-channel uses: a ring of `capacity`
// slots, each with a `stamp`, and two counters, `head` (next slot to receive from) and `tail`
// (next slot to send into). A counter packs an index and a lap:
//
//     counter = lap * one_lap + index        mark_bit = next power of two above capacity
//                                            one_lap  = 2 * mark_bit
//
// Bits below mark_bit hold the index, mark_bit itself is set only in `tail` (disconnected),
// and the bits from one_lap up count laps (wrapping).
//
// so a counter names a slot *and* which pass over the ring it belongs to; this is what makes
// capacity 1 work (index alone could not tell "full" from "empty"). `mark_bit` in `tail` means
// the channel is disconnected.
//
// A slot's stamp says whose turn it is:
//     stamp == tail       the slot is free for the sender holding that tail value;
//     stamp == head + 1   the slot holds a message for the receiver holding that head value.
// A select claims a slot for its send when it is selected (SPEC R33) and writes it when the
// selected operation is completed, which may be much later. Two things can happen meanwhile:
//   - The operation is abandoned (R34). If no send has claimed past the slot, the abandoning
//     thread gives it back by moving `tail` back onto it (A3u): the channel is exactly as it was.
//     Otherwise it publishes the slot like a message with `hole` set; the receiver that claims a
//     hole releases it and carries on with the next slot, so a hole is never delivered. It
//     counts in size() and full(), like a message in flight, only until a receiver passes it.
//   - The last receiver goes (R11) and discards the buffer. It cannot wait for a slot whose
//     writer may be the very thread releasing the receiver, so a selected slot carries a
//     `select_claim` word: the completion and the discard each try to move it from `held`, and
//     exactly one wins. If the discard wins, it skips the slot and the completion hands its
//     message back with `disconnected`; if the completion wins, it writes the message, which
//     the discard then destroys.
// A sender claims a slot by advancing `tail` with a compare-exchange, writes the message, then
// sets the stamp to tail + 1 (publish). A receiver claims by advancing `head`, moves the message
// out, then sets the stamp to head + one_lap (release the slot to the sender one lap later).
//
// Linearisation points
// --------------------
//   send succeeds         the successful compare-exchange on `tail` (A3). A selected send
//                         takes its room there (undone by (A3u) if abandoned: R26, R34), but
//                         its message is receivable only from its completion's publish (A16)
//   send sees full        the load of `head` (A5) showing head + one_lap == tail
//   send sees disconnect  the load of `tail` (A1) showing mark_bit
//   recv succeeds         the successful compare-exchange on `head` (A8)
//   recv sees empty       the load of `tail` (A9) showing tail == head, no mark; or, when the
//                         slot at head is held by a selected send not yet completed, the load
//                         of its `select_claim` (A15): nothing is receivable before that send
//   recv sees disconnect  the same load showing tail == head with mark_bit (drained first: R7)
//   disconnect            the fetch_or of mark_bit into `tail` (A11)
//
// Progress
// --------
// try_send / try_recv never park. They retry a lost compare-exchange (lock-free among the
// claimers) and may snooze while a slot is claimed by a thread that has not finished writing
// or reading it: a bounded number of that thread's instructions (SPEC R19, KB8). A slot held by
// a selected send is not such a step (its owner completes it when it likes, R33): try_send
// reports full, try_recv empty. Blocking operations spin briefly, then park on a waker; see
// waker.hpp for why no wake-up is lost.
//
// Parking behind a held slot
// --------------------------
// A blocking receive (recv, a select's receive, a readiness wait) that reaches a slot held by a
// selected send parks too, until the completion or the abandonment wakes it (R19, R33). Two
// things make that safe:
//   - The re-check after registering (the Y of the waker pattern) looks at the slot at head, not
//     only at head and tail: tail has moved past the held slot, so "not empty" would send the
//     thread round again for as long as the slot is held (a core's worth of looking). It reads
//     the slot's stamp with (A18), seq_cst, and the slot is receivable from the completion's
//     publish (A16) or the hole's (A17), both seq_cst: that store is the X, and the notify after
//     it (W2) sees the registration (W1) or the re-check sees the store. Only the selected-send
//     paths pay for it; a plain send keeps its release publish (A6), because a receiver never
//     parks at a slot that a plain send claimed: it waits for the write, a bounded step (R19).
//     A give-back (A3u) wakes no receiver: the channel is as it was before the selection, empty
//     at that slot, and a parked receiver waits for the next send, whose claim (A3) is its X as
//     for any empty channel.
//   - The notify of a message sent behind a held slot may wake a receiver that then finds the
//     slot still held and parks again: that wake-up is spent. So a completion (or a hole) wakes
//     every receiver registered at that moment (counted by A19), not one; each of them then
//     looks, and takes a message or parks again.
//
// Synchronisation edges (numbered; the names in `array_order` are the mutation sites)
// ----------------------------------------------------------------------------------
//   (A2) acquire slot stamp in send   <- (A7) release stamp after a receive took the message
//   (A6) release stamp after write    -> (A8a) acquire slot stamp in recv
//   (A9) acquire tail in recv's empty/disconnected check <- (A11) disconnect's fetch_or (KB7)
//   (A3)/(A8)/(A11) seq_cst claims and disconnect, (A12) seq_cst re-check loads: the X and Y
//        halves of the waker's store-load pattern (waker.hpp); (A4)/(A10) seq_cst fences of the
//        full and empty checks (stronger than SPEC needs, see their comments).
//   (A3u) seq_cst give-back of an abandoned selected send's slot: the X of the waker pattern for
//        blocked senders, like (A3); (A3c) the seq_cst counts of give-backs around it, which
//        readiness() reads (stronger than needed, see its comment).
//   (A14) relaxed `hole` flag, carried by (A17) -> (A8a); (A15) relaxed `select_claim` decision.
//   (A16)/(A17) seq_cst publish of a held slot by its completion / as a hole: release for the
//        message, like (A6), and the X of the waker pattern for receivers parked behind it, whose
//        (A18) seq_cst look at the stamp in the re-check is the Y. (A19) relaxed count of
//        registered receivers, ordered by the waker's lock and (W2).
// Model-checking scenarios: verify/relacy/ (array_*, select_*; select_held_slot_* for parking
// behind a held slot).
#pragma once

#include "rill/detail/blocking_wait.hpp"
#include "rill/detail/context.hpp"
#include "rill/detail/debug_assert.hpp"
#include "rill/detail/message_cell.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace rill::detail {

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace array_order {
// (A1) relaxed: the tail value is only a guess that the compare-exchange (A3) validates; the
//      slot's ownership is established by the stamp load (A2), not by this load.
inline constexpr sync::ordering tail_guess = sync::ordering_site("array.tail_guess", std::memory_order_relaxed);  // (A1)
// (A2) acquire: synchronises-with the receiver's release (A7) of the same slot, so the receiver's
//      move out of the cell happens-before this sender's write into it.
inline constexpr sync::ordering slot_free = sync::ordering_site("array.slot_free", std::memory_order_acquire);  // (A2)
// (A3) seq_cst: claiming a slot is the X of the waker store-load pattern for blocked receivers'
//      re-check, and is ordered before the full check's loads of other senders.
inline constexpr sync::ordering claim_tail = sync::ordering_site("array.claim_tail", std::memory_order_seq_cst);  // (A3)
// (A3u) seq_cst: an abandoned selected send gives its slot back by moving tail back onto it.
//      That makes room, so it is the X of the waker pattern for senders that blocked meanwhile
//      (they register, then re-check with (A12); the notify after it is the other half), as
//      (A3) is for receivers. Weakened to acq_rel, a sender that blocked on the claimed slot
//      is never woken (select_abandoned_send_wakes_blocked_sender: DEADLOCK).
inline constexpr sync::ordering unclaim_tail = sync::ordering_site("array.unclaim_tail", std::memory_order_seq_cst);  // (A3u)
// (A3c) seq_cst, stronger than needed: the counts of give-backs started and finished, which
//      readiness() reads around tail. Its argument holds with a release increment of
//      `finished` (a reading that counts it synchronises-with it, so it also sees the moved
//      tail) and any increment of `started`, which is sequenced before (A3u), whose release a
//      later reading of tail acquires. They are seq_cst so that the argument can be read in the
//      one total order of (A3), (A3u), (A8) and (A12); a give-back is rare, off every fast path.
//      The mutant survives (verify/mutation/stronger_than_needed.txt).
inline constexpr sync::ordering unclaim_count = sync::ordering_site("array.unclaim_count", std::memory_order_seq_cst);  // (A3c)
// (A4) seq_cst fence: puts the full check into the single total order S of seq_cst operations
//      and fences. The head load (A5) after it reads a head at least as new as every claim of
//      head (A8, seq_cst) that precedes the fence in S: were it to read an older head, the fence
//      would precede that claim in S ([atomics.order] p4, a fence that happens before a load
//      coherence-ordered before a seq_cst store). Keeping (A5) after the stamp load needs no
//      fence: (A2) is an acquire load. Stronger than SPEC needs: R4/R14 are stated with
//      happens-before, which the stamps' release/acquire pairs already give; the fence makes
//      try_send agree with a user's seq_cst operations as well (the store-buffering shape), as
//      crossbeam does, at the cost of one fence on the full path.
//      Relacy cannot check that shape (verify/relacy/seq_cst_fence_limitation.cpp), so the
//      mutant survives by design (verify/mutation/stronger_than_needed.txt).
inline constexpr sync::ordering full_fence = sync::ordering_site("array.full_fence", std::memory_order_seq_cst);  // (A4)
// (A5) relaxed: only compared with tail to decide "full"; nothing is read through it. How old a
//      head it may read is bounded by the fence (A4) before it.
inline constexpr sync::ordering head_in_full_check = sync::ordering_site("array.head_in_full_check", std::memory_order_relaxed);  // (A5)
// (A6) release: publishes the message written into the cell to the receiver's acquire (A8a).
inline constexpr sync::ordering publish = sync::ordering_site("array.publish", std::memory_order_release);  // (A6)
// (A7) release: hands the emptied slot back to the sender one lap later, whose (A2) acquires it.
inline constexpr sync::ordering slot_release = sync::ordering_site("array.slot_release", std::memory_order_release);  // (A7)
// (A8a) acquire: synchronises-with (A6), or (A16)/(A17) for a selected send's slot; the message
//      is fully written before it is taken.
inline constexpr sync::ordering slot_ready = sync::ordering_site("array.slot_ready", std::memory_order_acquire);  // (A8a)
// (A8) seq_cst: claiming a message is the X of the waker pattern for blocked senders' re-check.
inline constexpr sync::ordering claim_head = sync::ordering_site("array.claim_head", std::memory_order_seq_cst);  // (A8)
// (A10) seq_cst fence: puts the empty check into S, as (A4) does the full check: the tail load
//      (A9) after it reads a tail at least as new as every seq_cst change of tail (a claim (A3),
//      a give-back (A3u), the disconnect (A11)) that precedes the fence in S. Keeping (A9) after
//      the stamp load needs no fence: (A8a) is an acquire load. The fence does not make (A9) an
//      acquire either (a fence lends acquire semantics only to loads sequenced before it).
//      Stronger than SPEC needs, for the same reason as (A4): kept so try_recv agrees with a
//      user's seq_cst operations; not checkable by Relacy.
inline constexpr sync::ordering empty_fence = sync::ordering_site("array.empty_fence", std::memory_order_seq_cst);  // (A10)
// (A9) acquire: when it reads mark_bit it synchronises-with the disconnect (A11), so everything
//      before the last sender's release or close() happens-before "disconnected" (R16, KB7).
inline constexpr sync::ordering tail_in_empty_check = sync::ordering_site("array.tail_in_empty_check", std::memory_order_acquire);  // (A9)
// (A11) seq_cst: disconnection; its release half pairs with (A9) (R16, KB7). The waker side
//      needs no more than that: wakers' disconnect() takes each waker's lock, which orders it
//      with every registration. seq_cst is stronger than SPEC needs; it places disconnection in
//      the single total order of seq_cst operations (a user's seq_cst flag and a try_recv agree
//      on it), which Relacy cannot check (see (A4)).
inline constexpr sync::ordering disconnect = sync::ordering_site("array.disconnect", std::memory_order_seq_cst);  // (A11)
// (A12) seq_cst snapshot loads for size/empty/full and for blocked threads' re-checks (Y of the
//      waker pattern).
inline constexpr sync::ordering snapshot = sync::ordering_site("array.snapshot", std::memory_order_seq_cst);  // (A12)
// (A13) relaxed: the initial head guess of a receive; validated by the compare-exchange (A8).
inline constexpr sync::ordering head_guess = sync::ordering_site("array.head_guess", std::memory_order_relaxed);  // (A13)
// (A14) relaxed: a slot's `hole` flag travels with the slot's stamp: it is set before the
//      publishing store (A17) and read after the claim's acquire of that stamp (A8a); cleared by
//      the one thread that claimed the slot, before it releases it (A7).
inline constexpr sync::ordering hole_flag = sync::ordering_site("array.hole_flag", std::memory_order_relaxed);  // (A14)
// (A15) relaxed: `select_claim` decides one winner between a selected send's completion (or
//      abandonment) and the last receiver's discard; the atomicity of the read-modify-writes is
//      all that is needed. No data travels with it: a winning completion publishes its message
//      with (A16), which the discard acquires with (A8a); a winning discard touches nothing the
//      completion reads. A receive that finds its slot claimed but unwritten also reads the
//      word, only to decide whether to keep waiting for the writer: a stale value costs one
//      more look (or one empty report overlapping the completion), never a message. So does
//      a registered receive's re-check, after (A18), to decide whether to park: see
//      may_receive() for why a stale value there loses no wake-up.
inline constexpr sync::ordering select_claim_word = sync::ordering_site("array.select_claim", std::memory_order_relaxed);  // (A15)
// (A16) seq_cst: a selected send's completion publishes its held slot. Its release half is
//      (A6)'s: the message, to the receiver's acquire (A8a). Its seq_cst half is the X of the
//      waker pattern for receivers parked behind the slot: each registered (W1), then saw the
//      stamp unwritten with (A18) (Y); the completion stores this, then notifies (W2). All four
//      are seq_cst, so if (W2) reads "nobody waiting", (A16) precedes (A18) in the total order
//      and the re-check reads this store or a later one. (It cannot read the older stamp: that
//      was stored by the slot's previous receiver (A7), which happens-before this store, since
//      the claim acquired it with (A2).) Weakened to acq_rel, a receiver stays parked next to
//      the message (select_held_slot_parks_*_completed: DEADLOCK).
inline constexpr sync::ordering held_publish = sync::ordering_site("array.held_publish", std::memory_order_seq_cst);  // (A16)
// (A17) seq_cst: an abandoned selected send that a later send claimed past publishes its slot as
//      a hole: the X for receivers parked behind it, as (A16); the message after the hole is
//      receivable only once the hole is. Weakened to acq_rel, a receiver stays parked behind the
//      hole (select_held_slot_parks_recv_hole: DEADLOCK).
inline constexpr sync::ordering hole_publish = sync::ordering_site("array.hole_publish", std::memory_order_seq_cst);  // (A17)
// (A18) seq_cst: a registered receiver's re-check looks at the stamp of the slot at head (Y of
//      the pattern of (A16) and (A17)). Also acquire: a stamp of this lap orders the previous
//      lap's release of the slot, and with it that lap's select_claim, before the look at the
//      claim word that follows. Weakened to acquire, the re-check can read the stamp from
//      before the publish while the notify misses the registration (select_held_slot_parks_*:
//      DEADLOCK).
inline constexpr sync::ordering held_recheck = sync::ordering_site("array.held_recheck", std::memory_order_seq_cst);  // (A18)
// (A19) relaxed: the count of receivers registered as waiters (recv, a select's receive),
//      which a held slot's completion or hole reads to wake every one of them. A receiver counts
//      itself before it registers and uncounts itself after it unregisters; the completion reads
//      the count after its first notify. If that notify found the waker non-empty, it took the
//      waker's lock: a receiver registered before it is counted (its increment happens-before
//      the read through that lock), and one registering after sees the publish through the same
//      lock. If it found the waker empty (W2 read true), every registration comes after it in
//      the total order and sees the publish by (A16). A count that includes receivers that have
//      left costs notifies that find nobody.
inline constexpr sync::ordering receiver_count = sync::ordering_site("array.receiver_count", std::memory_order_relaxed);  // (A19)
}  // namespace array_order
// clang-format on

template <class T>
class array_flavor {
 public:
  using message_type = T;

 private:
  /// Who finishes a slot claimed by a selected send (see the essay above).
  enum select_claim_state : unsigned char { claim_none, claim_held, claim_discarded };

  struct slot {
    sync::atomic<std::size_t> stamp;
    message_cell<T> message;
  };

  /// What only selected sends use, kept in an array beside the ring rather than in the slots, so
  /// that a slot is a stamp and a message (16 bytes for an 8-byte message, as in crossbeam): a
  /// channel's ring is written once when it is made, and for a large capacity that is most of
  /// what making it costs. Entry i belongs to slot i.
  struct select_state {
    // Set only by an abandoned select send; see (A14).
    sync::atomic<bool> hole{false};
    // claim_held from a select send's claim until its completion, abandonment or discard.
    sync::atomic<unsigned char> select_claim{claim_none};
  };

  /// A claimed slot: which one, and the stamp to store when done with it.
  struct token {
    slot* claimed = nullptr;  // set only by a claim that returns claim::claimed (disconnection is claim::disconnected)
    std::size_t stamp = 0;
  };

  enum class claim { claimed, disconnected, unavailable };

 public:
  explicit array_flavor(std::size_t capacity)
      : capacity_(capacity), mark_bit_(mark_bit_for(capacity)), one_lap_(mark_bit_ * 2) {
    RILL_DEBUG_ASSERT(mark_bit_ > capacity_ && (mark_bit_ & (mark_bit_ - 1)) == 0 && one_lap_ == 2 * mark_bit_,
                      "the counter layout: index bits below mark_bit, a power of two above the capacity");
    // A capacity up to max_capacity can index the ring, but its size in bytes may not fit a
    // size_t (R2): that is a ring no allocator can give, so it fails as allocation does (R24),
    // never by wrapping the multiplication around.
    if (capacity_ > std::numeric_limits<std::size_t>::max() / (sizeof(slot) + sizeof(select_state))) {
      throw std::bad_alloc();
    }
    // One allocation: the ring, then the select states (alignment 1, so they need no padding).
    void* memory = sync::allocate_bytes(ring_bytes(), alignof(slot));
    if (memory == nullptr) throw std::bad_alloc();
    slots_ = static_cast<slot*>(memory);
    select_states_ = reinterpret_cast<select_state*>(static_cast<unsigned char*>(memory) + sizeof(slot) * capacity_);
    for (std::size_t i = 0; i < capacity_; ++i) {
      // Slot i is free for the sender that will hold tail == i on lap 0.
      ::new (static_cast<void*>(&slots_[i])) slot{sync::atomic<std::size_t>(i), {}};
      ::new (static_cast<void*>(&select_states_[i])) select_state{};
    }
  }

  array_flavor(const array_flavor&) = delete;
  array_flavor& operator=(const array_flavor&) = delete;

  /// Runs when the last handle is gone: destroys what is still buffered, then the ring.
  ~array_flavor() {
    discard_all_messages();
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].~slot();
      select_states_[i].~select_state();
    }
    sync::deallocate_bytes(slots_, ring_bytes(), alignof(slot));
  }

  /// The largest capacity whose counters (with lap and mark bit) fit in a size_t.
  static constexpr std::size_t max_capacity = std::size_t(1) << (sizeof(std::size_t) * 8 - 4);

  send_result<T> try_send(T&& message) {
    token claimed;
    switch (start_send(claimed)) {
      case claim::claimed: return write(claimed, std::move(message));
      case claim::disconnected: return failed_send(send_errc::disconnected, message);
      case claim::unavailable: break;
    }
    return failed_send(send_errc::full, message);
  }

  send_result<T> send(T&& message, const sync::deadline& deadline) {
    token claimed;
    claim outcome = claim::unavailable;
    const bool done = wait_until_done(
        deadline, [&] { return (outcome = start_send(claimed)) != claim::unavailable; },
        [&](waiter& entry) { senders_.register_waiter(entry); },
        // (Y) of the waker pattern: room appeared (or a disconnect) since the last attempt?
        [&] { return !is_full() || is_disconnected(); }, [&](waiter& entry) { senders_.unregister(entry); });
    if (!done) return failed_send(send_errc::timeout, message);
    if (outcome == claim::claimed) return write(claimed, std::move(message));
    return failed_send(send_errc::disconnected, message);
  }

  recv_result<T> try_recv() {
    token claimed;
    switch (start_recv(claimed)) {
      case claim::claimed: return read(claimed);
      case claim::disconnected: return std::unexpected(recv_error::disconnected);
      case claim::unavailable: break;
    }
    return std::unexpected(recv_error::empty);
  }

  recv_result<T> recv(const sync::deadline& deadline) {
    token claimed;
    claim outcome = claim::unavailable;
    const bool done = wait_until_done(
        deadline, [&] { return (outcome = start_recv(claimed)) != claim::unavailable; },
        [&](waiter& entry) { register_receiver(entry); },
        // (Y) of the waker pattern: a message (or a disconnect) since the last attempt? A slot
        // held by a selected send is no message.
        [&] { return may_receive(); }, [&](waiter& entry) { unregister_receiver(entry); });
    if (!done) return std::unexpected(recv_error::timeout);
    if (outcome == claim::claimed) return read(claimed);
    return std::unexpected(recv_error::disconnected);
  }

  [[nodiscard]] std::size_t size() const {
    // A retry waits for another thread: a send that moved tail, or a give-back in progress,
    // which may be preempted half done. So it snoozes (spins, then yields, R19): a retry that
    // did neither kept that thread off a shared processor for ever.
    sync::backoff backoff;
    for (;; backoff.snooze()) {
      // A consistent pair: tail did not move while head was read. Equal readings of tail prove
      // that only while tail only grows; a give-back (A3u) moves it back, and a new claim can
      // bring it to the same value again, so no give-back may overlap the readings: the count
      // of those finished is read first and of those started last, as in readiness().
      const std::size_t finished = unclaims_finished_.load(array_order::snapshot);
      const std::size_t tail = tail_.load(array_order::snapshot);
      const std::size_t head = head_.load(array_order::snapshot);
      if (tail_.load(array_order::snapshot) != tail) continue;
      if (unclaims_started_.load(array_order::snapshot) != finished) continue;
      const std::size_t head_index = head & (mark_bit_ - 1);
      const std::size_t tail_index = tail & (mark_bit_ - 1);
      if (head_index < tail_index) return tail_index - head_index;
      if (head_index > tail_index) return capacity_ - head_index + tail_index;
      return (tail & ~mark_bit_) == head ? 0 : capacity_;
    }
  }

  [[nodiscard]] bool is_empty() const {
    const std::size_t head = head_.load(array_order::snapshot);
    const std::size_t tail = tail_.load(array_order::snapshot);
    return (tail & ~mark_bit_) == head;
  }

  [[nodiscard]] bool is_full() const {
    const std::size_t tail = tail_.load(array_order::snapshot);
    const std::size_t head = head_.load(array_order::snapshot);
    return head + one_lap_ == (tail & ~mark_bit_);
  }

  [[nodiscard]] bool is_disconnected() const { return (tail_.load(array_order::snapshot) & mark_bit_) != 0; }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// Marks the channel disconnected and wakes everyone. True if this call did it.
  bool disconnect() {
    const std::size_t tail = tail_.fetch_or(mark_bit_, array_order::disconnect);
    if ((tail & mark_bit_) != 0) return false;
    senders_.disconnect();
    receivers_.disconnect();
    return true;
  }

  /// The last receiver is gone: disconnect and destroy every buffered message now (R11, KB6).
  void disconnect_receivers() {
    disconnect();
    discard_all_messages();
  }

  // --- select (select_operation.hpp) -------------------------------------------------------
  // A select send claims its slot in try_select (the claim is the linearisation point, as for
  // send) and writes it on completion; until then blocking receivers that reach the slot park
  // behind it, which is why a selected operation must be completed promptly (R33). A select
  // receive claims and reads at once.

  bool select_try_send(select_token& committed) {
    token claimed;
    switch (start_send(claimed)) {
      case claim::claimed:
        state_of(*claimed.claimed).select_claim.store(claim_held, array_order::select_claim_word);  // (A15)
        committed.pointer = claimed.claimed;
        committed.value = claimed.stamp;
        return true;
      case claim::disconnected: committed.disconnected = true; return true;
      case claim::unavailable: break;
    }
    return false;
  }
  bool select_register_send(waiter& entry) {
    senders_.register_waiter(entry);
    return !is_full() || is_disconnected();  // (Y) of the waker pattern
  }
  void select_unregister_send(waiter& entry) { senders_.unregister(entry); }
  bool select_accept_send(waiter&, select_token& committed) { return select_try_send(committed); }
  send_result<T> select_write(select_token& committed, T&& message) {
    if (committed.disconnected) return failed_send(send_errc::disconnected, message);
    token claimed{static_cast<slot*>(committed.pointer), static_cast<std::size_t>(committed.value)};
    // The last receiver's discard skipped this slot: nobody will ever receive from it (R11).
    if (!take_back_select_claim(*claimed.claimed)) return failed_send(send_errc::disconnected, message);
    claimed.claimed->message.write(std::move(message));
    claimed.claimed->stamp.store(claimed.stamp, array_order::held_publish);  // (A16)
    wake_receivers_behind_held_slot();
    return {};
  }
  void select_abandon_send(select_token& committed) {
    if (committed.disconnected) return;
    auto* claimed = static_cast<slot*>(committed.pointer);
    if (!take_back_select_claim(*claimed)) return;  // discarded: the slot is nobody's any more
    // Give the slot back if no send claimed past it: the claim's tail value is stamp - 1.
    const std::size_t claimed_tail = static_cast<std::size_t>(committed.value) - 1;
    std::size_t expected = advance(claimed_tail);
    // Moving tail back is the one change of tail that is not an increase; the two counters
    // around it let readiness() see it (a reading between them is not stable).
    //
    // (A3u) makes room: the notify below wakes the senders that blocked meanwhile.
    unclaims_started_.fetch_add(1, array_order::unclaim_count);  // (A3c)
    const bool given_back = tail_.compare_exchange_strong(expected, claimed_tail, array_order::unclaim_tail,
                                                          array_order::tail_guess);  // (A3u)
    unclaims_finished_.fetch_add(1, array_order::unclaim_count);                     // (A3c)
    if (given_back) {
      senders_.notify();
      return;
    }
    state_of(*claimed).hole.store(true, array_order::hole_flag);                                 // (A14)
    claimed->stamp.store(static_cast<std::size_t>(committed.value), array_order::hole_publish);  // (A17)
    wake_receivers_behind_held_slot();
  }

  bool select_try_recv(select_token&, recv_result<T>& result) { return keep_unless_empty(try_recv(), result); }
  bool select_register_recv(waiter& entry, recv_result<T>&) {
    register_receiver(entry);
    return may_receive();  // (Y) of the waker pattern
  }
  void select_unregister_recv(waiter& entry) { unregister_receiver(entry); }
  bool select_accept_recv(waiter&, select_token& committed, recv_result<T>& result) {
    return select_try_recv(committed, result);
  }

  /// Readiness is decided by head and tail. Head only grows; tail only grows except when an
  /// abandoned select send gives its slot back (A3u), which may be undone by a new claim before a
  /// second reading, so the reading also carries the count of give-backs started, read *after*
  /// tail, and of those finished, read *before* it. If a give-back moved tail between two stable
  /// readings a < b, it finished after a's tail load, hence after a's `finished` load, and so
  /// either it had started before a's `started` load (then a is unstable) or it started after
  /// it (then b's `started`, read after b's tail, counts it and the readings differ). All of
  /// these are seq_cst, so "before" is the single total order of (A3), (A3u), (A8) and (A12).
  readiness_version readiness() const {
    const std::size_t finished = unclaims_finished_.load(array_order::snapshot);
    const std::size_t head = head_.load(array_order::snapshot);
    const std::size_t tail = tail_.load(array_order::snapshot);
    const std::size_t started = unclaims_started_.load(array_order::snapshot);
    return {{head, tail, started, finished}, started == finished};
  }

  bool is_send_ready() const { return !is_full() || is_disconnected(); }
  /// Ready to receive: a message is buffered, or the channel is disconnected. A slot at head
  /// that a selected send holds (R33) is not a message yet: try_recv would report empty there,
  /// so a non-blocking select that saw it as ready would look again for as long as the owner
  /// keeps it (R19, R30).
  bool is_recv_ready() const {
    const std::size_t head = head_.load(array_order::snapshot);
    const std::size_t tail = tail_.load(array_order::snapshot);
    // Drained: ready only to report disconnected. A held slot at head is not ready even on a
    // disconnected channel: its completion may still deliver a message (R7, R33).
    if ((tail & ~mark_bit_) == head) return (tail & mark_bit_) != 0;
    const std::size_t index = head & (mark_bit_ - 1);
    return slots_[index].stamp.load(array_order::slot_ready) == head + 1 ||
           select_states_[index].select_claim.load(array_order::select_claim_word) != claim_held;  // (A15)
  }
  bool watch_send(waiter& entry) {
    senders_.register_observer(entry);
    return is_send_ready();
  }
  void unwatch_send(waiter& entry) { senders_.unregister(entry); }
  bool watch_recv(waiter& entry) {
    // An observer is woken by every notify, so it is not counted (A19).
    receivers_.register_observer(entry);
    return may_receive();  // (Y) of the waker pattern
  }
  void unwatch_recv(waiter& entry) { receivers_.unregister(entry); }

 private:
  static std::size_t mark_bit_for(std::size_t capacity) {
    std::size_t bit = 1;
    while (bit <= capacity) bit <<= 1;
    return bit;
  }

  std::size_t ring_bytes() const { return (sizeof(slot) + sizeof(select_state)) * capacity_; }

  select_state& state_of(const slot& of) const { return select_states_[&of - slots_]; }

  /// The counter after `counter`: the next index, or index 0 of the next lap.
  std::size_t advance(std::size_t counter) const {
    const std::size_t index = counter & (mark_bit_ - 1);
    const std::size_t lap = counter & ~(one_lap_ - 1);
    return index + 1 < capacity_ ? counter + 1 : lap + one_lap_;
  }

  claim start_send(token& claimed) {
    sync::backoff backoff;
    std::size_t tail = tail_.load(array_order::tail_guess);
    for (;;) {
      if ((tail & mark_bit_) != 0) return claim::disconnected;
      const std::size_t index = tail & (mark_bit_ - 1);
      slot& candidate = slots_[index];
      const std::size_t stamp = candidate.stamp.load(array_order::slot_free);
      if (tail == stamp) {
        // The slot is free on this lap: try to claim it.
        if (tail_.compare_exchange_weak(tail, advance(tail), array_order::claim_tail, array_order::tail_guess)) {
          claimed.claimed = &candidate;
          claimed.stamp = tail + 1;
          return claim::claimed;
        }
        backoff.spin();
      } else if (stamp + one_lap_ == tail + 1 || stamp + one_lap_ == tail) {
        // The slot still holds the message from the previous lap (tail + 1), or the previous
        // lap's sender has claimed it and not written it yet (tail): a send that is writing, or a
        // selected send that is neither completed nor abandoned, which lasts as long as its
        // owner likes (R33). Either way the channel is full unless head moved on, and try_send
        // must not wait for that writer (R19): only head can say more.
        sync::fence(array_order::full_fence);
        const std::size_t head = head_.load(array_order::head_in_full_check);
        if (head + one_lap_ == tail) return claim::unavailable;
        backoff.spin();
        tail = tail_.load(array_order::tail_guess);
      } else {
        // Another sender claimed this slot and is writing it, or our tail is stale.
        backoff.snooze();
        tail = tail_.load(array_order::tail_guess);
      }
    }
  }

  send_result<T> write(token& claimed, T&& message) {
    claimed.claimed->message.write(std::move(message));
    claimed.claimed->stamp.store(claimed.stamp, array_order::publish);
    receivers_.notify();
    return {};
  }

  claim start_recv(token& claimed) {
    sync::backoff backoff;
    std::size_t head = head_.load(array_order::head_guess);
    for (;;) {
      const std::size_t index = head & (mark_bit_ - 1);
      slot& candidate = slots_[index];
      const std::size_t stamp = candidate.stamp.load(array_order::slot_ready);
      if (head + 1 == stamp) {
        // The slot holds this lap's message: try to claim it.
        if (head_.compare_exchange_weak(head, advance(head), array_order::claim_head, array_order::head_guess)) {
          select_state& state = select_states_[index];
          if (state.hole.load(array_order::hole_flag)) {  // (A14)
            // An abandoned select send (R34): nothing to receive here; free the slot for the
            // next lap's sender and go on to the next slot.
            state.hole.store(false, array_order::hole_flag);  // (A14)
            candidate.stamp.store(head + one_lap_, array_order::slot_release);
            senders_.notify();
            head = head_.load(array_order::head_guess);
            continue;
          }
          claimed.claimed = &candidate;
          claimed.stamp = head + one_lap_;
          return claim::claimed;
        }
        backoff.spin();
      } else if (stamp == head) {
        // The slot is free: empty, unless tail moved on.
        sync::fence(array_order::empty_fence);
        const std::size_t tail = tail_.load(array_order::tail_in_empty_check);
        if ((tail & ~mark_bit_) == head) {
          return (tail & mark_bit_) != 0 ? claim::disconnected : claim::unavailable;
        }
        // A sender claimed this slot and has not written it yet. A plain send finishes in a
        // bounded number of its own steps (R19): wait for it. A selected send holds the slot
        // until it is completed or abandoned (R33), perhaps by this very thread later: nothing
        // is receivable before it, so report the channel empty (try_recv) and let a blocking
        // receive park outside this loop (may_receive()). A stale reading of the word only
        // costs another look.
        if (select_states_[index].select_claim.load(array_order::select_claim_word) == claim_held) {  // (A15)
          return claim::unavailable;
        }
        backoff.spin();
        head = head_.load(array_order::head_guess);
      } else {
        // A sender claimed this slot and is still writing it, or our head is stale.
        backoff.snooze();
        head = head_.load(array_order::head_guess);
      }
    }
  }

  /// The re-check (Y) of a receive that has registered: true if a receive may succeed or report
  /// disconnected now, false if the channel is empty or the slot at head is held by a selected
  /// send that is neither completed nor abandoned. A wrong `true` costs one more look; `false`
  /// parks the thread, so it must be right: empty is read from head and tail (A12) as for any
  /// channel, held from the slot's stamp (A18) and then its claim word (A15). A stale word is
  /// harmless: an old `none` (the claim's `held` not seen yet) only sends the thread round again,
  /// and an old `held` can go with the unwritten stamp only if this look came before the
  /// completion's or hole's publish (A16, A17), whose notify then finds this registration. After
  /// a give-back, the word was reset before the give-back (A3u) moved tail; the next send's
  /// claim continues that release sequence, so a re-check that reads the claimed tail (A12)
  /// reads the reset word too.
  [[nodiscard]] bool may_receive() const {
    const std::size_t head = head_.load(array_order::snapshot);  // (A12)
    const std::size_t tail = tail_.load(array_order::snapshot);  // (A12)
    // Drained: a receive reports disconnected, or finds the channel empty. Otherwise the slot at
    // head decides, disconnected or not: a held slot's completion may still deliver a message
    // (R7, R33), and until then a receive behind it, even one by the very thread that holds it,
    // parks (R19) rather than spinning between this look and start_recv's `unavailable`.
    if ((tail & ~mark_bit_) == head) return (tail & mark_bit_) != 0;
    const std::size_t index = head & (mark_bit_ - 1);
    if (slots_[index].stamp.load(array_order::held_recheck) != head) return true;                  // (A18)
    return select_states_[index].select_claim.load(array_order::select_claim_word) != claim_held;  // (A15)
  }

  /// A receive that blocks (recv, a select's receive) registers through these, so that a held
  /// slot's completion knows how many to wake (A19). Counted before registering, uncounted
  /// after unregistering: the count is never below the receivers registered.
  void register_receiver(waiter& entry) {
    waiting_receivers_.fetch_add(1, array_order::receiver_count);  // (A19)
    receivers_.register_waiter(entry);
  }
  void unregister_receiver(waiter& entry) {
    receivers_.unregister(entry);
    waiting_receivers_.fetch_sub(1, array_order::receiver_count);  // (A19)
  }

  /// After a held slot was published (A16, A17): the notify (W2) that the waker pattern needs,
  /// then one more for each receiver registered at that moment, because the notifies of
  /// messages sent behind the slot may have woken receivers that found it held and parked
  /// again. Each notify wakes one waiter (and every observer); one that finds nobody costs a
  /// load. The count is read after the first notify: see (A19) for why that is enough.
  void wake_receivers_behind_held_slot() {
    receivers_.notify();
    for (std::size_t more = waiting_receivers_.load(array_order::receiver_count); more > 0; --more) {  // (A19)
      receivers_.notify();
    }
  }

  recv_result<T> read(token& claimed) {
    recv_result<T> message = claimed.claimed->message.take_result();
    claimed.claimed->stamp.store(claimed.stamp, array_order::slot_release);
    senders_.notify();
    return message;
  }

  /// A selected send's completion or abandonment takes its slot back from claim_held; false if
  /// the last receiver's discard took it first.
  bool take_back_select_claim(const slot& claimed) {
    unsigned char held = claim_held;
    return state_of(claimed).select_claim.compare_exchange_strong(held, claim_none,
                                                                  array_order::select_claim_word,  // (A15)
                                                                  array_order::select_claim_word);
  }

  /// The discard's side of the same decision: true if it took a selected send's slot.
  bool discard_select_claim(const slot& claimed) {
    unsigned char held = claim_held;
    return state_of(claimed).select_claim.compare_exchange_strong(held, claim_discarded,
                                                                  array_order::select_claim_word,  // (A15)
                                                                  array_order::select_claim_word);
  }

  /// Destroys every message between head and tail. Only called when no receiver can exist (the
  /// last one is gone) and no sender can claim (the mark bit is set); waits for senders that
  /// claimed a slot before the mark to finish writing it.
  void discard_all_messages() {
    const std::size_t tail = tail_.load(array_order::tail_in_empty_check) & ~mark_bit_;
    std::size_t head = head_.load(array_order::head_guess);
    sync::backoff backoff;
    while (head != tail) {
      slot& current = slots_[head & (mark_bit_ - 1)];
      if (current.stamp.load(array_order::slot_ready) == head + 1) {
        select_state& state = state_of(current);
        if (state.hole.load(array_order::hole_flag)) {      // (A14)
          state.hole.store(false, array_order::hole_flag);  // (A14)
        } else {
          current.message.destroy();
        }
        current.stamp.store(head + one_lap_, array_order::slot_release);
        head = advance(head);
        backoff = sync::backoff();
      } else if (discard_select_claim(current)) {
        // A selected send holds this slot and may be completed by the thread running this
        // very discard, later: skip it; its completion finds the claim gone (select_write).
        head = advance(head);
        backoff = sync::backoff();
      } else {
        // A plain send claimed this slot before the mark and is writing it (a bounded number
        // of its instructions, R19); or a select send that has not yet marked its claim.
        backoff.snooze();
      }
    }
    // Shares (A8)'s ordering: nothing claims any more (no receiver is left), and the only later
    // readers, the size queries of remaining senders, need no edge from this store.
    head_.store(head, array_order::claim_head);
  }

  alignas(64) sync::atomic<std::size_t> head_{0};
  alignas(64) sync::atomic<std::size_t> tail_{0};
  alignas(64) slot* slots_ = nullptr;
  select_state* select_states_ = nullptr;
  // Abandoned select sends that started and finished giving their slot back (see readiness()).
  sync::atomic<std::size_t> unclaims_started_{0};
  sync::atomic<std::size_t> unclaims_finished_{0};
  // Receives registered as waiters on receivers_ (see wake_receivers_behind_held_slot()).
  sync::atomic<std::size_t> waiting_receivers_{0};
  std::size_t capacity_;
  std::size_t mark_bit_;
  std::size_t one_lap_;
  sync_waker senders_;
  sync_waker receivers_;
};

}  // namespace rill::detail
