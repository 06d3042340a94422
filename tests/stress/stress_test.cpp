// Stress tests of rill's channels: many threads on one channel, and every message accounted for.
//
// Each test runs for every flavor (rendezvous = bounded 0, bounded 1, bounded 8, unbounded) and,
// where the shape of the traffic matters, for 1x1, 4x1, 1x4 and 4x4 producers x consumers. Every
// message carries its producer and sequence number and owns a heap payload (so that ASan sees a
// double destruction or a leak); after the threads have joined the tests check:
//   * exactly once: every successful send is received exactly once, or, only where the last
//     receiver goes mid-stream, destroyed by the channel; every failed send handed its message
//     back intact;
//   * per-sender FIFO: each consumer sees each producer's sequence numbers in increasing order,
//     and a single consumer sees exactly each producer's successful sends, in order;
//   * lifetimes: every message object is destroyed, and every message value exactly once, by the
//     time the channel is gone.
//
// Threads start together on a std::latch or std::barrier and stop by message counts. No test
// sleeps or reads a clock to synchronise: timed operations appear only as operations under test,
// and one watchdog (the KB6 regression) turns a hang into a failure.
//
// Scale: every message count is multiplied by RILL_STRESS_SCALE (default 1); a deep run is
//   RILL_STRESS_SCALE=20 ctest --test-dir build/dev -L stress
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <latch>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------------------------

using rill::test::stress_scale;

/// Messages per test case at scale 1, shared among the producers.
constexpr int messages_per_case = 10000;

/// Rounds of the last-handle races at scale 1 (each round is a fresh channel).
constexpr int racing_rounds = 1000;

// ---------------------------------------------------------------------------------------------
// Messages that account for themselves
// ---------------------------------------------------------------------------------------------

/// How often the value of each message has been destroyed, by message id.
class ledger {
 public:
  ledger(int producers, int per_producer)
      : per_producer_(per_producer), destructions_(static_cast<std::size_t>(producers * per_producer)) {}

  [[nodiscard]] std::size_t id(int producer, int sequence) const {
    return static_cast<std::size_t>(producer * per_producer_ + sequence);
  }
  void record_destruction(int producer, int sequence) noexcept {
    destructions_[id(producer, sequence)].fetch_add(1, std::memory_order_relaxed);
  }
  /// Read after the threads have joined (or passed a latch): relaxed is enough.
  [[nodiscard]] int destructions(std::size_t message_id) const {
    return destructions_[message_id].load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::vector<int> snapshot() const {
    std::vector<int> copy;
    copy.reserve(destructions_.size());
    for (const auto& count : destructions_) copy.push_back(count.load(std::memory_order_relaxed));
    return copy;
  }

 private:
  int per_producer_;
  std::vector<std::atomic<int>> destructions_;
};

std::uint64_t checksum(int producer, int sequence) {
  const auto key =
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(producer)) << 32) | static_cast<std::uint32_t>(sequence);
  return (key + 1) * 0x9E3779B97F4A7C15ull;
}

/// A message that knows who sent it and counts its own lifetime.
///
/// `alive` counts objects (moved-from ones included), so it is 0 exactly when every object has
/// been destroyed. The ledger counts destructions of *values*: a moved-from object holds no value,
/// so each message id must be destroyed exactly once, wherever it ends.
class message {
 public:
  static inline std::atomic<long> alive{0};

  message(ledger& book, int producer, int sequence)
      : book_(&book),
        producer_(producer),
        sequence_(sequence),
        payload_(std::make_unique<std::uint64_t>(checksum(producer, sequence))) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  message(message&& other) noexcept
      : book_(std::exchange(other.book_, nullptr)),
        producer_(other.producer_),
        sequence_(other.sequence_),
        payload_(std::move(other.payload_)) {
    alive.fetch_add(1, std::memory_order_relaxed);
  }
  message& operator=(message&& other) noexcept {
    if (this != &other) {
      if (book_ != nullptr) book_->record_destruction(producer_, sequence_);
      book_ = std::exchange(other.book_, nullptr);
      producer_ = other.producer_;
      sequence_ = other.sequence_;
      payload_ = std::move(other.payload_);
    }
    return *this;
  }
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message() {
    if (book_ != nullptr) book_->record_destruction(producer_, sequence_);
    alive.fetch_sub(1, std::memory_order_relaxed);
  }

  [[nodiscard]] int producer() const noexcept { return producer_; }
  [[nodiscard]] int sequence() const noexcept { return sequence_; }

  /// True if this object holds the value of message (producer, sequence), unchanged.
  [[nodiscard]] bool holds(int producer, int sequence) const {
    return book_ != nullptr && producer_ == producer && sequence_ == sequence && payload_ != nullptr &&
           *payload_ == checksum(producer, sequence);
  }
  [[nodiscard]] bool intact() const { return holds(producer_, sequence_); }

 private:
  ledger* book_;
  int producer_;
  int sequence_;
  std::unique_ptr<std::uint64_t> payload_;
};

// ---------------------------------------------------------------------------------------------
// What a run records, and the checks made after every thread has joined
// ---------------------------------------------------------------------------------------------

enum class outcome : std::uint8_t { not_attempted, sent, handed_back };

/// Everything one stress run records. Each producer writes only its own row of `outcomes`, each
/// consumer only its own `received` list; they are read after the threads have joined.
struct journal {
  journal(int producer_count, int consumer_count, int messages_per_producer)
      : producers(producer_count),
        per_producer(messages_per_producer),
        book(producer_count, messages_per_producer),
        outcomes(static_cast<std::size_t>(producer_count),
                 std::vector<outcome>(static_cast<std::size_t>(messages_per_producer), outcome::not_attempted)),
        received(static_cast<std::size_t>(consumer_count)) {}

  message make(int producer, int sequence) { return message(book, producer, sequence); }
  void set(int producer, int sequence, outcome what) {
    outcomes[static_cast<std::size_t>(producer)][static_cast<std::size_t>(sequence)] = what;
  }
  void record(int consumer, const message& taken) {
    EXPECT_TRUE(taken.intact()) << "consumer " << consumer << " received a damaged message";
    received[static_cast<std::size_t>(consumer)].emplace_back(taken.producer(), taken.sequence());
  }

  int producers;
  int per_producer;
  ledger book;
  std::vector<std::vector<outcome>> outcomes;              // [producer][sequence]
  std::vector<std::vector<std::pair<int, int>>> received;  // [consumer]: (producer, sequence), in order
};

/// Collects what went wrong in a check; keeps the first few descriptions.
class findings {
 public:
  void add(const std::string& what) {
    if (count_++ < 12) text_ += "\n  " + what;
  }
  [[nodiscard]] int count() const { return count_; }
  [[nodiscard]] std::string text() const {
    return text_ + (count_ > 12 ? "\n  ... and " + std::to_string(count_ - 12) + " more" : std::string());
  }

 private:
  int count_ = 0;
  std::string text_;
};

std::string name_of(int producer, int sequence) {
  return "message " + std::to_string(producer) + ":" + std::to_string(sequence);
}

/// May a successfully sent message end without being received?
enum class unreceived {
  forbidden,         // everything sent is received (no receiver goes away mid-stream)
  may_be_discarded,  // the last receiver went mid-stream: what was buffered was destroyed (R11)
};

/// Where one message went.
struct tally {
  int sent = 0;
  int handed_back = 0;
  int received = 0;
  int discarded = 0;                // sent, never received: destroyed by the channel
  std::vector<int> times_received;  // by message id
};

/// The exactly-once, per-sender FIFO and lifetime checks. Call after every thread has joined and
/// every handle of the channel is gone. `one_channel` is false when the journal spans several
/// channels (then order is only checked per consumer).
tally check_accounting(const journal& log, unreceived policy, bool one_channel = true) {
  findings problems;
  tally result;
  const auto producers = static_cast<std::size_t>(log.producers);
  const auto per_producer = static_cast<std::size_t>(log.per_producer);
  result.times_received.assign(producers * per_producer, 0);

  // Per-sender FIFO for each consumer (R13).
  for (std::size_t consumer = 0; consumer < log.received.size(); ++consumer) {
    std::vector<int> last(producers, -1);
    for (const auto& [producer, sequence] : log.received[consumer]) {
      if (producer < 0 || producer >= log.producers || sequence < 0 || sequence >= log.per_producer) {
        problems.add("consumer " + std::to_string(consumer) + " received an unknown " + name_of(producer, sequence));
        continue;
      }
      ++result.times_received[log.book.id(producer, sequence)];
      ++result.received;
      int& previous = last[static_cast<std::size_t>(producer)];
      if (sequence <= previous) {
        problems.add("consumer " + std::to_string(consumer) + " received " + name_of(producer, sequence) + " after " +
                     name_of(producer, previous) + ": per-sender FIFO broken (R13)");
      }
      previous = sequence;
    }
  }

  // Exactly once (R9), and every value destroyed exactly once (R25).
  for (int producer = 0; producer < log.producers; ++producer) {
    for (int sequence = 0; sequence < log.per_producer; ++sequence) {
      const std::size_t id = log.book.id(producer, sequence);
      const outcome what = log.outcomes[static_cast<std::size_t>(producer)][static_cast<std::size_t>(sequence)];
      const int received = result.times_received[id];
      const int destroyed = log.book.destructions(id);
      const std::string name = name_of(producer, sequence);
      switch (what) {
        case outcome::not_attempted: problems.add(name + " was never sent (test bug)"); break;
        case outcome::sent:
          ++result.sent;
          if (received == 0) {
            ++result.discarded;
            if (policy == unreceived::forbidden) problems.add(name + " was sent but never received: lost (R9)");
          }
          break;
        case outcome::handed_back:
          ++result.handed_back;
          if (received != 0) problems.add(name + " was handed back by a failed send and also received (R9)");
          break;
      }
      if (received > 1) problems.add(name + " was received " + std::to_string(received) + " times (R9)");
      if (destroyed != 1) {
        problems.add(name + "'s value was destroyed " + std::to_string(destroyed) + " times, not once (R25)");
      }
    }
  }

  // A single consumer of one channel sees each producer's successful sends exactly, in order:
  // all of them, or (when the last receiver left early) a prefix of them.
  if (one_channel && log.received.size() == 1) {
    std::vector<std::vector<int>> got(producers);
    for (const auto& [producer, sequence] : log.received[0]) {
      if (producer >= 0 && producer < log.producers) got[static_cast<std::size_t>(producer)].push_back(sequence);
    }
    for (std::size_t producer = 0; producer < producers; ++producer) {
      std::vector<int> sent;
      for (std::size_t sequence = 0; sequence < per_producer; ++sequence) {
        if (log.outcomes[producer][sequence] == outcome::sent) sent.push_back(static_cast<int>(sequence));
      }
      const auto& taken = got[producer];
      const bool prefix = taken.size() <= sent.size() && std::equal(taken.begin(), taken.end(), sent.begin());
      if (!prefix || (policy == unreceived::forbidden && taken.size() != sent.size())) {
        problems.add("the single consumer did not receive producer " + std::to_string(producer) +
                     "'s successful sends exactly, in order (R13): " + std::to_string(taken.size()) + " received, " +
                     std::to_string(sent.size()) + " sent");
      }
    }
  }

  EXPECT_EQ(problems.count(), 0) << problems.text();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

using flavor_case = rill::test::flavor;

struct traffic_shape {
  int producers;
  int consumers;
};

// How gtest shows the parameters (in test names from ctest, and in failure messages).
void PrintTo(const traffic_shape& shape, std::ostream* out) {
  *out << shape.producers << " producers x " << shape.consumers << " consumers";
}

const flavor_case all_flavors[] = {
    {"rendezvous", 0},
    {"bounded1", 1},
    {"bounded8", 8},
    {"unbounded", std::nullopt},
};

const traffic_shape all_shapes[] = {{1, 1}, {4, 1}, {1, 4}, {4, 4}};

/// Reset before and checked after every test: no message object outlives its test.
void expect_no_message_alive() {
  EXPECT_EQ(message::alive.load(), 0) << "a message object was leaked or destroyed twice (R25)";
}

class stress_test : public testing::TestWithParam<std::tuple<flavor_case, traffic_shape>> {
 protected:
  void SetUp() override { message::alive.store(0); }
  void TearDown() override { expect_no_message_alive(); }

  [[nodiscard]] const flavor_case& flavor() const { return std::get<0>(GetParam()); }
  [[nodiscard]] int producers() const { return std::get<1>(GetParam()).producers; }
  [[nodiscard]] int consumers() const { return std::get<1>(GetParam()).consumers; }
  [[nodiscard]] int total() const { return messages_per_case * stress_scale(); }
  [[nodiscard]] int per_producer() const { return total() / producers(); }

  void close_mid_stream(bool by_receiver);
  void leave_messages_behind(bool receiver_goes_first);
};

INSTANTIATE_TEST_SUITE_P(flavors, stress_test,
                         testing::Combine(testing::ValuesIn(all_flavors), testing::ValuesIn(all_shapes)),
                         [](const testing::TestParamInfo<std::tuple<flavor_case, traffic_shape>>& info) {
                           const flavor_case& flavor = std::get<0>(info.param);
                           const traffic_shape& shape = std::get<1>(info.param);
                           return std::string(flavor.name) + "_" + std::to_string(shape.producers) + "x" +
                                  std::to_string(shape.consumers);
                         });

class stress_flavor_test : public testing::TestWithParam<flavor_case> {
 protected:
  void SetUp() override { message::alive.store(0); }
  void TearDown() override { expect_no_message_alive(); }
};

INSTANTIATE_TEST_SUITE_P(flavors, stress_flavor_test, testing::ValuesIn(all_flavors),
                         [](const testing::TestParamInfo<flavor_case>& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Exact accounting
// ---------------------------------------------------------------------------------------------

TEST_P(stress_test, every_message_received_exactly_once_in_sender_order) {
  // SPEC R9, R13, R21, R25, R27
  journal log(producers(), consumers(), per_producer());
  {
    auto [tx, rx] = flavor().make<message>();
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&log, &start, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          auto result = tx.send(log.make(producer, sequence));
          EXPECT_TRUE(result.has_value()) << "a send failed although every receiver is alive";
          log.set(producer, sequence, result ? outcome::sent : outcome::handed_back);
        }
        tx.reset();
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&log, &start, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        // Ends when every producer has released its sender and the channel is drained (R27).
        for (message& taken : rx) log.record(consumer, taken);
      });
    }
    tx.reset();
    rx.reset();
  }  // joins
  const tally result = check_accounting(log, unreceived::forbidden);
  EXPECT_EQ(result.received, producers() * per_producer());
}

TEST_P(stress_test, a_send_completes_only_after_the_receive_that_made_room_started) {
  // SPEC R17, R18, R1, R9 (KB23)
  if (!flavor().capacity) GTEST_SKIP() << "an unbounded channel exerts no back-pressure";
  const auto capacity = static_cast<long>(*flavor().capacity);
  // R17: the k-th receive happens-before the (k + C)-th send completes. A consumer counts a
  // receive as started before calling recv(); a producer counts its send after it completes
  // (acq_rel, so every send counted before it also happens-before what it reads next). Then the
  // c sends counted so far hold c distinct places in the channel's order, and at least c - C
  // receives happen-before them: a producer must read receives_started >= c - C. For a
  // rendezvous (C = 0) this is R18: a send returns only after its receiver has taken it (KB23).
  std::atomic<long> receives_started{0};
  std::atomic<long> sends_completed{0};
  std::atomic<int> back_pressure_violations{0};
  std::atomic<int> size_violations{0};
  journal log(producers(), consumers(), per_producer());
  {
    auto [tx, rx] = flavor().make<message>();
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          auto result = tx.send(log.make(producer, sequence));
          EXPECT_TRUE(result.has_value());
          log.set(producer, sequence, result ? outcome::sent : outcome::handed_back);
          const long completed = sends_completed.fetch_add(1, std::memory_order_acq_rel) + 1;
          const long started = receives_started.load(std::memory_order_acquire);
          if (completed > started + capacity) back_pressure_violations.fetch_add(1);
        }
        tx.reset();
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        for (;;) {
          receives_started.fetch_add(1, std::memory_order_acq_rel);
          auto result = rx.recv();
          if (!result) {
            EXPECT_EQ(result.error(), rill::recv_error::disconnected);
            break;
          }
          log.record(consumer, *result);
          if (rx.size() > static_cast<std::size_t>(capacity)) size_violations.fetch_add(1);
        }
      });
    }
    tx.reset();
    rx.reset();
  }
  EXPECT_EQ(back_pressure_violations.load(), 0)
      << "a send completed before the receive that made room for it had started (R17/R18)";
  EXPECT_EQ(size_violations.load(), 0) << "size() reported more messages than the capacity (R1, R26)";
  check_accounting(log, unreceived::forbidden);
}

// ---------------------------------------------------------------------------------------------
// Disconnection mid-stream
// ---------------------------------------------------------------------------------------------

TEST_P(stress_test, last_sender_gone_mid_stream_receivers_drain_then_see_disconnected) {
  // SPEC R10, R7, R8, R14, R16, R9, R13 (KB7, KB13, KB14, KB22)
  // Producers send everything, then release their senders while consumers are receiving or
  // blocked. Consumers mix recv / try_recv / recv_for; nothing buffered may be lost at the
  // disconnection, and once every sender is known to be gone, no receive may say empty or
  // timeout (R14, KB14) - only a message or disconnected.
  journal log(producers(), consumers(), per_producer());
  std::vector<int> last_words(static_cast<std::size_t>(producers()), 0);  // plain data, read after disconnected (R16)
  std::atomic<int> senders_released{0};
  std::latch all_written(producers());
  {
    auto [tx, rx] = flavor().make<message>();
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          auto result = tx.send(log.make(producer, sequence));
          EXPECT_TRUE(result.has_value());
          log.set(producer, sequence, result ? outcome::sent : outcome::handed_back);
        }
        last_words[static_cast<std::size_t>(producer)] = log.per_producer;
        all_written.arrive_and_wait();  // so every producer's write precedes the last release
        tx.reset();
        senders_released.fetch_add(1, std::memory_order_acq_rel);
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        for (int step = consumer;; ++step) {
          // Read before the receive starts: if true, every release happened before it.
          const bool all_gone = senders_released.load(std::memory_order_acquire) == producers();
          const int operation = step % 3;
          auto result = operation == 0 ? rx.recv() : operation == 1 ? rx.try_recv() : rx.recv_for(200us);
          if (result) {
            log.record(consumer, *result);
            continue;
          }
          if (result.error() == rill::recv_error::disconnected) break;
          EXPECT_FALSE(all_gone) << "a receive reported " << rill::to_string(result.error())
                                 << " after every sender was released (R14, R8, KB14)";
        }
        for (int producer = 0; producer < producers(); ++producer) {
          EXPECT_EQ(last_words[static_cast<std::size_t>(producer)], log.per_producer)
              << "what a producer wrote before the last release is not visible after disconnected (R16, KB7)";
        }
        EXPECT_EQ(rx.try_recv().error(), rill::recv_error::disconnected) << "disconnection is for good (R10)";
        EXPECT_EQ(rx.recv().error(), rill::recv_error::disconnected);
        EXPECT_EQ(rx.recv_for(1h).error(), rill::recv_error::disconnected) << "disconnected, never timeout (R8)";
      });
    }
    tx.reset();
    rx.reset();
  }
  const tally result = check_accounting(log, unreceived::forbidden);
  EXPECT_EQ(result.received, producers() * per_producer()) << "messages buffered at the disconnection were lost (KB13)";
}

TEST_P(stress_test, last_receiver_gone_mid_stream_every_send_is_received_discarded_or_handed_back) {
  // SPEC R11, R9, R25, R13, R3 (KB6)
  // Consumers receive half of the messages, then release their receivers while producers are
  // sending or blocked in send. Every send then either succeeded (its message was received, or
  // destroyed by the last receiver's release, before that release returned: KB6) or failed with
  // disconnected and its own message, intact.
  journal log(producers(), consumers(), per_producer());
  const int quota = producers() * per_producer() / 2;
  std::atomic<int> tickets{0};
  std::latch receivers_gone(consumers());
  std::vector<int> destroyed_when_receivers_gone;
  {
    auto [tx, rx] = flavor().make<message>();
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        bool refused = false;
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          auto result = tx.send(log.make(producer, sequence));
          if (result) {
            EXPECT_FALSE(refused) << "a send succeeded after an earlier one reported disconnected (R11)";
            log.set(producer, sequence, outcome::sent);
            continue;
          }
          refused = true;
          EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
          EXPECT_TRUE(result.error().message.holds(producer, sequence))
              << "the failed send did not hand back its own message intact (R9)";
          log.set(producer, sequence, outcome::handed_back);
        }
        tx.reset();
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        while (tickets.fetch_add(1) < quota) {
          auto result = rx.recv();
          EXPECT_TRUE(result.has_value()) << "a receive failed although senders are alive";
          if (!result) break;
          log.record(consumer, *result);
        }
        rx.reset();
        receivers_gone.count_down();
      });
    }
    tx.reset();
    rx.reset();
    receivers_gone.wait();
    // Every receiver's release has returned, producers may still be running: whatever was
    // buffered must already be destroyed (R11), not kept until the last sender goes (KB6).
    destroyed_when_receivers_gone = log.book.snapshot();
  }
  const tally result = check_accounting(log, unreceived::may_be_discarded);
  EXPECT_EQ(result.received, quota);
  EXPECT_EQ(result.sent + result.handed_back, producers() * per_producer());
  if (flavor().rendezvous()) {
    EXPECT_EQ(result.discarded, 0) << "a rendezvous send succeeded without a receiver (R18)";
  }
  int outlived = 0;
  for (int producer = 0; producer < producers(); ++producer) {
    for (int sequence = 0; sequence < per_producer(); ++sequence) {
      const std::size_t id = log.book.id(producer, sequence);
      const bool discarded =
          log.outcomes[static_cast<std::size_t>(producer)][static_cast<std::size_t>(sequence)] == outcome::sent &&
          result.times_received[id] == 0;
      if (discarded && destroyed_when_receivers_gone[id] != 1) ++outlived;
    }
  }
  EXPECT_EQ(outlived, 0) << "buffered messages outlived the last receiver's release (R11, KB6)";
}

void stress_test::close_mid_stream(bool by_receiver) {
  // After half of the messages (sent, or received), one thread closes the channel. Every later
  // send fails with disconnected and its message; consumers drain and then see disconnected;
  // close itself destroys nothing and releases no handle. The main thread keeps a sender and a
  // receiver throughout, so only close() can disconnect.
  journal log(producers(), consumers(), per_producer());
  const int close_at = producers() * per_producer() / 2;
  std::atomic<int> sent_count{0};
  std::atomic<int> received_count{0};
  int closing_note = 0;  // plain data written before close(), read after disconnected (R16)
  auto [tx, rx] = flavor().make<message>();
  {
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        bool refused = false;
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          auto result = tx.send(log.make(producer, sequence));
          if (result) {
            EXPECT_FALSE(refused) << "a send succeeded after an earlier one reported disconnected (R12)";
            log.set(producer, sequence, outcome::sent);
            if (!by_receiver && sent_count.fetch_add(1) + 1 == close_at) {
              closing_note = close_at;
              tx.close();
              EXPECT_TRUE(tx.valid()) << "close() released the handle (R12)";
              EXPECT_TRUE(tx.is_disconnected());
            }
            continue;
          }
          refused = true;
          EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
          EXPECT_TRUE(result.error().message.holds(producer, sequence))
              << "the failed send did not hand back its own message intact (R9)";
          log.set(producer, sequence, outcome::handed_back);
        }
        tx.reset();
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        for (;;) {
          auto result = rx.recv();
          if (!result) {
            EXPECT_EQ(result.error(), rill::recv_error::disconnected);
            break;
          }
          log.record(consumer, *result);
          if (by_receiver && received_count.fetch_add(1) + 1 == close_at) {
            closing_note = close_at;
            rx.close();
            EXPECT_TRUE(rx.valid()) << "close() released the handle (R12)";
            EXPECT_TRUE(rx.is_disconnected());
          }
        }
        EXPECT_EQ(closing_note, close_at) << "what the closing thread wrote is not visible after disconnected (R16)";
        EXPECT_EQ(rx.try_recv().error(), rill::recv_error::disconnected);
      });
    }
  }  // joins
  EXPECT_TRUE(tx.valid());
  EXPECT_TRUE(rx.valid());
  EXPECT_TRUE(tx.is_disconnected());
  EXPECT_EQ(tx.sender_count(), 1u) << "close() changed the handle counts (R12)";
  EXPECT_EQ(rx.receiver_count(), 1u) << "close() changed the handle counts (R12)";
  EXPECT_EQ(message::alive.load(), 0) << "messages are left although the consumers drained the closed channel";
  ledger spare(1, 1);  // the late message is not one of the run's
  auto late = tx.send(message(spare, 0, 0));
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().reason, rill::send_errc::disconnected);
  EXPECT_TRUE(late.error().message.holds(0, 0));
  tx.reset();
  rx.reset();
  const tally result = check_accounting(log, unreceived::forbidden);
  EXPECT_GE(result.sent, close_at);
}

TEST_P(stress_test, close_by_a_sender_mid_stream_fails_sends_with_the_message_and_lets_receivers_drain) {
  // SPEC R12, R9, R10, R16, R13, R25
  close_mid_stream(false);
}

TEST_P(stress_test, close_by_a_receiver_mid_stream_fails_sends_with_the_message_and_lets_receivers_drain) {
  // SPEC R12, R9, R10, R16, R13, R25
  close_mid_stream(true);
}

// ---------------------------------------------------------------------------------------------
// Mixed operations and handle churn
// ---------------------------------------------------------------------------------------------

TEST_P(stress_test, mixed_operations_and_handle_copies_keep_every_message_exactly_once_in_order) {
  // SPEC R9, R13, R21, R4, R5, R7, R8, R25, R27 (KB19)
  // Producers rotate send / try_send retried until it succeeds / send_for retried until it
  // succeeds, and every so often replace their sender with a copy; consumers rotate recv /
  // try_recv / recv_for / try_iter and replace their receiver likewise. Every failed attempt must
  // hand the message back intact, for the same reason it is retried. Timed operations give up
  // while registered as waiters: under ASan with detect_stack_use_after_return=1 this checks
  // that no waker touches a waiter record after its frame is gone (KB19).
  journal log(producers(), consumers(), per_producer());
  std::atomic<long> handed_back{0};
  {
    auto [tx, rx] = flavor().make<message>();
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          if (sequence % 97 == 96) {
            rill::sender<message> fresh = tx;  // copy, then drop the old handle
            tx = std::move(fresh);
          }
          message pending = log.make(producer, sequence);
          const int operation = (sequence + producer) % 3;
          outcome what = outcome::not_attempted;
          while (what == outcome::not_attempted) {
            auto result = operation == 0   ? tx.send(std::move(pending))
                          : operation == 1 ? tx.try_send(std::move(pending))
                                           : tx.send_for(std::move(pending), 200us);
            if (result) {
              what = outcome::sent;
              break;
            }
            const rill::send_errc expected = operation == 1 ? rill::send_errc::full : rill::send_errc::timeout;
            EXPECT_EQ(result.error().reason, expected) << "operation " << operation;
            EXPECT_TRUE(result.error().message.holds(producer, sequence))
                << "a failed send did not hand back its message intact (R9)";
            if (result.error().reason != expected) {
              what = outcome::handed_back;
              break;
            }
            handed_back.fetch_add(1, std::memory_order_relaxed);
            pending = std::move(result.error().message);  // retry with the very message handed back
            std::this_thread::yield();
          }
          log.set(producer, sequence, what);
        }
        tx.reset();
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        bool disconnected = false;
        for (int step = consumer; !disconnected; ++step) {
          if (step % 89 == 88) {
            rill::receiver<message> fresh = rx;  // copy, then drop the old handle
            rx = std::move(fresh);
          }
          switch (step % 4) {
            case 0:
            case 1:
            case 2: {
              auto result = step % 4 == 0 ? rx.recv() : step % 4 == 1 ? rx.try_recv() : rx.recv_for(200us);
              if (result) {
                log.record(consumer, *result);
              } else if (result.error() == rill::recv_error::disconnected) {
                disconnected = true;
              } else {
                EXPECT_NE(step % 4, 0) << "recv failed with " << rill::to_string(result.error());
              }
              break;
            }
            default:
              for (message& taken : rx.try_iter()) log.record(consumer, taken);
              break;
          }
        }
        EXPECT_EQ(rx.try_recv().error(), rill::recv_error::disconnected);
      });
    }
    tx.reset();
    rx.reset();
  }
  check_accounting(log, unreceived::forbidden);
  RecordProperty("handed_back_and_retried", std::to_string(handed_back.load()));
}

// ---------------------------------------------------------------------------------------------
// Lifetimes of what is left behind
// ---------------------------------------------------------------------------------------------

void stress_test::leave_messages_behind(bool receiver_goes_first) {
  // Producers send everything; consumers receive all but `leftover` messages (the capacity of a
  // bounded channel, half of an unbounded one, none of a rendezvous); then the main thread,
  // which holds one sender and one receiver, releases them in the given order.
  const int total_messages = producers() * per_producer();
  const int leftover = flavor().capacity ? static_cast<int>(*flavor().capacity) : total_messages / 2;
  const int quota = total_messages - leftover;
  journal log(producers(), consumers(), per_producer());
  std::atomic<int> tickets{0};
  auto [tx, rx] = flavor().make<message>();
  {
    std::latch start(producers() + consumers());
    std::vector<std::jthread> threads;
    for (int producer = 0; producer < producers(); ++producer) {
      threads.emplace_back([&, producer, tx = tx]() mutable {
        start.arrive_and_wait();
        for (int sequence = 0; sequence < log.per_producer; ++sequence) {
          auto result = tx.send(log.make(producer, sequence));
          EXPECT_TRUE(result.has_value());
          log.set(producer, sequence, result ? outcome::sent : outcome::handed_back);
        }
        tx.reset();
      });
    }
    for (int consumer = 0; consumer < consumers(); ++consumer) {
      threads.emplace_back([&, consumer, rx = rx]() mutable {
        start.arrive_and_wait();
        while (tickets.fetch_add(1) < quota) {
          auto result = rx.recv();
          EXPECT_TRUE(result.has_value());
          if (!result) break;
          log.record(consumer, *result);
        }
        rx.reset();
      });
    }
  }  // joins
  EXPECT_EQ(rx.size(), static_cast<std::size_t>(leftover));
  EXPECT_EQ(message::alive.load(), leftover) << "only the buffered messages should be alive";
  if (receiver_goes_first) {
    rx.reset();  // a sender is still alive: the buffered messages die now all the same (KB6)
    EXPECT_EQ(message::alive.load(), 0) << "buffered messages outlived the last receiver (R11, KB6)";
    ledger spare(1, 1);  // the late message is not one of the run's
    auto late = tx.send(message(spare, 0, 0));
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().reason, rill::send_errc::disconnected);
    EXPECT_TRUE(late.error().message.holds(0, 0));
    tx.reset();
  } else {
    tx.reset();  // the last sender: buffered messages stay for the receivers (R10)
    EXPECT_EQ(message::alive.load(), leftover) << "the last sender's release destroyed buffered messages (R10)";
    EXPECT_TRUE(rx.is_disconnected());
    rx.reset();  // the last handle: everything still buffered dies with it (R25)
    EXPECT_EQ(message::alive.load(), 0);
  }
  const tally result = check_accounting(log, unreceived::may_be_discarded);
  EXPECT_EQ(result.received, quota);
  EXPECT_EQ(result.discarded, leftover);
}

TEST_P(stress_test, messages_left_in_the_channel_die_exactly_once_with_the_last_handle) {
  // SPEC R25, R11, R10, R26 (KB6)
  leave_messages_behind(true);
  leave_messages_behind(false);
}

TEST_P(stress_test, regression_buffered_requests_release_their_reply_senders_when_the_last_receiver_goes) {
  // SPEC R11, R25, R9 (KB6)
  // Requesters send requests that own the sender of a reply channel, and wait for the reply
  // while still holding their request sender. Servers answer half of the requests, then release
  // their receivers. Every request left buffered must die then, dropping its reply sender, so
  // that its requester sees disconnected; with KB6 it would wait forever. The wait is bounded
  // by a watchdog only so that the bug fails the test instead of hanging it.
  struct request {
    int requester;
    int sequence;
    rill::sender<int> reply;
  };
  const int requesters = producers();
  const int servers = consumers();
  const int per_requester = std::max(1, per_producer() / 8);  // each request is a round trip
  const int quota = requesters * per_requester / 2;
  std::atomic<int> tickets{0};
  std::atomic<int> answered{0};
  std::atomic<int> unanswered{0};
  {
    auto [requests_tx, requests_rx] = flavor().make<request>();
    std::latch start(requesters + servers);
    std::vector<std::jthread> threads;
    for (int requester = 0; requester < requesters; ++requester) {
      threads.emplace_back([&, requester, tx = requests_tx]() mutable {
        start.arrive_and_wait();
        for (int sequence = 0; sequence < per_requester; ++sequence) {
          auto [reply_tx, reply_rx] = rill::bounded<int>(1);
          if (auto sent = tx.send(request{requester, sequence, std::move(reply_tx)}); !sent) {
            EXPECT_EQ(sent.error().reason, rill::send_errc::disconnected);
            EXPECT_EQ(sent.error().message.requester, requester);
            EXPECT_EQ(sent.error().message.sequence, sequence);
            EXPECT_TRUE(sent.error().message.reply.valid()) << "the handed-back request lost its reply sender (R9)";
          }  // a refused request dies here, with its reply sender
          auto reply = reply_rx.recv_for(120s);
          if (reply) {
            EXPECT_EQ(*reply, requester * per_requester + sequence);
            answered.fetch_add(1);
            continue;
          }
          unanswered.fetch_add(1);
          EXPECT_EQ(reply.error(), rill::recv_error::disconnected)
              << "a buffered request kept its reply sender alive after the last receiver went (KB6)";
          if (reply.error() != rill::recv_error::disconnected) break;
        }
        tx.reset();
      });
    }
    for (int server = 0; server < servers; ++server) {
      threads.emplace_back([&, rx = requests_rx]() mutable {
        start.arrive_and_wait();
        while (tickets.fetch_add(1) < quota) {
          auto incoming = rx.recv();
          EXPECT_TRUE(incoming.has_value());
          if (!incoming) break;
          EXPECT_TRUE(incoming->reply.send(incoming->requester * per_requester + incoming->sequence).has_value());
        }
        rx.reset();
      });
    }
    requests_tx.reset();
    requests_rx.reset();
  }
  EXPECT_EQ(answered.load(), quota);
  EXPECT_EQ(answered.load() + unanswered.load(), requesters * per_requester);
}

// ---------------------------------------------------------------------------------------------
// The last handles racing each other and the first sends
// ---------------------------------------------------------------------------------------------

TEST_P(stress_flavor_test, regression_first_sends_racing_the_last_receiver_and_the_last_sender) {
  // SPEC R11, R10, R9, R25, R3 (KB1, KB2, KB3, KB10)
  // Each round makes a fresh channel and starts three threads on a barrier: two senders each
  // send one message (the first messages of the channel: on the list flavor, the first-block
  // install) and release their sender; one thread holds the only receiver and releases it at
  // once, or after one try_recv. The last sender and the last receiver race to free the
  // channel. Every message must end exactly once; ASan checks for leaks and double frees.
  const int rounds = racing_rounds * stress_scale();
  journal log(2, 1, rounds);
  rill::sender<message> sender_slots[2];
  rill::receiver<message> receiver_slot;
  std::barrier phase(4);
  std::vector<std::jthread> threads;
  for (int producer = 0; producer < 2; ++producer) {
    threads.emplace_back([&, producer] {
      for (int round = 0; round < rounds; ++round) {
        phase.arrive_and_wait();
        auto& tx = sender_slots[producer];
        if (auto result = tx.send(log.make(producer, round))) {
          log.set(producer, round, outcome::sent);
        } else {
          EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
          EXPECT_TRUE(result.error().message.holds(producer, round));
          log.set(producer, round, outcome::handed_back);
        }  // a handed-back message dies here, before the round ends
        tx.reset();
        phase.arrive_and_wait();
      }
    });
  }
  threads.emplace_back([&] {
    for (int round = 0; round < rounds; ++round) {
      phase.arrive_and_wait();
      if (round % 2 == 1) {
        if (auto taken = receiver_slot.try_recv()) log.record(0, *taken);
      }
      receiver_slot.reset();
      phase.arrive_and_wait();
    }
  });
  int rounds_with_survivors = 0;
  for (int round = 0; round < rounds; ++round) {
    {
      auto [tx, rx] = GetParam().make<message>();
      sender_slots[0] = tx;
      sender_slots[1] = std::move(tx);
      receiver_slot = std::move(rx);
    }
    phase.arrive_and_wait();  // go
    phase.arrive_and_wait();  // every handle of this round's channel is gone
    if (message::alive.load() != 0) ++rounds_with_survivors;
  }
  threads.clear();
  EXPECT_EQ(rounds_with_survivors, 0) << "messages outlived every handle of their channel (R25)";
  const tally result = check_accounting(log, unreceived::may_be_discarded, /*one_channel=*/false);
  EXPECT_EQ(result.sent + result.handed_back, 2 * rounds);
}

}  // namespace
