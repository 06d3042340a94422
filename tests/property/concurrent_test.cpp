// Concurrent property tests: random programs of 2-4 threads on one channel, run on real threads
// started together by a std::latch; the history they record is checked against the spec.
//
// Programs
// --------
// Every thread owns one copy of the sender and one of the receiver (the main thread keeps no
// handle) and runs a random list of operations: send, try_send, send_for, recv, try_recv, recv_for
// (timeouts from -1 us to 1 ms), release of its sender or receiver, close(). At its end it releases
// whatever it still holds. Messages are (thread, sequence) pairs encoded as thread * 1000 + seq.
//
// Termination (no timing involved): a thread issues a blocking send only after it has released
// its receiver, and a blocking recv only after it has released its sender; everything else is
// non-blocking or timed. Suppose some threads block forever. Every thread that does not block
// finishes its bounded list and releases its handles. A blocked sender holds no receiver and a
// blocked receiver holds no sender. If both kinds are blocked, the channel is both full and empty
// (buffered flavors: impossible) or a rendezvous with a sender and a receiver waiting (they pair).
// If only senders are blocked, nobody holds a receiver: the channel is disconnected and they wake
// (R11). If only receivers are blocked, nobody holds a sender: they drain and wake (R10). So every
// program ends, and the test's run time is bounded by operation counts.
//
// What the history shows, and why each check is sound
// ---------------------------------------------------
// Every operation has an invocation and a response event. Happens-before edges we may rely on:
//   * program order: inv(op) -> resp(op) -> inv(next op of the same thread);
//   * R15: inv(send(m)) -> resp(recv(m)) (everything before a send happens-before the return of the
//     receive that takes its message).
// x ~> y below means y is reachable from x along these edges; then x happened before y in real
// time. A message is *buffered* (SPEC glossary) when its send has completed and no receive has
// yet taken it. The channel destroys buffered messages only in the last receiver's release
// (R11); every thread releases its receiver explicitly or at its end, so a message destroyed by
// the channel was buffered until after every thread's receiver release had started.
//
//   exactly once (R9, R25): received values are distinct, each from a successful send; the values
//     the channel destroyed (the destruction ledger) are distinct and were never received; every
//     successful send is received or destroyed; nothing is alive at the end. Failed sends hand back
//     their own message (checked in the thread). Rendezvous: nothing is ever destroyed by it.
//   per-sender FIFO (R13): for messages i < j of one sender, both received, resp(recv j) ~> inv(recv
//     i) is forbidden (j was taken before i began); if i was destroyed by the channel, j may not have
//     been received at all (the receive skipped a buffered older message).
//   capacity (R1, R17), bounded C: at the instant resp(e) of a successful send e, these messages
//     are certainly buffered: e's own message and every m whose send completed before (resp(send m)
//     ~> resp(e)) and that is received only by a receive starting later (resp(e) ~> inv(recv m)),
//     or destroyed by the channel with resp(e) ~> every thread's receiver release. More than C of
//     them is a violation. (The converse, "a full channel", cannot be shown without timestamps.)
//   room and messages seen (R4, R7, R8, R14, R20): a message certainly buffered during the whole
//     of a try_recv / recv_for (its send completed before the call began, its taker began after the
//     call returned, or it was destroyed by the channel later) forbids `empty` and `timeout`; if
//     fewer than C messages can possibly be buffered at any instant of a try_send / send_for (count
//     every successful send not certainly after it and not certainly received before it, plus the
//     messages destroyed by the channel), `full` / `timeout` are forbidden, unless the call
//     reported disconnected.
//   disconnection (R7, R10, R12, KB13): a receive that reports `disconnected` while a message is
//     certainly buffered (as above) is a violation; after a disconnection was observed (a close()
//     returned, or a send or a receive reported `disconnected`), every send that begins later
//     fails with `disconnected`, and every receive that begins later reports neither `empty` nor
//     `timeout`; after a receive reported `disconnected`, every receive that begins later reports
//     `disconnected` (drained for good).
//   rendezvous (R18): every successful send's message was received, and its receive did not begin
//     after the send returned (not resp(send) ~> inv(recv)).
//
// Replay: see property_support.hpp.
#include "property_support.hpp"

#include <bitset>
#include <chrono>
#include <latch>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using rill_property::message;

enum class op { send, try_send, send_for, recv, try_recv, recv_for, release_sender, release_receiver, close };

const char* name_of(op kind) {
  switch (kind) {
    case op::send: return "send";
    case op::try_send: return "try_send";
    case op::send_for: return "send_for";
    case op::recv: return "recv";
    case op::try_recv: return "try_recv";
    case op::recv_for: return "recv_for";
    case op::release_sender: return "tx.reset";
    case op::release_receiver: return "rx.reset";
    case op::close: return "close";
  }
  return "?";
}

bool is_send(op kind) { return kind == op::send || kind == op::try_send || kind == op::send_for; }
bool is_recv(op kind) { return kind == op::recv || kind == op::try_recv || kind == op::recv_for; }

struct planned {
  op kind = op::try_send;
  int timeout_us = 0;  // send_for / recv_for
};

struct program {
  std::optional<std::size_t> capacity;
  std::vector<std::vector<planned>> threads;
};

std::string text_of(const program& p) {
  std::string text = p.capacity ? "bounded(" + std::to_string(*p.capacity) + ")\n" : "unbounded()\n";
  for (std::size_t t = 0; t < p.threads.size(); ++t) {
    text += "thread " + std::to_string(t) + ":";
    for (const planned& step : p.threads[t]) {
      text += std::string(" ") + name_of(step.kind);
      if (step.kind == op::send_for || step.kind == op::recv_for) text += "(" + std::to_string(step.timeout_us) + "us)";
      text += ";";
    }
    text += "\n";
  }
  return text;
}

/// Generates a program that is guaranteed to terminate (see the header comment).
program generate(std::optional<std::size_t> capacity) {
  program p;
  p.capacity = capacity;
  const int thread_count = *rc::gen::inRange(2, 5);
  for (int t = 0; t < thread_count; ++t) {
    std::vector<planned> steps;
    bool tx = true;
    bool rx = true;
    const int length = *rc::gen::inRange(1, 13);
    for (int i = 0; i < length; ++i) {
      std::vector<op> choices;
      if (tx) {
        choices.insert(choices.end(), {op::try_send, op::try_send, op::send_for, op::send_for, op::release_sender});
        if (!rx) choices.insert(choices.end(), {op::send, op::send});
      }
      if (rx) {
        choices.insert(choices.end(), {op::try_recv, op::try_recv, op::recv_for, op::recv_for, op::release_receiver});
        if (!tx) choices.insert(choices.end(), {op::recv, op::recv});
      }
      if (tx || rx) choices.push_back(op::close);
      if (choices.empty()) break;
      planned step;
      step.kind = *rc::gen::elementOf(choices);
      if (step.kind == op::send_for || step.kind == op::recv_for)
        step.timeout_us = *rc::gen::element(-1, 0, 50, 200, 1000);
      if (step.kind == op::release_sender) tx = false;
      if (step.kind == op::release_receiver) rx = false;
      steps.push_back(step);
    }
    p.threads.push_back(std::move(steps));
  }
  return p;
}

enum class outcome { ok, full, timeout, disconnected, empty, out_of_memory };

const char* name_of(outcome what) {
  switch (what) {
    case outcome::ok: return "ok";
    case outcome::full: return "full";
    case outcome::timeout: return "timeout";
    case outcome::disconnected: return "disconnected";
    case outcome::empty: return "empty";
    case outcome::out_of_memory: return "out_of_memory";
  }
  return "?";
}

struct record {
  op kind = op::close;
  int thread = 0;
  int index = 0;   // position in the thread's history
  int value = -1;  // sent value (sends), received value (successful receives)
  outcome what = outcome::ok;
  bool own_message_back = true;  // failed send: the exact message came back (R9)
};

/// Runs the program on real threads and returns each thread's history.
std::vector<std::vector<record>> execute(const program& p) {
  auto [tx, rx] = p.capacity ? rill::bounded<message>(*p.capacity) : rill::unbounded<message>();
  const std::size_t count = p.threads.size();
  std::vector<rill::sender<message>> senders(count, tx);
  std::vector<rill::receiver<message>> receivers(count, rx);
  tx.reset();
  rx.reset();
  std::vector<std::vector<record>> history(count);
  std::latch start(static_cast<std::ptrdiff_t>(count));
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < count; ++t) {
      threads.emplace_back([&, t] {
        auto& mine = history[t];
        auto& my_tx = senders[t];
        auto& my_rx = receivers[t];
        int seq = 0;
        start.arrive_and_wait();
        for (const planned& step : p.threads[t]) {
          record r;
          r.kind = step.kind;
          r.thread = static_cast<int>(t);
          r.index = static_cast<int>(mine.size());
          if (is_send(step.kind)) {
            r.value = static_cast<int>(t) * 1000 + seq++;
            message outgoing(r.value);
            auto result = step.kind == op::send ? my_tx.send(std::move(outgoing))
                          : step.kind == op::try_send
                              ? my_tx.try_send(std::move(outgoing))
                              : my_tx.send_for(std::move(outgoing), std::chrono::microseconds(step.timeout_us));
            if (result) {
              r.what = outcome::ok;
            } else {
              result.error().message.handled = true;
              r.own_message_back = result.error().message.value == r.value;
              switch (result.error().reason) {
                case rill::send_errc::full: r.what = outcome::full; break;
                case rill::send_errc::timeout: r.what = outcome::timeout; break;
                case rill::send_errc::disconnected: r.what = outcome::disconnected; break;
                case rill::send_errc::out_of_memory: r.what = outcome::out_of_memory; break;
                case rill::send_errc::cancelled: throw std::logic_error("R50: a thread's send reported cancelled");
              }
            }
          } else if (is_recv(step.kind)) {
            auto result = step.kind == op::recv       ? my_rx.recv()
                          : step.kind == op::try_recv ? my_rx.try_recv()
                                                      : my_rx.recv_for(std::chrono::microseconds(step.timeout_us));
            if (result) {
              result->handled = true;
              r.value = result->value;
              r.what = outcome::ok;
            } else {
              switch (result.error()) {
                case rill::recv_error::empty: r.what = outcome::empty; break;
                case rill::recv_error::timeout: r.what = outcome::timeout; break;
                case rill::recv_error::disconnected: r.what = outcome::disconnected; break;
                case rill::recv_error::cancelled: throw std::logic_error("R50: a thread's receive reported cancelled");
              }
            }
          } else if (step.kind == op::release_sender) {
            my_tx.reset();
          } else if (step.kind == op::release_receiver) {
            my_rx.reset();
          } else {
            if (my_tx)
              my_tx.close();
            else
              my_rx.close();
          }
          mine.push_back(r);
        }
        // The implicit end of the thread: release both handles (recorded: the capacity and
        // disconnection arguments need to know when the receiver was released).
        const bool had_receiver = my_rx.valid();
        my_tx.reset();
        my_rx.reset();
        if (had_receiver) {
          record end;
          end.kind = op::release_receiver;
          end.thread = static_cast<int>(t);
          end.index = static_cast<int>(mine.size());
          mine.push_back(end);
        }
      });
    }
  }
  return history;
}

constexpr std::size_t max_events = 2 * 4 * 14;
using event_set = std::bitset<max_events>;

/// Happens-before reachability between the invocation and response events of a history.
class order {
 public:
  explicit order(const std::vector<std::vector<record>>& history) {
    for (const auto& thread : history) {
      for (const record& r : thread) {
        ids_[{r.thread, r.index}] = count_;
        count_ += 1;
      }
    }
    reach_.assign(2 * count_, event_set{});
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    std::map<int, std::size_t> send_of_value;
    for (const auto& thread : history) {
      for (const record& r : thread) {
        const std::size_t id = ids_[{r.thread, r.index}];
        edges.emplace_back(inv(id), resp(id));
        if (r.index > 0) edges.emplace_back(resp(ids_[{r.thread, r.index - 1}]), inv(id));
        if (is_send(r.kind)) send_of_value[r.value] = id;
      }
    }
    for (const auto& thread : history) {
      for (const record& r : thread) {
        if (is_recv(r.kind) && r.what == outcome::ok && send_of_value.contains(r.value)) {
          edges.emplace_back(inv(send_of_value[r.value]), resp(ids_[{r.thread, r.index}]));  // R15
        }
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (auto [from, to] : edges) {
        event_set next = reach_[from] | reach_[to];
        next.set(to);
        if (next != reach_[from]) {
          reach_[from] = next;
          changed = true;
        }
      }
    }
  }

  [[nodiscard]] std::size_t id(const record& r) const { return ids_.at({r.thread, r.index}); }
  static std::size_t inv(std::size_t id) { return 2 * id; }
  static std::size_t resp(std::size_t id) { return 2 * id + 1; }
  /// The response of `a` happens before the invocation of `b`.
  [[nodiscard]] bool before(const record& a, const record& b) const { return reach_[resp(id(a))].test(inv(id(b))); }
  /// The response of `a` happens before the response of `b` (or a is b).
  [[nodiscard]] bool completed_before_completion(const record& a, const record& b) const {
    return id(a) == id(b) || reach_[resp(id(a))].test(resp(id(b)));
  }

 private:
  std::map<std::pair<int, int>, std::size_t> ids_;
  std::size_t count_ = 0;
  std::vector<event_set> reach_;
};

void check_history(const program& p, const std::vector<std::vector<record>>& history) {
  const bool rendezvous = p.capacity == std::size_t{0};
  const order hb(history);

  std::vector<record> all;
  for (const auto& thread : history) all.insert(all.end(), thread.begin(), thread.end());

  std::map<int, record> sent;      // successful sends by value
  std::map<int, record> received;  // successful receives by value
  for (const record& r : all) {
    if (is_send(r.kind)) {
      if (r.what != outcome::ok) RC_ASSERT(r.own_message_back);  // R9
      if (r.what == outcome::ok) sent[r.value] = r;
      RC_ASSERT(r.what != outcome::out_of_memory);  // R24: no allocation hook here
      if (p.capacity) RC_ASSERT(r.what != outcome::out_of_memory);
      if (!p.capacity) RC_ASSERT(r.what != outcome::full && r.what != outcome::timeout);  // R1: never full
    }
    if (is_recv(r.kind) && r.what == outcome::ok) {
      if (received.contains(r.value)) RC_FAIL("message " + std::to_string(r.value) + " received twice");
      if (!sent.contains(r.value) && [&] {
            for (const record& s : all) {
              if (is_send(s.kind) && s.value == r.value && s.what == outcome::ok) return false;
            }
            return true;
          }()) {
        RC_FAIL("message " + std::to_string(r.value) + " received but never successfully sent");
      }
      received[r.value] = r;
    }
  }
  const std::vector<int> destroyed = rill_property::destruction_ledger::instance().take();
  std::set<int> destroyed_set;
  for (int value : destroyed) {
    if (!destroyed_set.insert(value).second) RC_FAIL("message " + std::to_string(value) + " destroyed twice");
    if (received.contains(value)) RC_FAIL("message " + std::to_string(value) + " received and destroyed");
    if (!sent.contains(value)) RC_FAIL("message " + std::to_string(value) + " destroyed but never sent");
  }
  for (const auto& [value, s] : sent) {
    if (!received.contains(value) && !destroyed_set.contains(value)) {
      RC_FAIL("message " + std::to_string(value) + " was sent but neither received nor destroyed (lost)");
    }
  }
  RC_ASSERT(message::live.load() == 0L);         // R25
  if (rendezvous) RC_ASSERT(destroyed.empty());  // R18: nothing is ever buffered

  // Each thread's receiver release (explicit, or at its end).
  std::vector<record> receiver_releases;
  for (const record& r : all) {
    if (r.kind == op::release_receiver) receiver_releases.push_back(r);
  }
  auto destroyed_after = [&](const record& e) {
    // A message the channel destroyed was still buffered when e responded.
    return std::all_of(receiver_releases.begin(), receiver_releases.end(),
                       [&](const record& release) { return hb.before(e, release); });
  };
  // m certainly buffered at the instant e responded (send completed, not taken yet).
  auto buffered_at_response = [&](const record& m_send, const record& e) {
    if (!hb.completed_before_completion(m_send, e)) return false;
    if (auto taken = received.find(m_send.value); taken != received.end()) return hb.before(e, taken->second);
    return destroyed_set.contains(m_send.value) && destroyed_after(e);
  };
  // m certainly buffered during the whole of e (send completed before e began, not taken before
  // e returned).
  auto buffered_throughout = [&](const record& m_send, const record& e) {
    if (!hb.before(m_send, e)) return false;
    if (auto taken = received.find(m_send.value); taken != received.end()) return hb.before(e, taken->second);
    return destroyed_set.contains(m_send.value) && destroyed_after(e);
  };
  // m possibly buffered at some instant of e.
  auto possibly_buffered_during = [&](const record& m_send, const record& e) {
    if (hb.before(e, m_send)) return false;  // sent after e returned
    if (auto taken = received.find(m_send.value); taken != received.end()) return !hb.before(taken->second, e);
    return true;
  };

  // Per-sender FIFO (R13).
  for (const auto& [value_i, send_i] : sent) {
    for (const auto& [value_j, send_j] : sent) {
      if (send_i.thread != send_j.thread || send_i.index >= send_j.index) continue;
      const bool i_received = received.contains(value_i);
      const bool j_received = received.contains(value_j);
      if (i_received && j_received && hb.before(received.at(value_j), received.at(value_i))) {
        RC_FAIL("FIFO: " + std::to_string(value_j) + " was received before the receive of the older " +
                std::to_string(value_i) + " began");
      }
      if (!i_received && j_received) {
        RC_FAIL("FIFO: " + std::to_string(value_j) + " was received although the older " + std::to_string(value_i) +
                " from the same sender was never received");
      }
    }
  }

  for (const record& e : all) {
    // Capacity (R1, R17).
    if (p.capacity && *p.capacity > 0 && is_send(e.kind) && e.what == outcome::ok) {
      std::size_t buffered = 0;
      for (const auto& [value, m] : sent) buffered += buffered_at_response(m, e) ? 1 : 0;
      if (buffered > *p.capacity) {
        RC_FAIL("capacity " + std::to_string(*p.capacity) + " exceeded: " + std::to_string(buffered) +
                " messages certainly buffered when send of " + std::to_string(e.value) + " returned");
      }
    }
    // Room (R4, R5, R20).
    if (p.capacity && *p.capacity > 0 && is_send(e.kind) && (e.what == outcome::full || e.what == outcome::timeout)) {
      std::size_t possible = 0;
      for (const auto& [value, m] : sent) possible += possibly_buffered_during(m, e) ? 1 : 0;
      if (possible < *p.capacity) {
        RC_FAIL(std::string("send of ") + std::to_string(e.value) + " reported " + name_of(e.what) + " but at most " +
                std::to_string(possible) + " messages can have been buffered");
      }
    }
    // Messages seen, and drain before disconnection (R7, R8, R10, R14, KB13).
    if (is_recv(e.kind) && e.what != outcome::ok) {
      for (const auto& [value, m] : sent) {
        if (buffered_throughout(m, e)) {
          RC_FAIL(std::string(name_of(e.kind)) + " reported " + name_of(e.what) + " while message " +
                  std::to_string(value) + " was certainly buffered");
        }
      }
    }
    // Rendezvous (R18).
    if (rendezvous && is_send(e.kind) && e.what == outcome::ok) {
      auto taken = received.find(e.value);
      RC_ASSERT(taken != received.end());
      if (hb.before(e, taken->second)) {
        RC_FAIL("rendezvous send of " + std::to_string(e.value) + " returned before its receive began");
      }
    }
    // Disconnection is permanent (R10, R12).
    const bool observed_disconnection =
        e.kind == op::close || ((is_send(e.kind) || is_recv(e.kind)) && e.what == outcome::disconnected);
    if (observed_disconnection) {
      for (const record& later : all) {
        if (!hb.before(e, later)) continue;
        if (is_send(later.kind) && later.what != outcome::disconnected) {
          RC_FAIL(std::string(name_of(later.kind)) + " of " + std::to_string(later.value) + " reported " +
                  name_of(later.what) + " after a disconnection was observed");
        }
        if (is_recv(later.kind) && (later.what == outcome::empty || later.what == outcome::timeout)) {
          RC_FAIL(std::string(name_of(later.kind)) + " reported " + name_of(later.what) +
                  " after a disconnection was observed");
        }
        if (is_recv(e.kind) && is_recv(later.kind) && later.what != outcome::disconnected) {
          RC_FAIL("a receive returned a message after a receive had reported disconnected");
        }
      }
    }
  }
}

void run_program(std::optional<std::size_t> capacity) {
  const program p = generate(capacity);
  RC_LOG() << text_of(p);
  rill_property::reset_accounting();
  const auto history = execute(p);
  std::string text;
  for (const auto& thread : history) {
    for (const record& r : thread) {
      text += "t" + std::to_string(r.thread) + "#" + std::to_string(r.index) + " " + name_of(r.kind);
      if (is_send(r.kind) || (is_recv(r.kind) && r.what == outcome::ok)) text += "(" + std::to_string(r.value) + ")";
      if (is_send(r.kind) || is_recv(r.kind)) text += std::string(" -> ") + name_of(r.what);
      text += "\n";
    }
  }
  RC_LOG() << "history:\n" << text;
  check_history(p, history);
  rill_property::reset_accounting();
}

int cases(int normal) { return rill_property::under_tsan() ? normal / 2 : normal; }

TEST(concurrent, rendezvous_histories_satisfy_the_spec) {
  // SPEC R9, R10, R12, R13, R15, R18, R19, R25
  rill_property::check_property(cases(200), 100, [] { run_program(std::size_t{0}); });
}

TEST(concurrent, bounded_one_histories_satisfy_the_spec) {
  // SPEC R1, R4, R7, R9, R10, R11, R12, R13, R14, R15, R17, R25
  rill_property::check_property(cases(200), 100, [] { run_program(std::size_t{1}); });
}

TEST(concurrent, bounded_histories_satisfy_the_spec) {
  // SPEC R1, R4, R7, R9, R10, R11, R12, R13, R14, R15, R17, R25
  rill_property::check_property(cases(200), 100,
                                [] { run_program(static_cast<std::size_t>(*rc::gen::element(2, 3))); });
}

TEST(concurrent, unbounded_histories_satisfy_the_spec) {
  // SPEC R1, R7, R9, R10, R11, R12, R13, R14, R15, R25
  rill_property::check_property(cases(200), 100, [] { run_program(std::nullopt); });
}

}  // namespace
