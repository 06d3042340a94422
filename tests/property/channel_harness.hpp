// tests/property/channel_harness.hpp - one real channel next to its reference model, for the
// stateful property tests (stateful_test.cpp: one channel; select_property_test.cpp: several).
//
// A harness owns a real channel's handle pool (pool_size senders and receivers, some of them
// empty), the rill::model::state the spec says the channel is in, and the rendezvous peers: real
// threads blocked in send / recv with their own copies of a handle, standing for the model's
// peer_send / peer_recv (see the header of stateful_test.cpp). Callers run an operation on the
// real channel and then `follow` the model step whose result equals the real one; a result the
// model does not allow fails the rapidcheck property with both sides printed.
//
// Accounting (R9, R11, R25, R34): the values of rill_property::message alive must be exactly the
// messages the models hold (buffered, or held by parked peer senders), and the destruction ledger
// must list exactly the messages the models say were destroyed, by the channel (R11) or by an
// abandoned selected receive (R34). check_accounting() checks that for any set of harnesses.
#pragma once

#include "property_support.hpp"

#include <channel_model.hpp>

#include <rapidcheck.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rill_property {

namespace model = rill::model;
using tx_handle = rill::sender<message>;
using rx_handle = rill::receiver<message>;

constexpr int pool_size = 3;
constexpr int max_live_peers = 4;
/// Retries of a non-blocking call that the model says pairs with a parked peer (run_call).
constexpr int peer_arrival_attempts = 2'000'000;

enum class side { sender, receiver };

// Printers, so that rapidcheck's counterexamples show generated values by name.
inline std::ostream& operator<<(std::ostream& os, side which) {
  return os << (which == side::sender ? "sender" : "receiver");
}

inline std::string handle_name(side which, int slot) {
  return (which == side::sender ? "tx" : "rx") + std::to_string(slot);
}

inline std::string describe(const model::result& result) {
  std::string text(model::to_string(result.what));
  if (result.message) text += "(" + std::to_string(*result.message) + ")";
  if (result.query) {
    const auto& q = *result.query;
    text += "{size=" + std::to_string(q.size) + " empty=" + std::to_string(q.empty) +
            " full=" + std::to_string(q.full) + " capacity=" + (q.capacity ? std::to_string(*q.capacity) : "nullopt") +
            " disconnected=" + std::to_string(q.is_disconnected) + " senders=" + std::to_string(q.sender_count) +
            " receivers=" + std::to_string(q.receiver_count) + "}";
  }
  return text;
}

inline std::string describe(const model::state& s) {
  std::string text = "state{buffer=[";
  for (int v : s.buffer) text += std::to_string(v) + " ";
  text += "] senders=" + std::to_string(s.senders) + " receivers=" + std::to_string(s.receivers) +
          " closed=" + std::to_string(s.closed) + " waiting_receivers=" + std::to_string(s.waiting_receivers) +
          " waiting_senders=[";
  for (int v : s.waiting_senders) text += std::to_string(v) + " ";
  return text + "]}";
}

inline model::result from_send(const rill::send_result<message>& real) {
  if (real) return {model::outcome::ok, {}, {}};
  model::outcome what = model::outcome::ok;
  switch (real.error().reason) {
    case rill::send_errc::full: what = model::outcome::full; break;
    case rill::send_errc::timeout: what = model::outcome::timeout; break;
    case rill::send_errc::disconnected: what = model::outcome::disconnected; break;
    case rill::send_errc::out_of_memory: what = model::outcome::out_of_memory; break;
    case rill::send_errc::cancelled: throw std::logic_error("R50: a thread's send reported cancelled");
  }
  return {what, real.error().message.value, {}};
}

inline model::result from_recv(const rill::recv_result<message>& real) {
  if (real) return {model::outcome::ok, real->value, {}};
  model::outcome what = model::outcome::ok;
  switch (real.error()) {
    case rill::recv_error::empty: what = model::outcome::empty; break;
    case rill::recv_error::timeout: what = model::outcome::timeout; break;
    case rill::recv_error::disconnected: what = model::outcome::disconnected; break;
    case rill::recv_error::cancelled: throw std::logic_error("R50: a thread's receive reported cancelled");
  }
  return {what, {}, {}};
}

/// The failing allocator installed by the allocation command (R24).
inline bool refuse_allocation(std::size_t) noexcept { return false; }

/// A peer thread of a rendezvous (see the header comment of stateful_test.cpp).
struct peer {
  side role = side::sender;
  std::optional<tx_handle> tx;
  std::optional<rx_handle> rx;
  std::atomic<bool> done{false};
  // Written by the peer thread before `done`, read by the driver after join.
  model::outcome what = model::outcome::blocks;
  std::optional<int> value;
  bool returned_own_message = true;
  /// The model's result when the peer's call completed at once (it did not park).
  std::optional<model::result> immediate;
  std::thread thread;
};

/// The system under test: the real channel's handle pool, the oracle's state, and the peers.
class harness {
 public:
  /// `name` prefixes the handles in failure reports ("c1." for the second channel of several).
  explicit harness(std::optional<std::size_t> capacity, std::string name = "")
      : model_(capacity ? model::make_bounded(*capacity) : model::make_unbounded()), name_(std::move(name)) {
    auto [tx, rx] = capacity ? rill::bounded<message>(*capacity) : rill::unbounded<message>();
    tx_[0] = std::move(tx);
    rx_[0] = std::move(rx);
  }
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  /// Never hangs, even after a failed assertion: closing wakes every parked peer (R12).
  ~harness() {
    rill::detail::sync::allocation_hook.store(nullptr);
    for (auto& p : peers_) {
      if (!p->done.load()) {
        if (p->tx) p->tx->close();
        if (p->rx) p->rx->close();
      }
    }
    for (auto& p : peers_) p->thread.join();
  }

  [[nodiscard]] const model::state& state() const { return model_; }
  [[nodiscard]] bool rendezvous() const { return model_.capacity == std::size_t{0}; }
  [[nodiscard]] const std::string& name() const { return name_; }

  tx_handle& tx(int slot) { return tx_[static_cast<std::size_t>(slot)]; }
  rx_handle& rx(int slot) { return rx_[static_cast<std::size_t>(slot)]; }

  /// Advances the model by the step whose result is `observed`; fails the property otherwise.
  void follow(const model::operation& call, const model::result& observed, const std::string& code) {
    follow_steps(model::allowed(model_, call), observed, code);
  }

  /// The same, for steps the caller asked the model for (the selection steps, for example).
  void follow_steps(std::vector<model::step> steps, const model::result& observed, const std::string& code) {
    for (model::step& candidate : steps) {
      if (candidate.result == observed) {
        model_ = std::move(candidate.next);
        RC_ASSERT(model::valid(model_));
        return;
      }
    }
    std::string allowed_text;
    for (const auto& step : steps) allowed_text += describe(step.result) + " ";
    if (steps.empty()) allowed_text = "nothing ";
    RC_FAIL(code + " returned " + describe(observed) + "; the model allows: " + allowed_text + "in " + name_ +
            describe(model_));
  }

  /// The model's only answer if every allowed step is `blocks` (the driver skips the call).
  [[nodiscard]] bool would_block(const model::operation& call) const {
    const auto steps = model::allowed(model_, call);
    return !steps.empty() && std::all_of(steps.begin(), steps.end(),
                                         [](const model::step& s) { return s.result.what == model::outcome::blocks; });
  }

  /// The model allows `ok` for this call (a parked peer of the other side pairs with it).
  [[nodiscard]] bool may_succeed(const model::operation& call) const {
    const auto steps = model::allowed(model_, call);
    return std::any_of(steps.begin(), steps.end(),
                       [](const model::step& s) { return s.result.what == model::outcome::ok; });
  }

  /// Runs a non-blocking or blocking call; on a rendezvous, retries while a peer the model says is
  /// parked has not reached the channel yet (only the no-peer result `transient` is tolerated).
  template <class Attempt>
  void run_call(const model::operation& call, const std::string& code, model::outcome transient, Attempt attempt) {
    const bool retry = rendezvous() && may_succeed(call) && !call.on_empty_handle;
    for (int attempts = 0;; ++attempts) {
      model::result observed = attempt();
      if (retry && observed.what == transient && attempts < peer_arrival_attempts) {
        std::this_thread::yield();
        continue;
      }
      follow(call, observed, code);
      return;
    }
  }

  void set_allocation_failing(bool failing) {
    allocation_failing_ = failing;
    rill::detail::sync::allocation_hook.store(failing ? &refuse_allocation : nullptr);
  }
  [[nodiscard]] bool allocation_failing() const { return allocation_failing_; }

  /// Starts a peer that sends `value` (or receives) with a copy of the pool handle `slot`.
  void start_peer(side role, int slot, int value) {
    auto p = std::make_unique<peer>();
    p->role = role;
    model::operation copy;
    copy.kind = role == side::sender ? model::op_kind::clone_sender : model::op_kind::clone_receiver;
    if (role == side::sender) {
      p->tx.emplace(tx(slot));
    } else {
      p->rx.emplace(rx(slot));
    }
    follow(copy, {model::outcome::ok, {}, {}}, "peer handle copy");
    model::operation call;
    call.kind = role == side::sender ? model::op_kind::peer_send : model::op_kind::peer_recv;
    call.message = value;
    const auto steps = model::allowed(model_, call);
    RC_ASSERT(!steps.empty());
    // The peer's own outcome is checked when it is reaped; here the model records that it parked
    // or completed. Any step is consistent so far (a receive may pair with any parked sender):
    // take the first, the reap compares the multisets of messages.
    peer* raw = p.get();
    if (role == side::sender) {
      message outgoing(value);
      p->thread = std::thread([raw, value, outgoing = std::move(outgoing)]() mutable {
        {
          auto result = raw->tx->send(std::move(outgoing));
          if (result) {
            raw->what = model::outcome::ok;
          } else {
            result.error().message.handled = true;
            raw->what = from_send(result).what;
            raw->value = result.error().message.value;
            raw->returned_own_message = result.error().message.value == value;
          }
        }
        raw->done.store(true);
      });
    } else {
      p->thread = std::thread([raw] {
        {
          auto result = raw->rx->recv();
          if (result) {
            result->handled = true;
            raw->value = result->value;
          }
          raw->what = from_recv(result).what;
        }
        raw->done.store(true);
      });
    }
    peers_.push_back(std::move(p));
    if (steps.size() == 1) {
      if (steps.front().result.what != model::outcome::blocks) raw->immediate = steps.front().result;
      model_ = steps.front().next;
    } else {
      // peer_recv with several parked senders: the model cannot know which one the real thread
      // takes. Park the choice: wait for the real receiver, then follow the matching step.
      raw->thread.join();
      raw->thread = std::thread([] {});
      model::result observed{raw->what, raw->value, {}};
      follow(call, observed, "peer rx.recv()");
      raw->immediate = observed;
    }
    settle();
  }

  /// Reaps the peers the model says have completed; checks their results; releases their handles.
  void settle() {
    for (bool changed = true; changed;) {
      changed = false;
      for (side role : {side::sender, side::receiver}) {
        std::size_t running = 0;
        for (const auto& p : peers_) running += p->role == role ? 1 : 0;
        const std::size_t parked = role == side::sender ? model_.waiting_senders.size() : model_.waiting_receivers;
        RC_ASSERT(running >= parked);
        const std::size_t finishing = running - parked;
        if (finishing == 0) continue;
        auto count_done = [&] {
          std::size_t done = 0;
          for (const auto& p : peers_) done += (p->role == role && p->done.load()) ? 1 : 0;
          return done;
        };
        for (int attempts = 0; count_done() < finishing; ++attempts) {
          if (attempts > peer_arrival_attempts) {
            RC_FAIL("a rendezvous peer the model says has completed is still blocked in " +
                    std::string(role == side::sender ? "send" : "recv") + " in " + describe(model_));
          }
          std::this_thread::yield();
        }
        RC_ASSERT(count_done() == finishing);  // a peer the model says is parked returned
        for (auto it = peers_.begin(); it != peers_.end();) {
          peer& p = **it;
          if (p.role != role || !p.done.load()) {
            ++it;
            continue;
          }
          p.thread.join();
          if (p.immediate) {
            // The model said this call completes at once: the real one must agree.
            RC_ASSERT(p.what == p.immediate->what);
            if (role == side::receiver) RC_ASSERT(p.value == p.immediate->message);
          }
          if (role == side::sender) {
            RC_ASSERT(p.returned_own_message);  // R9
            // A peer woken by disconnection gets its message back (returned_to_peers); one that
            // found the channel disconnected at once is not in that list (its result says it).
            if (p.what == model::outcome::disconnected && !p.immediate)
              real_returned_.push_back(*p.value);
            else if (p.what != model::outcome::disconnected)
              RC_ASSERT(p.what == model::outcome::ok);
            p.tx.reset();
            model::operation drop;
            drop.kind = model::op_kind::drop_sender;
            follow(drop, {model::outcome::ok, {}, {}}, "peer sender release");
          } else {
            if (p.what == model::outcome::ok)
              real_peer_received_.push_back(*p.value);
            else
              RC_ASSERT(p.what == model::outcome::disconnected);
            p.rx.reset();
            model::operation drop;
            drop.kind = model::op_kind::drop_receiver;
            follow(drop, {model::outcome::ok, {}, {}}, "peer receiver release");
          }
          it = peers_.erase(it);
          changed = true;
        }
      }
    }
    auto sorted = [](std::vector<int> values) {
      std::sort(values.begin(), values.end());
      return values;
    };
    // The messages real peers received / got back are the model's (R9, R18).
    RC_ASSERT(sorted(real_peer_received_) == sorted(model_.peer_received));
    RC_ASSERT(sorted(real_returned_) == sorted(model_.returned_to_peers));
  }

  [[nodiscard]] std::size_t live_peers() const { return peers_.size(); }

  /// Messages the model says are still in the channel: buffered, or held by parked peer senders.
  [[nodiscard]] long held() const { return static_cast<long>(model_.buffer.size() + model_.waiting_senders.size()); }

  /// Messages the model says were destroyed: by the channel (R11) or by an abandoned selected
  /// receive (R34).
  [[nodiscard]] std::vector<int> destroyed() const {
    std::vector<int> all = model_.destroyed;
    all.insert(all.end(), model_.abandoned_receives.begin(), model_.abandoned_receives.end());
    return all;
  }

  /// R9, R11, R25 after every step: exactly the model's messages are alive, and exactly the
  /// model's `destroyed` were destroyed by the channel.
  void check_accounting() const;

  /// Ends a sequence: releases every handle through the model, calling `check` after each slot.
  /// Afterwards no handle, peer or message of this channel is left (R25).
  template <class Check>
  void release_everything(Check check) {
    for (int slot = 0; slot < pool_size; ++slot) {
      if (tx(slot)) {
        tx(slot).reset();
        model::operation drop;
        drop.kind = model::op_kind::drop_sender;
        follow(drop, {model::outcome::ok, {}, {}}, name_ + handle_name(side::sender, slot) + ".reset()");
        settle();
      }
      if (rx(slot)) {
        rx(slot).reset();
        model::operation drop;
        drop.kind = model::op_kind::drop_receiver;
        follow(drop, {model::outcome::ok, {}, {}}, name_ + handle_name(side::receiver, slot) + ".reset()");
        settle();
      }
      check();
    }
    RC_ASSERT(peers_.empty());
    RC_ASSERT(model_.senders == 0u);
    RC_ASSERT(model_.receivers == 0u);
    RC_ASSERT(held() == 0L);
  }
  void release_everything() {
    release_everything([this] { check_accounting(); });
    RC_ASSERT(message::live.load() == 0L);
  }

  /// Rendezvous: waits until the peers the model says are parked have reached the real channel,
  /// so that a non-blocking operation of the driver sees them. Each parked peer is seen through a
  /// readiness wait (R36) of the operation it would pair with, made with a pool handle of the
  /// other side; with no such handle the driver cannot pair with the peer, so there is nothing to
  /// wait for. Callers keep at most one peer parked per channel: a readiness wait tells one
  /// waiting peer from none, not one from two. The wait is bounded only so that a peer that never
  /// arrives (a bug) fails the property instead of hanging it.
  void await_parked_peers() {
    if (!rendezvous()) return;
    const auto wait = [&](rill::selector& readiness, const char* what) {
      if (!readiness.ready_for(std::chrono::seconds(60)).has_value()) {
        RC_FAIL(std::string("a rendezvous peer the model says is parked in ") + what +
                " never reached the channel: " + describe(model_));
      }
    };
    for (int slot = 0; slot < pool_size; ++slot) {
      if (model_.waiting_receivers != 0 && tx(slot)) {
        rill::selector readiness;
        readiness.send(tx(slot));
        wait(readiness, "recv");
        break;
      }
    }
    for (int slot = 0; slot < pool_size; ++slot) {
      if (!model_.waiting_senders.empty() && rx(slot)) {
        rill::selector readiness;
        readiness.recv(rx(slot));
        wait(readiness, "send");
        break;
      }
    }
  }

 private:
  model::state model_;
  std::string name_;
  std::array<tx_handle, pool_size> tx_;
  std::array<rx_handle, pool_size> rx_;
  bool allocation_failing_ = false;
  std::vector<std::unique_ptr<peer>> peers_;
  std::vector<int> real_peer_received_;
  std::vector<int> real_returned_;
};

/// R9, R11, R25, R34 for several channels at once: the values alive are exactly the messages
/// their models hold, and the values destroyed (the ledger) exactly those their models say were
/// destroyed.
template <class Harnesses>
void check_accounting(const Harnesses& channels) {
  long expected = 0;
  std::vector<int> expected_destroyed;
  std::string states;
  for (const auto& channel : channels) {
    expected += channel->held();
    const std::vector<int> gone = channel->destroyed();
    expected_destroyed.insert(expected_destroyed.end(), gone.begin(), gone.end());
    states += channel->name() + describe(channel->state()) + " ";
  }
  const long live = message::live.load();
  if (live != expected) {
    RC_FAIL("messages alive: " + std::to_string(live) + ", the model holds " + std::to_string(expected) + " in " +
            states);
  }
  std::sort(expected_destroyed.begin(), expected_destroyed.end());
  const std::vector<int> real_destroyed = destruction_ledger::instance().sorted_copy();
  if (real_destroyed != expected_destroyed) {
    auto text = [](const std::vector<int>& values) {
      std::string out = "[";
      for (int value : values) out += std::to_string(value) + " ";
      return out + "]";
    };
    RC_FAIL("messages destroyed: " + text(real_destroyed) + ", the model says " + text(expected_destroyed) + " in " +
            states);
  }
}

inline void harness::check_accounting() const {
  const harness* self = this;
  rill_property::check_accounting(std::array<const harness*, 1>{self});
}

}  // namespace rill_property
