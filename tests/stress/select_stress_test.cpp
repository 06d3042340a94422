// Stress tests of selection: many threads selecting over several channels of mixed flavors next
// to plain senders and receivers, with every message accounted for.
//
// Topology (every test): four channels, either one of each flavor (rendezvous, bounded 1,
// bounded 8, unbounded: "mixed") or four of one flavor; on them
//   * four plain senders (one per channel) and four plain receivers (one per channel, iterating);
//   * two select-senders using rill::selector over sends on all four channels, and one using
//     the select statement (four send cases, four distinct messages: one is sent, three die
//     with the statement);
//   * two select-receivers using rill::selector (removing an operation once it reports
//     disconnected) and one using the statement (switching a finished case off with never<T>()).
// The selecting threads pick at random, per selection, between the blocking form, the try form
// (retrying after a yield) and a timed form with a 0-100 us timeout, so that every path of
// the selection loop (try, register, abort, park, time out, accept, retry) runs against the
// others. The second test also abandons selected operations at random (R34).
//
// Every message owns a heap payload (so ASan sees a double destruction or a leak) and an id in a
// ledger; after the threads have joined the tests check that every sent id was received exactly
// once (or, for an abandoned receive, destroyed unreceived), that no id offered but not chosen
// was received, and that every id's value was destroyed exactly once.
//
// Threads start together on a std::latch and stop by message counts and disconnection; no test
// sleeps or reads a clock to synchronise (timeouts appear only as operations under test).
//
// Scale: message counts are multiplied by RILL_STRESS_SCALE (default 1):
//   RILL_STRESS_SCALE=20 ctest --test-dir build/dev -L stress -R select
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

using rill::test::stress_scale;

/// Messages per producer at scale 1 (seven producers per test).
constexpr int messages_per_producer = 3000;

constexpr int channel_count = 4;

// ---------------------------------------------------------------------------------------------
// Messages that account for themselves
// ---------------------------------------------------------------------------------------------

/// Destructions of each message id's value.
class ledger {
 public:
  explicit ledger(std::size_t ids) : destructions_(ids) {}
  void record_destruction(int id) noexcept {
    destructions_[static_cast<std::size_t>(id)].fetch_add(1, std::memory_order_relaxed);
  }
  /// Read after the threads have joined.
  [[nodiscard]] int destructions(std::size_t id) const { return destructions_[id].load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t size() const { return destructions_.size(); }

 private:
  std::vector<std::atomic<int>> destructions_;
};

std::uint64_t checksum(int id) { return (static_cast<std::uint64_t>(id) + 1) * 0x9E3779B97F4A7C15ull; }

/// A message with an id and a heap payload. `alive` counts objects (moved-from ones included);
/// the ledger counts destructions of values.
class parcel {
 public:
  static inline std::atomic<long> alive{0};

  parcel(ledger& book, int id) : book_(&book), id_(id), payload_(std::make_unique<std::uint64_t>(checksum(id))) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  parcel(parcel&& other) noexcept
      : book_(std::exchange(other.book_, nullptr)), id_(other.id_), payload_(std::move(other.payload_)) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  // Move-assignable: a select receive needs it today (see tests/unit/select_test.cpp).
  parcel& operator=(parcel&& other) noexcept {
    if (this != &other) {
      if (book_ != nullptr) book_->record_destruction(id_);
      book_ = std::exchange(other.book_, nullptr);
      id_ = other.id_;
      payload_ = std::move(other.payload_);
    }
    return *this;
  }
  parcel(const parcel&) = delete;
  parcel& operator=(const parcel&) = delete;
  ~parcel() {
    if (book_ != nullptr) book_->record_destruction(id_);
    alive.fetch_sub(1, std::memory_order_relaxed);
  }

  [[nodiscard]] int id() const noexcept { return id_; }
  [[nodiscard]] bool intact() const { return book_ != nullptr && payload_ != nullptr && *payload_ == checksum(id_); }

 private:
  ledger* book_;
  int id_;
  std::unique_ptr<std::uint64_t> payload_;
};

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// Which channels a run uses: capacities (0 = rendezvous, nullopt = unbounded).
struct channel_set {
  const char* name;
  std::array<std::optional<std::size_t>, channel_count> capacities;
};

void PrintTo(const channel_set& set, std::ostream* out) { *out << set.name; }

const channel_set all_sets[] = {
    {"mixed", {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::nullopt}},
    {"rendezvous", {std::size_t{0}, std::size_t{0}, std::size_t{0}, std::size_t{0}}},
    {"bounded1", {std::size_t{1}, std::size_t{1}, std::size_t{1}, std::size_t{1}}},
    {"bounded8", {std::size_t{8}, std::size_t{8}, std::size_t{8}, std::size_t{8}}},
    {"unbounded", {std::nullopt, std::nullopt, std::nullopt, std::nullopt}},
};

enum class fate : std::uint8_t { unused, sent, not_chosen };

/// The producers: 0-3 plain (producer k sends on channel k), 4-5 selector, 6 statement.
constexpr int plain_producers = channel_count;
constexpr int selector_producers = 2;
constexpr int producers = plain_producers + selector_producers + 1;
constexpr int statement_producer = producers - 1;
/// The consumers: 0-3 plain (consumer k receives from channel k), 4-5 selector, 6 statement.
constexpr int consumers = channel_count + 2 + 1;

/// Everything a run records. Ids: producer p's message s, case c (the statement's four cases;
/// c = 0 for every other producer) is p * stride + s * 4 + c. Each producer writes only its
/// own part of `fates`, each consumer only its own `received`; both are read after the joins.
struct journal {
  explicit journal(int per_producer)
      : per_producer(per_producer),
        stride(per_producer * channel_count),
        book(static_cast<std::size_t>(producers * stride)),
        fates(book.size(), fate::unused),
        received(consumers) {}

  [[nodiscard]] int id(int producer, int sequence, int which_case = 0) const {
    return producer * stride + sequence * channel_count + which_case;
  }
  parcel make(int id) { return parcel(book, id); }
  void record(int consumer, const parcel& taken) {
    EXPECT_TRUE(taken.intact()) << "consumer " << consumer << " received a damaged message";
    received[static_cast<std::size_t>(consumer)].push_back(taken.id());
  }

  int per_producer;
  int stride;
  ledger book;
  std::vector<fate> fates;
  std::vector<std::vector<int>> received;
  std::atomic<long> abandoned_receives{0};
  std::atomic<long> abandoned_sends{0};
};

/// How a selecting thread waits, chosen at random per selection.
enum class form { blocking, polling, timed };

form pick_form(std::mt19937& random) {
  switch (random() % 3) {
    case 0: return form::blocking;
    case 1: return form::polling;
    default: return form::timed;
  }
}

/// Runs one selection of `selection` in the given form until it selects; the selected operation.
rill::selected_operation select_in(rill::selector& selection, form how, std::mt19937& random) {
  for (;;) {
    switch (how) {
      case form::blocking: return selection.select();
      case form::polling: {
        auto chosen = selection.try_select();
        if (chosen) return std::move(*chosen);
        EXPECT_EQ(chosen.error(), rill::select_error::would_block);
        std::this_thread::yield();
        break;
      }
      case form::timed: {
        auto chosen = selection.select_for(std::chrono::microseconds(random() % 100));
        if (chosen) return std::move(*chosen);
        EXPECT_EQ(chosen.error(), rill::select_error::timeout);
        break;
      }
    }
  }
}

struct run_options {
  bool abandon = false;  // select-senders and select-receivers abandon one selection in eight
};

/// Runs the topology on `set`; checks the accounting. Returns the journal for extra checks.
void run(const channel_set& set, const run_options& options) {
  const int per_producer = messages_per_producer * stress_scale();
  journal log(per_producer);
  {
    std::vector<rill::sender<parcel>> tx;
    std::vector<rill::receiver<parcel>> rx;
    for (const auto& capacity : set.capacities) {
      auto [s, r] = capacity ? rill::bounded<parcel>(*capacity) : rill::unbounded<parcel>();
      tx.push_back(std::move(s));
      rx.push_back(std::move(r));
    }
    std::latch start(producers + consumers);
    std::vector<std::jthread> threads;

    // Plain senders.
    for (int k = 0; k < plain_producers; ++k) {
      threads.emplace_back([&, k, tx = tx[static_cast<std::size_t>(k)]]() mutable {
        start.arrive_and_wait();
        for (int s = 0; s < per_producer; ++s) {
          const int id = log.id(k, s);
          EXPECT_TRUE(tx.send(log.make(id)).has_value()) << "a send failed although every receiver is alive";
          log.fates[static_cast<std::size_t>(id)] = fate::sent;
        }
      });
    }
    // Select-senders with a selector.
    for (int p = plain_producers; p < plain_producers + selector_producers; ++p) {
      threads.emplace_back([&, p, tx = tx]() mutable {
        std::mt19937 random(static_cast<unsigned>(p * 7919));
        rill::selector selection;
        for (auto& each : tx) selection.send(each);
        start.arrive_and_wait();
        for (int s = 0; s < per_producer;) {
          rill::selected_operation chosen = select_in(selection, pick_form(random), random);
          if (options.abandon && random() % 8 == 0) {
            chosen.abandon();  // R34: nothing is sent; the same message goes in a later selection
            log.abandoned_sends.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
          const int id = log.id(p, s);
          EXPECT_TRUE(chosen.send(tx[chosen.index()], log.make(id)).has_value());
          log.fates[static_cast<std::size_t>(id)] = fate::sent;
          ++s;
        }
      });
    }
    // The select-sender with the statement: four messages offered, one sent.
    threads.emplace_back([&, tx = tx]() mutable {
      constexpr int p = statement_producer;
      start.arrive_and_wait();
      for (int s = 0; s < per_producer; ++s) {
        auto sent = [](int which_case) {
          return [which_case](rill::send_result<parcel> result) {
            EXPECT_TRUE(result.has_value());
            return which_case;
          };
        };
        const int chosen = rill::select(rill::on_send(tx[0], log.make(log.id(p, s, 0)), sent(0)),
                                        rill::on_send(tx[1], log.make(log.id(p, s, 1)), sent(1)),
                                        rill::on_send(tx[2], log.make(log.id(p, s, 2)), sent(2)),
                                        rill::on_send(tx[3], log.make(log.id(p, s, 3)), sent(3)));
        for (int c = 0; c < channel_count; ++c) {
          log.fates[static_cast<std::size_t>(log.id(p, s, c))] = c == chosen ? fate::sent : fate::not_chosen;
        }
      }
    });
    // Plain receivers.
    for (int k = 0; k < channel_count; ++k) {
      threads.emplace_back([&, k, rx = rx[static_cast<std::size_t>(k)]]() mutable {
        start.arrive_and_wait();
        for (parcel& taken : rx) log.record(k, taken);
      });
    }
    // Select-receivers with a selector.
    for (int c = channel_count; c < channel_count + 2; ++c) {
      threads.emplace_back([&, c, rx = rx]() mutable {
        std::mt19937 random(static_cast<unsigned>(c * 104729));
        rill::selector selection;
        for (auto& each : rx) selection.recv(each);
        start.arrive_and_wait();
        for (int open = channel_count; open > 0;) {
          rill::selected_operation chosen = select_in(selection, pick_form(random), random);
          const std::size_t k = chosen.index();
          if (options.abandon && random() % 8 == 0) {
            // R34: a receive abandoned is a message destroyed unreceived -- unless it was the
            // disconnection, which keeps being ready.
            chosen.abandon();
            log.abandoned_receives.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
          auto taken = chosen.recv(rx[k]);
          if (taken) {
            log.record(c, *taken);
          } else {
            EXPECT_EQ(taken.error(), rill::recv_error::disconnected);
            selection.remove(k);
            --open;
          }
        }
      });
    }
    // The select-receiver with the statement.
    threads.emplace_back([&, rx = rx]() mutable {
      constexpr int c = consumers - 1;
      auto off = rill::never<parcel>();
      std::array<bool, channel_count> open{true, true, true, true};
      start.arrive_and_wait();
      while (std::any_of(open.begin(), open.end(), [](bool b) { return b; })) {
        auto take = [&](std::size_t k) {
          return [&, k](rill::recv_result<parcel> got) {
            if (got) {
              log.record(c, *got);
            } else {
              EXPECT_EQ(got.error(), rill::recv_error::disconnected);
              open[k] = false;
            }
          };
        };
        rill::select(rill::on_recv(open[0] ? rx[0] : off, take(0)), rill::on_recv(open[1] ? rx[1] : off, take(1)),
                     rill::on_recv(open[2] ? rx[2] : off, take(2)), rill::on_recv(open[3] ? rx[3] : off, take(3)));
      }
    });
    // Only the threads hold handles now: the channels disconnect when the senders are done.
    tx.clear();
    rx.clear();
  }  // joins

  // Accounting.
  std::vector<int> times_received(log.book.size(), 0);
  long received = 0;
  for (const auto& ids : log.received) {
    for (const int id : ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(static_cast<std::size_t>(id), times_received.size());
      ++times_received[static_cast<std::size_t>(id)];
      ++received;
    }
  }
  long sent = 0;
  long discarded = 0;
  int problems = 0;
  auto problem = [&](const std::string& what) {
    if (++problems <= 12) ADD_FAILURE() << what;
  };
  for (std::size_t id = 0; id < log.book.size(); ++id) {
    const std::string name = "message id " + std::to_string(id);
    switch (log.fates[id]) {
      case fate::unused:
        if (times_received[id] != 0 || log.book.destructions(id) != 0)
          problem(name + " was never made, yet received or destroyed");
        continue;
      case fate::sent:
        ++sent;
        if (times_received[id] == 0) ++discarded;
        if (times_received[id] > 1)
          problem(name + " was received " + std::to_string(times_received[id]) + " times (R9, KB16)");
        if (times_received[id] == 0 && !options.abandon) problem(name + " was sent but never received: lost (R9)");
        break;
      case fate::not_chosen:
        if (times_received[id] != 0)
          problem(name + " was offered by a send case that did not run, and received (R30, KB16)");
        break;
    }
    if (log.book.destructions(id) != 1) {
      problem(name + "'s value was destroyed " + std::to_string(log.book.destructions(id)) +
              " times, not once (R25, R34)");
    }
  }
  EXPECT_EQ(problems, 0);
  // Every message sent by the select-senders went through a selection that completed; the
  // abandoned receives account for exactly the sent messages nobody received.
  EXPECT_EQ(sent, static_cast<long>(producers) * per_producer);
  EXPECT_EQ(received + discarded, sent);
  EXPECT_LE(discarded, log.abandoned_receives.load()) << "more messages vanished than receives were abandoned";
  if (options.abandon) {
    std::cout << "[ select stress ] " << received << " received, " << log.abandoned_receives.load()
              << " receives abandoned (" << discarded << " messages destroyed unreceived, the rest were "
              << "disconnections), " << log.abandoned_sends.load() << " sends abandoned\n";
  }
}

class select_stress : public testing::TestWithParam<channel_set> {
 protected:
  void SetUp() override { parcel::alive.store(0); }
  void TearDown() override {
    EXPECT_EQ(parcel::alive.load(), 0) << "a message object was leaked or destroyed twice (R25)";
  }
};

INSTANTIATE_TEST_SUITE_P(channels, select_stress, testing::ValuesIn(all_sets),
                         [](const testing::TestParamInfo<channel_set>& info) { return std::string(info.param.name); });

TEST_P(select_stress, selects_and_plain_operations_deliver_every_message_exactly_once) {
  // SPEC R30, R31, R32, R33, R35, R37, R38, R39, R42, R9, R25 (KB15, KB16, KB24)
  run(GetParam(), run_options{});
}

TEST_P(select_stress, abandoned_selections_under_load_lose_and_duplicate_nothing) {
  // SPEC R34, R30, R33, R37, R38, R9, R25 (KB4, KB15)
  run(GetParam(), run_options{.abandon = true});
}

// ---------------------------------------------------------------------------------------------
// A timed selection whose deadline has passed proves an instant with nothing ready (R20, R30)
// ---------------------------------------------------------------------------------------------
//
// The red team's shape: two buffered channels, c0 holding a message; a mover thread sends on one
// channel and only then receives from the other, back and forth (c1 <- m, t <- c0, c0 <- t,
// m <- c1, ...), so at every instant at least one of them holds a message. A timed selection
// over both receives, with a zero or passed deadline, must then never report timeout: R20 makes
// it "try once", which is try_select's contract (R30), and try_select must not report
// would_block here. A single pass of tries can look at c1 just before the mover's send and at c0
// just after its receive, and time out with a message in a channel throughout; that was the
// blocking path's last look, until it became the double collect of the non-blocking path
// (select_loop.hpp, look_once).
//
// A selected message is put back on the channel it came from before the next selection, so the
// mover, which only ever sends to a channel whose other message is elsewhere, never overfills a
// bounded one (each channel holds at most one message of the two). Rounds are counted; the mover
// stops at a flag after the last round. Every form runs the same number of rounds and every
// wrong timeout is counted, so a failure says how often each form went wrong.

/// How a round's selection is made.
enum class timed_form : std::uint8_t {
  select_for_zero,     // selector::select_for(0ns)
  select_until_past,   // selector::select_until(a time point an hour ago)
  select_for_passing,  // selector::select_for(1us): a deadline that passes during the call
  on_timeout_zero,     // rill::select(..., on_timeout(0ns, ...))
  on_deadline_past,    // rill::select(..., on_deadline(an hour ago, ...))
  ready_for_zero,      // selector::ready_for(0ns): readiness only, nothing is taken
  count,
};

constexpr std::array<const char*, static_cast<std::size_t>(timed_form::count)> timed_form_names{
    "select_for(0ns)", "select_until(past)", "select_for(1us)",
    "on_timeout(0ns)", "on_deadline(past)",  "ready_for(0ns)"};

/// Channels that never hold a message, selected next to c0 and c1. The order of a selection's
/// tries is random, so these put a random number of tries between the looks at c0 and at c1:
/// the wider that interval, the likelier the mover completes a move inside it. Measured on the
/// single pass of tries that the fix replaced (Debug build, 2 cores): with no idle channel it
/// missed both in under 1 round of 10,000 (too rare for a test of a few thousand rounds), with
/// 14 in 1-2 rounds of 100.
constexpr std::size_t idle_channels = 14;

class select_deadline_stress : public testing::TestWithParam<rill::test::flavor> {};

INSTANTIATE_TEST_SUITE_P(buffered, select_deadline_stress,
                         testing::Values(rill::test::flavor{"bounded1", 1}, rill::test::flavor{"bounded4", 4},
                                         rill::test::flavor{"unbounded", std::nullopt}),
                         [](const testing::TestParamInfo<rill::test::flavor>& info) {
                           return std::string(info.param.name);
                         });

TEST_P(select_deadline_stress, a_passed_deadline_never_times_out_while_a_message_moves_between_the_channels) {
  // SPEC R20, R30, R36
  constexpr int rounds_per_form = 5000;
  const int rounds = rounds_per_form * stress_scale();
  std::array<rill::sender<int>, 2> tx;
  std::array<rill::receiver<int>, 2> rx;
  for (std::size_t k = 0; k < 2; ++k) {
    auto [s, r] = GetParam().make<int>();
    tx[k] = std::move(s);
    rx[k] = std::move(r);
  }
  ASSERT_TRUE(tx[0].try_send(0).has_value());  // the message the mover takes back and forth ...
  std::atomic<bool> stop{false};
  std::atomic<long> moves{0};
  std::jthread mover([&, tx = tx, rx = rx]() mutable {
    // try_send and try_recv, retried, rather than send and recv: the mover must keep moving, and
    // a receive that parked while the test held the message would wake long after it is back.
    int held = 1;  // ... and the one it holds: one of the two is always in c0 or c1
    auto send_then_take = [&](std::size_t to, std::size_t from) {
      for (;;) {
        auto sent = tx[to].try_send(held);
        if (sent) break;
        if (sent.error().reason != rill::send_errc::full) return false;
      }
      for (;;) {
        auto taken = rx[from].try_recv();
        if (taken) {
          held = *taken;
          moves.fetch_add(1);
          return true;
        }
        if (taken.error() != rill::recv_error::empty) return false;
      }
    };
    while (!stop.load()) {
      if (!send_then_take(1, 0) || !send_then_take(0, 1)) {
        ADD_FAILURE() << "the mover's channels were disconnected (the test ended early)";
        return;
      }
    }
  });
  // If an assertion below ends the test early, the mover must not wait for a message the test
  // holds: closing the channels makes its operations fail and it returns.
  struct close_on_exit {
    std::array<rill::sender<int>, 2>& channels;
    ~close_on_exit() {
      for (auto& each : channels) each.close();
    }
  } closer{tx};

  rill::selector selection;
  selection.recv(rx[0]);
  selection.recv(rx[1]);
  std::array<std::pair<rill::sender<int>, rill::receiver<int>>, idle_channels> idle;
  for (auto& each : idle) {
    each = GetParam().make<int>();
    selection.recv(each.second);
  }
  const auto put_back = [&](std::size_t k, rill::recv_result<int> taken) {
    ASSERT_TRUE(taken.has_value()) << rill::to_string(taken.error());
    ASSERT_TRUE(tx[k].send(*taken).has_value());
  };
  const auto past = std::chrono::steady_clock::now() - 1h;
  while (moves.load() < 2) std::this_thread::yield();  // the mover is running
  std::array<int, static_cast<std::size_t>(timed_form::count)> wrong_timeouts{};
  for (std::size_t form = 0; form < wrong_timeouts.size(); ++form) {
    for (int round = 0; round < rounds; ++round) {
      bool timed_out = false;
      switch (static_cast<timed_form>(form)) {
        case timed_form::select_for_zero:
        case timed_form::select_until_past:
        case timed_form::select_for_passing: {
          auto chosen = form == 0   ? selection.select_for(0ns)
                        : form == 1 ? selection.select_until(past)
                                    : selection.select_for(1us);
          if (chosen) {
            const std::size_t k = chosen->index();
            put_back(k, chosen->recv(rx[k]));
          } else {
            ASSERT_EQ(chosen.error(), rill::select_error::timeout);
            timed_out = true;
          }
          break;
        }
        case timed_form::on_timeout_zero:
        case timed_form::on_deadline_past: {
          auto from = [&](std::size_t k) {
            return [&, k](rill::recv_result<int> taken) {
              put_back(k, std::move(taken));
              return false;
            };
          };
          auto never_taken = [](rill::recv_result<int>) {
            ADD_FAILURE() << "a case on an idle channel ran";
            return false;
          };
          auto timeout = [] { return true; };
          timed_out = [&]<std::size_t... I>(std::index_sequence<I...>) {
            if (static_cast<timed_form>(form) == timed_form::on_timeout_zero) {
              return rill::select(rill::on_recv(rx[0], from(0)), rill::on_recv(rx[1], from(1)),
                                  rill::on_recv(idle[I].second, never_taken)..., rill::on_timeout(0ns, timeout));
            }
            return rill::select(rill::on_recv(rx[0], from(0)), rill::on_recv(rx[1], from(1)),
                                rill::on_recv(idle[I].second, never_taken)..., rill::on_deadline(past, timeout));
          }(std::make_index_sequence<idle_channels>{});
          break;
        }
        case timed_form::ready_for_zero: {
          auto ready = selection.ready_for(0ns);
          if (!ready) {
            ASSERT_EQ(ready.error(), rill::select_error::timeout);
            timed_out = true;
          }
          break;
        }
        case timed_form::count: break;
      }
      if (timed_out) ++wrong_timeouts[form];
    }
  }
  stop.store(true);
  mover.join();

  std::string counts;
  int total = 0;
  for (std::size_t form = 0; form < wrong_timeouts.size(); ++form) {
    counts +=
        std::string(counts.empty() ? "" : ", ") + timed_form_names[form] + " " + std::to_string(wrong_timeouts[form]);
    total += wrong_timeouts[form];
  }
  std::cout << "[ deadline stress ] " << GetParam().name << ": " << moves.load() << " moves; wrong timeouts in "
            << rounds << " rounds per form: " << counts << "\n";
  EXPECT_EQ(total, 0) << "a timed selection timed out although c0 or c1 held a message throughout: " << counts;
}

}  // namespace
