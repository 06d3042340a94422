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
  void record_destruction(int id) noexcept { destructions_[static_cast<std::size_t>(id)].fetch_add(1, std::memory_order_relaxed); }
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
        if (times_received[id] != 0 || log.book.destructions(id) != 0) problem(name + " was never made, yet received or destroyed");
        continue;
      case fate::sent:
        ++sent;
        if (times_received[id] == 0) ++discarded;
        if (times_received[id] > 1) problem(name + " was received " + std::to_string(times_received[id]) + " times (R9, KB16)");
        if (times_received[id] == 0 && !options.abandon) problem(name + " was sent but never received: lost (R9)");
        break;
      case fate::not_chosen:
        if (times_received[id] != 0) problem(name + " was offered by a send case that did not run, and received (R30, KB16)");
        break;
    }
    if (log.book.destructions(id) != 1) {
      problem(name + "'s value was destroyed " + std::to_string(log.book.destructions(id)) + " times, not once (R25, R34)");
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

}  // namespace
