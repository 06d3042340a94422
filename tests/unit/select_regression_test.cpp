// Regression tests for the rows of known-bugs.md (shared reference material) that concern
// selection: KB4, KB9, KB15-KB19, KB24, KB25. Each test is named after its row
// (kb<n>_...), opens with the SPEC rules it checks and the row id, then one line saying what
// went wrong elsewhere.
//
// Rules of the house (docs/style.md, section 6): threads synchronise through the channels, std::latch
// or the readiness waits of R36, never through sleeps; every test is bounded by message or round
// counts. A hang (a lost waiter, a deadlock) is turned into a failure by a bounded wait of 20 s
// on an operation that must complete long before (the only use of a clock as an observation).
// KB19 and KB25 are about frames touched after they are gone: they are meant for the ASan run
// with detect_stack_use_after_return=1 and the TSan run, where a late touch is reported.
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstddef>
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
using flavor = rill::test::flavor;

constexpr std::array<flavor, 4> every_flavor{flavor{"rendezvous", 0}, flavor{"bounded1", 1}, flavor{"bounded4", 4},
                                             flavor{"unbounded", std::nullopt}};

/// How long a wait may take before the test calls it a hang.
constexpr auto hang = 20s;

using rill::test::counted;

/// One death counter per message id.
class death_book {
 public:
  explicit death_book(std::size_t size) : deaths_(size) {}
  counted make(int id) { return counted(&deaths_[static_cast<std::size_t>(id)], id); }
  [[nodiscard]] int deaths(int id) const { return deaths_[static_cast<std::size_t>(id)].load(); }
  [[nodiscard]] std::size_t size() const { return deaths_.size(); }

 private:
  std::vector<std::atomic<int>> deaths_;
};

/// Runs `action` when the scope ends: declared after the threads of a test, it closes their
/// channels before they are joined, so that a failed assertion ends the test instead of hanging it.
template <class Action>
class at_scope_exit {
 public:
  explicit at_scope_exit(Action action) : action_(std::move(action)) {}
  at_scope_exit(const at_scope_exit&) = delete;
  at_scope_exit& operator=(const at_scope_exit&) = delete;
  ~at_scope_exit() { action_(); }

 private:
  Action action_;
};

/// Returns once a receiver of another thread is blocked on the rendezvous channel of `tx` (R36).
template <class T>
void wait_for_a_blocked_receiver(const rill::sender<T>& tx) {
  rill::selector watch;
  watch.send(tx);
  (void)watch.ready();
}

// ---------------------------------------------------------------------------------------------
// KB4: an abandoned selected operation, then the last handles dropped
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb4_abandoned_selected_operations_then_last_handles_dropped) {
  // SPEC R34, R25, R11 (KB4)
  // crossbeam 0.5.17: a select reserved a slot and its token was leaked; the destructor read the
  // unwritten slot as a message (UB), and the bounded case still hangs in the last receiver's drop.
  //
  // Per flavor and drop order, for several laps of the ring (so that holes sit at every index,
  // and at the wrap): messages and abandoned selected sends interleaved, an abandoned selected
  // receive, then the last handles go. Every message dies exactly once; nothing hangs; ASan
  // sees no read of an unwritten slot and no leak.
  for (const flavor& kind : every_flavor) {
    if (kind.rendezvous()) continue;  // nothing buffered, no slot: covered in select_test.cpp
    for (const bool receiver_first : {true, false}) {
      for (std::size_t lap_offset = 0; lap_offset <= kind.room() && lap_offset < 6; ++lap_offset) {
        SCOPED_TRACE(std::string(kind.name) + (receiver_first ? ", receiver first" : ", sender first") + ", offset " +
                     std::to_string(lap_offset));
        death_book book(64);
        int made = 0;
        {
          auto [tx, rx] = kind.make<counted>();
          // Move head and tail round the ring so that the hole lands at index `lap_offset`.
          for (std::size_t i = 0; i < lap_offset; ++i) {
            ASSERT_TRUE(tx.try_send(book.make(made++)).has_value());
            ASSERT_TRUE(rx.try_recv().has_value());
          }
          const std::size_t room = kind.room();
          {
            rill::selector selection;
            selection.send(tx);
            rill::selected_operation abandoned_send = selection.select();
            if (room >= 2) {
              ASSERT_TRUE(tx.try_send(book.make(made++)).has_value());
            }
          }
          if (room >= 3) {
            ASSERT_TRUE(tx.try_send(book.make(made++)).has_value());
            rill::selector selection;
            selection.send(tx);
            selection.select().abandon();  // a second hole, after a message
          }
          if (room >= 2) {
            rill::selector selection;  // a selected receive, abandoned: the oldest message dies now
            selection.recv(rx);
            rill::selected_operation abandoned_receive = selection.select();
          }
          if (room >= 4) {
            ASSERT_TRUE(tx.try_send(book.make(made++)).has_value());
          }
          if (receiver_first) {
            rx.reset();
            for (int id = 0; id < made; ++id) {
              EXPECT_EQ(book.deaths(id), 1) << "R11: id " << id;
            }
            tx.reset();
          } else {
            tx.reset();
            rx.reset();
          }
        }
        for (int id = 0; id < made; ++id) {
          EXPECT_EQ(book.deaths(id), 1) << "id " << id;
        }
      }
    }
  }
}

TEST(select_regression, kb4_last_receiver_released_while_another_thread_holds_a_selected_send) {
  // SPEC R34, R33, R25, R11 (KB4)
  // crossbeam: the bounded case of KB4 hangs in the last receiver's drop.
  //
  // Thread B releases the last receiver while thread A holds a selected send on the channel;
  // then A completes it, or abandons it. The release returns (after A's step at the latest),
  // and every message dies exactly once: a completion either sent its message (the release
  // then destroyed it) or handed it back (unbounded, R33).
  for (const flavor& kind : every_flavor) {
    if (kind.rendezvous()) continue;
    for (const bool complete : {false, true}) {
      for (int round = 0; round < 50; ++round) {
        SCOPED_TRACE(std::string(kind.name) + (complete ? ", completed" : ", abandoned") + ", round " +
                     std::to_string(round));
        death_book book(4);
        {
          auto [tx, rx] = kind.make<counted>();
          if (kind.room() >= 2) {
            ASSERT_TRUE(tx.try_send(book.make(0)).has_value());
          }
          rill::selector selection;
          selection.send(tx);
          rill::selected_operation chosen = selection.select();
          std::latch go(1);
          std::jthread releaser([&] {
            go.wait();
            rx.reset();
          });
          go.count_down();
          if (complete) {
            auto result = chosen.send(tx, book.make(1));
            if (!result) {
              EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
            }
          } else {
            chosen.abandon();
          }
          releaser.join();
        }
        if (kind.room() >= 2) {
          EXPECT_EQ(book.deaths(0), 1);
        }
        EXPECT_EQ(book.deaths(1), complete ? 1 : 0);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// KB9: completing a selected operation with a copy of the handle
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb9_a_selected_operation_completes_with_any_handle_of_its_channel) {
  // SPEC R33, R21, R43 (KB9)
  // crossbeam #1096: completing a selected operation with a clone of the selected handle
  // panicked: operations were identified by the handle's address, not by the channel.
  for (const flavor& kind : every_flavor) {
    SCOPED_TRACE(kind.name);
    auto [tx, rx] = kind.make<int>();
    // Copies made in every way a handle can be made: copy construction, copy assignment, a copy
    // of a copy, and a handle moved out of another (the original stays valid).
    rill::receiver<int> copied(rx);
    rill::receiver<int> assigned;
    assigned = rx;
    rill::receiver<int> twice(copied);
    rill::receiver<int> moved_from_copy{rill::receiver<int>(rx)};
    rill::sender<int> tx_copied(tx);
    rill::sender<int> tx_assigned;
    tx_assigned = tx;
    rill::sender<int> tx_moved{rill::sender<int>(tx)};
    std::array<rill::receiver<int>*, 4> receivers{&copied, &assigned, &twice, &moved_from_copy};
    std::array<rill::sender<int>*, 3> senders{&tx_copied, &tx_assigned, &tx_moved};
    for (std::size_t i = 0; i < receivers.size(); ++i) {
      // A receive, selected through `rx`, completed with the copy.
      std::optional<std::jthread> sender;
      if (kind.rendezvous()) {
        sender.emplace([tx = tx, i]() mutable { EXPECT_TRUE(tx.send(static_cast<int>(i)).has_value()); });
      } else {
        ASSERT_TRUE(tx.try_send(static_cast<int>(i)).has_value());
      }
      rill::selector selection;
      selection.recv(rx);
      rill::selected_operation chosen = selection.select();
      auto got = chosen.recv(*receivers[i]);
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, static_cast<int>(i));
    }
    for (std::size_t i = 0; i < senders.size(); ++i) {
      // A send, selected through `tx`, completed with the copy.
      std::optional<std::jthread> receiver;
      int received = -1;
      if (kind.rendezvous()) {
        receiver.emplace([&received, rx = rx]() mutable { received = rx.recv().value_or(-2); });
        wait_for_a_blocked_receiver(tx);
      }
      rill::selector selection;
      selection.send(tx);
      rill::selected_operation chosen = selection.select();
      ASSERT_TRUE(chosen.send(*senders[i], 10 + static_cast<int>(i)).has_value());
      if (receiver) {
        receiver->join();
      } else {
        received = rx.try_recv().value_or(-3);
      }
      EXPECT_EQ(received, 10 + static_cast<int>(i));
    }
  }
  // A timer, selected through one receiver and completed with a copy.
  rill::receiver<rill::instant> timer = rill::after(0ms);
  rill::receiver<rill::instant> timer_copy = timer;
  rill::selector selection;
  selection.recv(timer);
  rill::selected_operation chosen = selection.select();
  EXPECT_TRUE(chosen.recv(timer_copy).has_value());
}

// ---------------------------------------------------------------------------------------------
// KB15: selects that lose on several channels with other waiters queued
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb15_selects_that_lose_leave_every_queued_waiter_wakeable) {
  // SPEC R37, R38, R20 (KB15)
  // Go issue 2075: a select that failed on several channels corrupted their wait queues when
  // multiple waiters were present.
  //
  // Per round: three channels, two plain receivers blocked on each, one select blocked on all
  // three (it loses on two when it wins on one), and two selects that keep losing by timing out
  // (select_for of 0-200 us, register and unregister amid the queued plain waiters, until they
  // win). Messages are sent one at a time, each only where a plain receiver still waits (or,
  // once all are served, anywhere), until all nine receivers have one. A waiter corrupted or
  // lost by a losing select never gets its message, and the bounded wait for its report fails.
  constexpr int channels = 3;
  constexpr int plain_per_channel = 2;
  constexpr int timing_out_selects = 2;
  for (const flavor& kind : every_flavor) {
    for (int round = 0; round < 25; ++round) {
      SCOPED_TRACE(std::string(kind.name) + ", round " + std::to_string(round));
      std::vector<rill::sender<int>> tx;
      std::vector<rill::receiver<int>> rx;
      for (int k = 0; k < channels; ++k) {
        auto [s, r] = kind.make<int>();
        tx.push_back(std::move(s));
        rx.push_back(std::move(r));
      }
      // Reports: (who, channel), who = k for a plain receiver of channel k, -1 for a select.
      auto [report_tx, report_rx] = rill::unbounded<std::pair<int, int>>();
      std::vector<std::jthread> threads;
      for (int k = 0; k < channels; ++k) {
        for (int i = 0; i < plain_per_channel; ++i) {
          threads.emplace_back([k, rx = rx[static_cast<std::size_t>(k)], report = report_tx]() mutable {
            EXPECT_TRUE(report.send({k, rx.recv().value_or(-1)}).has_value());
          });
        }
      }
      threads.emplace_back([rx = rx, report = report_tx]() mutable {
        auto handler = [](rill::recv_result<int> got) { return got.value_or(-1); };
        const int k =
            rill::select(rill::on_recv(rx[0], handler), rill::on_recv(rx[1], handler), rill::on_recv(rx[2], handler));
        EXPECT_TRUE(report.send({-1, k}).has_value());
      });
      for (int s = 0; s < timing_out_selects; ++s) {
        threads.emplace_back([rx = rx, report = report_tx, seed = round * 7 + s]() mutable {
          std::mt19937 random(static_cast<unsigned>(seed));
          rill::selector selection;
          for (auto& each : rx) selection.recv(each);
          for (;;) {
            auto chosen = selection.select_for(std::chrono::microseconds(random() % 200));
            if (!chosen) {
              EXPECT_EQ(chosen.error(), rill::select_error::timeout);
              continue;
            }
            const int k = chosen->recv(rx[chosen->index()]).value_or(-1);
            EXPECT_TRUE(report.send({-1, k}).has_value());
            return;
          }
        });
      }
      report_tx.reset();
      at_scope_exit unblock([&] {
        for (auto& each : tx) each.close();
      });

      std::array<int, channels> plain_left{};
      plain_left.fill(plain_per_channel);
      int selects_left = 1 + timing_out_selects;
      for (int message = 0; message < channels * plain_per_channel + 1 + timing_out_selects; ++message) {
        int k = 0;
        while (k < channels && plain_left[static_cast<std::size_t>(k)] == 0) ++k;
        if (k == channels) k = message % channels;
        ASSERT_TRUE(tx[static_cast<std::size_t>(k)].send(k).has_value());
        auto report = report_rx.recv_for(hang);
        ASSERT_TRUE(report.has_value()) << "a queued waiter was never woken (KB15)";
        EXPECT_EQ(report->second, k);
        if (report->first == -1) {
          ASSERT_GT(selects_left--, 0);
        } else {
          ASSERT_EQ(report->first, k);
          ASSERT_GT(plain_left[static_cast<std::size_t>(k)]--, 0);
        }
      }
      EXPECT_EQ(selects_left, 0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// KB16: a select over several sends delivers exactly one
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb16_a_select_over_several_sends_delivers_exactly_one_message) {
  // SPEC R30, R9, R25, R37 (KB16)
  // Go test/chan/doubleselect.go: two cases of one select both ran.
  //
  // Every select statement offers four distinct messages (ids 4i..4i+3) on four send cases: two
  // on one bounded channel, one on a rendezvous, one on an unbounded channel; receivers drain
  // each channel. Exactly one id of each select is received; every id dies exactly once (the
  // three offered but not chosen die with the statement).
  constexpr int selects = 3000;
  death_book book(4 * selects);
  std::vector<int> received(4 * selects, 0);
  {
    auto [bounded_tx, bounded_rx] = rill::bounded<counted>(2);
    auto [zero_tx, zero_rx] = rill::bounded<counted>(0);
    auto [list_tx, list_rx] = rill::unbounded<counted>();
    std::vector<std::jthread> threads;
    for (rill::receiver<counted>* source : {&bounded_rx, &zero_rx, &list_rx}) {
      threads.emplace_back([&received, rx = std::move(*source)]() mutable {
        for (counted& message : rx) ++received[static_cast<std::size_t>(message.value)];  // ids are disjoint per select
      });
    }
    threads.emplace_back([&book, bounded_tx = std::move(bounded_tx), zero_tx = std::move(zero_tx),
                          list_tx = std::move(list_tx)]() mutable {
      for (int i = 0; i < selects; ++i) {
        int runs = 0;
        auto sent = [&runs](rill::send_result<counted> result) {
          ++runs;
          EXPECT_TRUE(result.has_value());
        };
        rill::select(
            rill::on_send(bounded_tx, book.make(4 * i), sent), rill::on_send(zero_tx, book.make(4 * i + 1), sent),
            rill::on_send(bounded_tx, book.make(4 * i + 2), sent), rill::on_send(list_tx, book.make(4 * i + 3), sent));
        EXPECT_EQ(runs, 1);
      }
    });
  }
  // The receivers wrote `received` from three threads, each its own ids: read after the joins.
  for (int i = 0; i < selects; ++i) {
    int delivered = 0;
    for (int id = 4 * i; id < 4 * i + 4; ++id) {
      delivered += received[static_cast<std::size_t>(id)];
      ASSERT_EQ(book.deaths(id), 1) << "id " << id;
    }
    ASSERT_EQ(delivered, 1) << "select " << i << " delivered " << delivered << " messages";
  }
}

// ---------------------------------------------------------------------------------------------
// KB17: the same channel twice in one select
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb17_the_same_channel_twice_in_one_select_leaves_no_stale_waiter) {
  // SPEC R37, R38, R9 (KB17)
  // Go TestSelectDuplicateChannel: the same channel twice in one select, woken through a third
  // case, left a stale waiter on the first channel.
  //
  // A selecting thread receives with a selector over (c, c, d, c) while a plain receiver competes
  // on c and another on d; main sends M values on c and M on d, then closes both. The selector
  // removes an operation once it reports disconnected. Every value is received exactly once,
  // and the plain receivers (queued beside the select's waiters) are never left asleep: all the
  // threads finish.
  constexpr int per_channel = 2000;
  for (const flavor& kind : every_flavor) {
    SCOPED_TRACE(kind.name);
    auto [c_tx, c_rx] = kind.make<int>();
    auto [d_tx, d_rx] = kind.make<int>();
    std::vector<int> by_select;
    std::vector<int> by_plain_c;
    std::vector<int> by_plain_d;
    std::array<int, 4> chosen_index{};
    {
      std::jthread selecting([&, c = c_rx, d = d_rx]() mutable {
        rill::selector selection;
        selection.recv(c);
        selection.recv(c);
        selection.recv(d);
        selection.recv(c);
        for (std::size_t open = 4; open > 0;) {
          rill::selected_operation chosen = selection.select();
          const std::size_t index = chosen.index();
          auto got = chosen.recv(index == 2 ? d : c);
          if (got) {
            by_select.push_back(*got);
            ++chosen_index[index];
          } else {
            EXPECT_EQ(got.error(), rill::recv_error::disconnected);
            selection.remove(index);
            --open;
          }
        }
      });
      std::jthread plain_c([&by_plain_c, rx = c_rx]() mutable {
        for (int value : rx) by_plain_c.push_back(value);
      });
      std::jthread plain_d([&by_plain_d, rx = d_rx]() mutable {
        for (int value : rx) by_plain_d.push_back(value);
      });
      for (int i = 0; i < per_channel; ++i) {
        ASSERT_TRUE(c_tx.send(i).has_value());
        ASSERT_TRUE(d_tx.send(per_channel + i).has_value());
      }
      c_tx.reset();
      d_tx.reset();
    }
    std::vector<int> all = by_select;
    all.insert(all.end(), by_plain_c.begin(), by_plain_c.end());
    all.insert(all.end(), by_plain_d.begin(), by_plain_d.end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * per_channel));
    for (int i = 0; i < 2 * per_channel; ++i) {
      ASSERT_EQ(all[static_cast<std::size_t>(i)], i) << "lost or duplicated";
    }
    std::cout << "[ kb17 ] " << kind.name << ": selected c,c,d,c = " << chosen_index[0] << "," << chosen_index[1] << ","
              << chosen_index[2] << "," << chosen_index[3] << "; plain c " << by_plain_c.size() << ", plain d "
              << by_plain_d.size() << "\n";
  }

  // Sends: two send operations on one channel in one selector, and a third on another channel.
  for (const flavor& kind : every_flavor) {
    SCOPED_TRACE(std::string(kind.name) + ", sends");
    auto [c_tx, c_rx] = kind.make<int>();
    auto [d_tx, d_rx] = kind.make<int>();
    std::vector<int> got;
    {
      std::jthread receiving([&got, c = c_rx, d = d_rx]() mutable {
        // Receives until both channels are disconnected and drained.
        bool c_open = true;
        bool d_open = true;
        auto off = rill::never<int>();
        while (c_open || d_open) {
          rill::select(rill::on_recv(c_open ? c : off,
                                     [&](rill::recv_result<int> m) {
                                       if (m)
                                         got.push_back(*m);
                                       else
                                         c_open = false;
                                     }),
                       rill::on_recv(d_open ? d : off, [&](rill::recv_result<int> m) {
                         if (m)
                           got.push_back(*m);
                         else
                           d_open = false;
                       }));
        }
      });
      rill::selector selection;
      const std::size_t first = selection.send(c_tx);
      selection.send(d_tx);
      const std::size_t second = selection.send(c_tx);
      for (int i = 0; i < per_channel; ++i) {
        rill::selected_operation chosen = selection.select();
        const std::size_t index = chosen.index();
        ASSERT_TRUE(chosen.send(index == first || index == second ? c_tx : d_tx, i).has_value());
      }
      c_tx.reset();
      d_tx.reset();
    }
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got.size(), static_cast<std::size_t>(per_channel));
    for (int i = 0; i < per_channel; ++i) {
      ASSERT_EQ(got[static_cast<std::size_t>(i)], i);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// KB18: fairness, with a computed false-failure probability
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb18_select_statement_fairness_with_a_computed_false_failure_probability) {
  // SPEC R31, R42 (KB18)
  // Go #21806: select was unfair because of a weak random source.
  //
  // A statement of five cases (never, a, never, b, c), with a, b and c always ready (bounded(1)
  // channels refilled after each receive). Each ready case's count X_i is Binomial(N, 1/3) if
  // the choice is uniform. Hoeffding: P(|X_i - N/3| >= t) <= 2 exp(-2 t^2 / N); with a union
  // bound over the three cases, t is chosen for 1e-9 / 3 each, 1e-9 in all. (See also
  // select_test.cpp, unbiased_selection_chooses_uniformly_among_the_ready_operations.)
  //
  // Power: a rotation from a random start over the five positions picks a, b, c with
  // probabilities 2/5, 2/5, 1/5; c's count is then N/5 on average, N (1/3 - 1/5) below N/3,
  // and it passes only if it strays that much less t from its own mean: computed below.
  constexpr int trials = 15000;
  constexpr double false_failure = 1e-9;
  const double t = std::sqrt(trials * std::log(2.0 / (false_failure / 3)) / 2.0);
  const double distance = trials * (1.0 / 3 - 1.0 / 5) - t;
  const double rotation_passes = std::exp(-2.0 * distance * distance / trials);
  std::cout << "[ kb18 ] N = " << trials << ", t = " << t << " per case (P(false failure) <= " << false_failure
            << "); P(a random-start rotation passes) <= " << rotation_passes << "\n";
  EXPECT_LT(rotation_passes, 1e-100);

  std::array<rill::sender<int>, 3> tx;
  std::array<rill::receiver<int>, 3> rx;
  for (std::size_t i = 0; i < 3; ++i) {
    auto [s, r] = rill::bounded<int>(1);
    tx[i] = std::move(s);
    rx[i] = std::move(r);
    ASSERT_TRUE(tx[i].try_send(0).has_value());
  }
  auto never_a = rill::never<int>();
  auto never_b = rill::never<int>();
  std::array<int, 3> count{};
  for (int trial = 0; trial < trials; ++trial) {
    auto pick = [](int which) { return [which](rill::recv_result<int>) { return which; }; };
    const int which =
        rill::select(rill::on_recv(never_a, pick(-1)), rill::on_recv(rx[0], pick(0)), rill::on_recv(never_b, pick(-1)),
                     rill::on_recv(rx[1], pick(1)), rill::on_recv(rx[2], pick(2)));
    ASSERT_GE(which, 0) << "R42: a never case ran";
    ++count[static_cast<std::size_t>(which)];
    ASSERT_TRUE(tx[static_cast<std::size_t>(which)].try_send(0).has_value());
  }
  std::cout << "[ kb18 ] counts " << count[0] << ", " << count[1] << ", " << count[2] << "\n";
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_LT(std::abs(count[i] - trials / 3.0), t) << "case " << i;
  }
}

// ---------------------------------------------------------------------------------------------
// KB19: waiter records touched after the selecting thread returned
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb19_blocking_and_timeout_paths_with_notifiers_racing) {
  // SPEC R37, R20, R9 (KB19)
  // Go #40641, crossbeam's on-stack zero-flavor packets: waiter records living on a blocked
  // thread's stack were touched after the thread returned.
  //
  // Two selecting threads wait on a rendezvous, a bounded(1) and an unbounded channel with very
  // short timeouts (0-30 us: the statement's on_timeout, and a selector's select_for on a
  // selector made afresh each time, so both the operations in the statement's frame and those
  // in a short-lived selector are exercised), so that most selections time out, unregister and
  // return while two notifiers send with their own short timeouts. Under ASan with
  // detect_stack_use_after_return=1, a notifier touching a returned select's waiter or packet
  // is reported. Every value sent is received exactly once.
  constexpr int per_notifier = 8000;
  constexpr int notifiers = 2;
  std::array<std::vector<int>, 2> received;
  {
    auto [zero_tx, zero_rx] = rill::bounded<int>(0);
    auto [one_tx, one_rx] = rill::bounded<int>(1);
    auto [list_tx, list_rx] = rill::unbounded<int>();
    std::vector<std::jthread> threads;
    for (int n = 0; n < notifiers; ++n) {
      threads.emplace_back([n, tx = std::array<rill::sender<int>, 3>{zero_tx, one_tx, list_tx}]() mutable {
        std::mt19937 random(static_cast<unsigned>(n + 1));
        for (int i = 0; i < per_notifier; ++i) {
          const int value = n * per_notifier + i;
          auto& target = tx[static_cast<std::size_t>(i % 3)];
          // Retry with fresh short timeouts until sent: each value is sent exactly once.
          while (!target.send_for(value, std::chrono::microseconds(random() % 100)).has_value()) {
          }
        }
      });
    }
    zero_tx.reset();
    one_tx.reset();
    list_tx.reset();
    for (std::size_t s = 0; s < 2; ++s) {
      threads.emplace_back([s, &got = received[s],
                            rx = std::array<rill::receiver<int>, 3>{zero_rx, one_rx, list_rx}]() mutable {
        std::mt19937 random(static_cast<unsigned>(100 + s));
        std::array<bool, 3> open{true, true, true};
        auto off = rill::never<int>();
        int timeouts = 0;
        while (open[0] || open[1] || open[2]) {
          const auto timeout = std::chrono::microseconds(random() % 30);
          if ((random() & 1) != 0) {
            auto take = [&](std::size_t k) {
              return [&, k](rill::recv_result<int> m) {
                if (m) {
                  got.push_back(*m);
                } else {
                  open[k] = false;
                }
              };
            };
            rill::select(rill::on_recv(open[0] ? rx[0] : off, take(0)), rill::on_recv(open[1] ? rx[1] : off, take(1)),
                         rill::on_recv(open[2] ? rx[2] : off, take(2)), rill::on_timeout(timeout, [&] { ++timeouts; }));
          } else {
            rill::selector selection;
            for (std::size_t k = 0; k < 3; ++k) {
              if (open[k]) selection.recv(rx[k]);
            }
            std::array<std::size_t, 3> channel_of{};
            for (std::size_t k = 0, index = 0; k < 3; ++k) {
              if (open[k]) channel_of[index++] = k;
            }
            auto chosen = selection.select_for(timeout);
            if (!chosen) {
              ++timeouts;
              continue;
            }
            const std::size_t k = channel_of[chosen->index()];
            auto m = chosen->recv(rx[k]);
            if (m) {
              got.push_back(*m);
            } else {
              open[k] = false;
            }
          }
        }
        std::cout << "[ kb19 ] selecting thread " << s << ": " << got.size() << " received, " << timeouts
                  << " timed out\n";
      });
    }
    zero_rx.reset();
    one_rx.reset();
    list_rx.reset();
  }
  std::vector<int> all = received[0];
  all.insert(all.end(), received[1].begin(), received[1].end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(notifiers * per_notifier));
  for (int i = 0; i < notifiers * per_notifier; ++i) {
    ASSERT_EQ(all[static_cast<std::size_t>(i)], i);
  }
}

// ---------------------------------------------------------------------------------------------
// KB24: a select-send and a select-receive on a rendezvous pair
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb24_a_select_send_and_a_select_receive_on_a_rendezvous_pair) {
  // SPEC R35, R38, R13 (KB24)
  // BurntSushi/chan #20: a select-send against a select-receive on a zero-capacity channel
  // deadlocked: both advertised readiness, neither committed.
  //
  // One thread selects a send, the other a receive, on the same rendezvous channel (each select
  // also has a never-ready case), for many rounds, in every pairing of the two shapes; then both
  // sides with short timeouts that retry, so that registrations and aborts race. Every round
  // pairs, in order; a deadlock fails the bounded wait.
  constexpr int rounds = 3000;
  enum class shape { statement, selector, timed };
  for (const shape sending : {shape::statement, shape::selector, shape::timed}) {
    for (const shape receiving : {shape::statement, shape::selector, shape::timed}) {
      SCOPED_TRACE("sending " + std::to_string(static_cast<int>(sending)) + ", receiving " +
                   std::to_string(static_cast<int>(receiving)));
      auto [tx, rx] = rill::bounded<int>(0);
      std::vector<int> got;
      std::jthread sender([&, tx = tx]() mutable {
        auto never = rill::never<int>();
        std::mt19937 random(1);
        rill::selector selection;
        const std::size_t to = selection.send(tx);
        selection.recv(never);
        for (int i = 0; i < rounds; ++i) {
          switch (sending) {
            case shape::statement:
              rill::select(rill::on_recv(never, [](rill::recv_result<int>) { ADD_FAILURE() << "never"; }),
                           rill::on_send(tx, i, [](rill::send_result<int> r) { EXPECT_TRUE(r.has_value()); }));
              break;
            case shape::selector: {
              rill::selected_operation chosen = selection.select();
              ASSERT_EQ(chosen.index(), to);
              EXPECT_TRUE(chosen.send(tx, i).has_value());
              break;
            }
            case shape::timed:
              for (bool sent = false; !sent && !tx.is_disconnected();) {
                sent = rill::select(rill::on_send(tx, i, [](rill::send_result<int> r) { return r.has_value(); }),
                                    rill::on_timeout(std::chrono::microseconds(random() % 50), [] { return false; }));
              }
              break;
          }
        }
      });
      at_scope_exit unblock([&] { rx.close(); });  // on failure, the sender must not wait for good
      std::mt19937 random(2);
      auto never = rill::never<int>();
      rill::selector selection;
      const std::size_t from = selection.recv(rx);
      selection.recv(never);
      for (int i = 0; i < rounds; ++i) {
        std::optional<int> value;
        switch (receiving) {
          case shape::statement:
            value = rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return m.value_or(-1); }),
                                 rill::on_recv(never, [](rill::recv_result<int>) { return -2; }),
                                 rill::on_timeout(hang, [] { return -3; }));
            break;
          case shape::selector: {
            auto chosen = selection.select_for(hang);
            ASSERT_TRUE(chosen.has_value()) << "round " << i << ": no pairing within " << hang.count() << " s (KB24)";
            ASSERT_EQ(chosen->index(), from);
            value = chosen->recv(rx).value_or(-1);
            break;
          }
          case shape::timed: {
            const auto give_up = std::chrono::steady_clock::now() + hang;
            while (!value && std::chrono::steady_clock::now() < give_up) {
              auto chosen = selection.select_for(std::chrono::microseconds(random() % 50));
              if (chosen) value = chosen->recv(rx).value_or(-1);
            }
            break;
          }
        }
        ASSERT_TRUE(value.has_value()) << "round " << i << ": no pairing (KB24)";
        ASSERT_NE(*value, -3) << "round " << i << ": no pairing within " << hang.count() << " s (KB24)";
        ASSERT_EQ(*value, i) << "R13: in order";
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// KB25: close() racing a select that is returning
// ---------------------------------------------------------------------------------------------

TEST(select_regression, kb25_close_racing_a_returning_select) {
  // SPEC R37, R12, R32, R10 (KB25)
  // zio PR #650: close() signalled select waiters after unlocking; the late signal touched a
  // freed stack frame.
  //
  // Per round, fresh channels: a select statement (its waiters live in its own frame) waits on a
  // receive of A and either a receive or a send of B, with a timeout of 0-50 us; at the same
  // time one thread closes A (or releases A's last sender) and another sends on B, receives
  // from it, or closes it. The select returns through every path (a message, disconnected,
  // timeout, sent) while the others are in the middle of waking it, and its frame is gone at
  // once. No other outcome is possible, and the sanitizers see no late touch. The two other
  // threads live for the whole test and meet the selecting thread at a std::barrier per round.
  constexpr int rounds = 1500;
  std::mt19937 random(25);
  for (const flavor& kind : every_flavor) {
    struct round_setup {
      rill::sender<int> a_tx;  // A's last sender, handed to the closer
      rill::sender<int> b_tx;
      rill::receiver<int> b_rx;
      bool release_instead_of_close = false;
      bool select_sends_on_b = false;
      bool b_side_closes = false;
    } setup;
    std::barrier meet(3);           // twice per round: start, end
    std::array<int, 4> outcomes{};  // message, disconnected, timeout, sent
    {
      std::jthread closer([&] {
        for (int round = 0; round < rounds; ++round) {
          meet.arrive_and_wait();
          if (setup.release_instead_of_close) {
            setup.a_tx.reset();
          } else {
            setup.a_tx.close();
          }
          meet.arrive_and_wait();
        }
      });
      std::jthread other([&] {
        for (int round = 0; round < rounds; ++round) {
          meet.arrive_and_wait();
          if (setup.b_side_closes) {
            setup.b_rx.close();
          } else if (setup.select_sends_on_b) {
            (void)setup.b_rx.try_recv();
          } else {
            (void)setup.b_tx.try_send(7);
          }
          meet.arrive_and_wait();
        }
      });
      for (int round = 0; round < rounds; ++round) {
        auto [a_tx, a_rx] = kind.make<int>();
        auto [b_tx, b_rx] = kind.make<int>();
        setup.a_tx = std::move(a_tx);
        setup.b_tx = b_tx;
        setup.b_rx = b_rx;
        setup.release_instead_of_close = (round & 1) != 0;
        setup.select_sends_on_b = (round & 2) != 0;
        setup.b_side_closes = (round & 4) != 0;
        const auto timeout = std::chrono::microseconds(random() % 50);
        meet.arrive_and_wait();  // start
        int outcome = -1;
        if (setup.select_sends_on_b) {
          outcome = rill::select(rill::on_recv(a_rx, [](rill::recv_result<int> m) { return m ? 0 : 1; }),
                                 rill::on_send(b_tx, 1, [](rill::send_result<int> r) { return r ? 3 : 1; }),
                                 rill::on_timeout(timeout, [] { return 2; }));
        } else {
          outcome = rill::select(rill::on_recv(a_rx, [](rill::recv_result<int> m) { return m ? 0 : 1; }),
                                 rill::on_recv(b_rx, [](rill::recv_result<int> m) { return m ? 0 : 1; }),
                                 rill::on_timeout(timeout, [] { return 2; }));
        }
        meet.arrive_and_wait();  // end: the others are done with this round's channels
        setup.b_tx.reset();
        setup.b_rx.reset();
        ASSERT_GE(outcome, 0);
        ASSERT_LT(outcome, 4);
        ++outcomes[static_cast<std::size_t>(outcome)];
        if (outcome == 0) {
          EXPECT_FALSE(setup.select_sends_on_b) << "only B's sender sends a message";
        }
      }
    }
    std::cout << "[ kb25 ] " << kind.name << ": message " << outcomes[0] << ", disconnected " << outcomes[1]
              << ", timeout " << outcomes[2] << ", sent " << outcomes[3] << "\n";
  }
}

}  // namespace
