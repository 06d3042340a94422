// Unit tests of the select statement's porting forms (docs/porting.md has a row for each):
// lazy send messages (crossbeam's `send(s, expr)`), rill::select_which (which case fired, for the
// caller's own control flow, as Go's select arms and crossbeam's select! arms) and rill::when (a
// case switched off by a condition, Go's nil channel). Threads synchronise through channels; no
// test depends on timing.
#include <rill/rill.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

namespace {

using namespace std::chrono_literals;

// Go's `select {}` compiles under -Wall -Wextra -Werror (it is never called: it blocks forever).
[[maybe_unused]] void block_forever() { rill::select(); }

// --- lazy send messages --------------------------------------------------------------------------

TEST(select_forms, a_lazy_message_is_not_made_when_its_case_does_not_run) {
  // SPEC R30
  const auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.send(1).has_value());  // full: the send case is not ready
  int made = 0;
  const int fired = rill::select(rill::on_send(
                                     tx, [&] { return ++made; }, [](rill::send_result<int>) { return 1; }),
                                 rill::on_default([] { return 2; }));
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(made, 0);
  // crossbeam's recv_in_send, first half: `send(s, panic!())` with a default that runs.
  const int timed = rill::select(rill::on_send(
                                     tx, []() -> int { throw std::logic_error("made although not chosen"); },
                                     [](rill::send_result<int>) { return 1; }),
                                 rill::on_timeout(1ms, [] { return 2; }));
  EXPECT_EQ(timed, 2);
}

TEST(select_forms, crossbeams_recv_in_send_ports_without_deadlock) {
  // SPEC R30, R33
  // select! { send(s, assert_eq!(r.recv(), Ok(()))) -> _ => {} } on a bounded(2) channel holding
  // one message: the message is made after the send has its slot, by receiving the earlier one.
  const auto [tx, rx] = rill::bounded<int>(2);
  ASSERT_TRUE(tx.send(7).has_value());
  int made = 0;
  const rill::send_result<int> sent = rill::select(rill::on_send(tx, [&] {
    ++made;
    return rx.recv().value() + 1;
  }));
  EXPECT_TRUE(sent.has_value());
  EXPECT_EQ(made, 1);
  EXPECT_EQ(rx.try_recv(), 8);
  EXPECT_EQ(rx.try_recv(), std::unexpected(rill::recv_error::empty));
}

TEST(select_forms, a_lazy_message_goes_to_a_rendezvous_partner) {
  // SPEC R30, R35
  const auto [tx, rx] = rill::bounded<std::string>(0);
  std::jthread receiver([rx = rx] { EXPECT_EQ(rx.recv(), "made"); });
  int made = 0;
  const auto sent = rill::select(rill::on_send(tx, [&] {
    ++made;
    return std::string("made");
  }));
  EXPECT_TRUE(sent.has_value());
  EXPECT_EQ(made, 1);
}

TEST(select_forms, a_lazy_message_for_a_disconnected_channel_is_made_and_handed_back) {
  // SPEC R30, R32
  auto [tx, rx] = rill::bounded<int>(1);
  rx.reset();
  const auto sent = rill::select(rill::on_send(tx, [] { return 5; }));
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error(), (rill::send_error<int>{rill::send_errc::disconnected, 5}));
}

struct make_failed : std::runtime_error {
  make_failed() : std::runtime_error("the message could not be made") {}
};

TEST(select_forms, a_lazy_message_that_throws_abandons_its_send_and_runs_no_handler) {
  // SPEC R30, R34
  for (const std::size_t capacity : {std::size_t{1}, std::size_t{4}}) {
    const auto [tx, rx] = rill::bounded<int>(capacity);
    bool handled = false;
    EXPECT_THROW(rill::select(rill::on_send(
                     tx, []() -> int { throw make_failed(); }, [&](rill::send_result<int>) { handled = true; })),
                 make_failed);
    EXPECT_FALSE(handled);
    EXPECT_EQ(tx.size(), 0u) << "the claimed slot was given back (R34)";
    ASSERT_TRUE(tx.try_send(6).has_value());
    EXPECT_EQ(rx.try_recv(), 6);
    EXPECT_EQ(rx.try_recv(), std::unexpected(rill::recv_error::empty));
  }
  const auto [tx, rx] = rill::unbounded<int>();
  EXPECT_THROW(rill::select(rill::on_send(tx, []() -> int { throw make_failed(); })), make_failed);
  EXPECT_EQ(rx.try_recv(), std::unexpected(rill::recv_error::empty));
}

TEST(select_forms, a_rendezvous_partner_of_a_lazy_message_that_throws_waits_for_another_sender) {
  // SPEC R34, R35
  const auto [tx, rx] = rill::bounded<int>(0);
  std::jthread receiver([rx = rx] { EXPECT_EQ(rx.recv(), 9); });
  // The statement blocks until the receiver waits, pairs with it, then the message fails.
  EXPECT_THROW(rill::select(rill::on_send(tx, []() -> int { throw make_failed(); })), make_failed);
  ASSERT_TRUE(tx.send(9).has_value());  // the partner went back to waiting, and takes this one
}

// --- select_which: which case fired --------------------------------------------------------------

TEST(select_forms, select_which_reports_the_position_and_result_of_the_case_that_fired) {
  // SPEC R30
  const auto [tx, rx] = rill::bounded<int>(1);
  const auto [text_tx, text_rx] = rill::bounded<std::string>(1);
  ASSERT_TRUE(text_tx.send("hello").has_value());
  auto fired = rill::select_which(rill::on_recv(rx), rill::on_recv(text_rx), rill::on_timeout(1h));
  static_assert(
      std::is_same_v<decltype(fired),
                     rill::select_result<rill::recv_result<int>, rill::recv_result<std::string>, std::monostate>>);
  ASSERT_EQ(fired.index(), 1u);
  EXPECT_TRUE(fired.is<1>());
  EXPECT_EQ(fired.get<1>(), "hello");
  EXPECT_THROW((void)fired.get<0>(), std::bad_variant_access);

  // Handlers may return different types; a void one is std::monostate.
  auto handled = rill::select_which(rill::on_recv(rx, [](rill::recv_result<int>) { return 1; }),
                                    rill::on_send(tx, 3, [](rill::send_result<int> sent) { return sent.has_value(); }),
                                    rill::on_default([] {}));
  ASSERT_EQ(handled.index(), 1u);
  EXPECT_TRUE(handled.get<1>());
  EXPECT_EQ(rx.try_recv(), 3);

  auto fell_back = rill::select_which(rill::on_recv(rx), rill::on_default([] { return std::string("default"); }));
  ASSERT_EQ(fell_back.index(), 1u);
  EXPECT_EQ(std::move(fell_back).get<1>(), "default");

  auto timed_out = rill::select_which_biased(rill::on_recv(rx), rill::on_timeout(0ms));
  EXPECT_EQ(timed_out.index(), 1u);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(timed_out.as_variant()));
}

/// Go:
///   for {
///     select {
///     case v := <-in:  if v < 0 { continue }; sum += v
///     case <-quit:     return sum
///     }
///   }
int sum_until_quit(const rill::receiver<int>& in, const rill::receiver<int>& quit) {
  int sum = 0;
  for (;;) {
    auto fired = rill::select_which_biased(rill::on_recv(in), rill::on_recv(quit));
    if (fired.index() == 1) return sum;
    const int value = fired.get<0>().value();
    if (value < 0) continue;
    sum += value;
  }
}

TEST(select_forms, select_which_lets_the_caller_return_and_continue) {
  // SPEC R30, R31
  const auto [tx, rx] = rill::unbounded<int>();
  const auto [quit_tx, quit_rx] = rill::bounded<int>(1);
  for (const int value : {1, -5, 2, 3}) ASSERT_TRUE(tx.send(value).has_value());
  ASSERT_TRUE(quit_tx.send(0).has_value());
  EXPECT_EQ(sum_until_quit(rx, quit_rx), 6);  // biased: every message before the quit
}

// --- when: a case switched off by a condition (Go's nil channel) ---------------------------------

TEST(select_forms, a_case_switched_off_is_never_chosen_even_when_ready) {
  // SPEC R30, R42
  const auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.send(1).has_value());
  for (int round = 0; round < 64; ++round) {
    const int fired = rill::select(rill::when(false, rill::on_recv(rx, [](rill::recv_result<int>) { return 1; })),
                                   rill::on_default([] { return 2; }));
    ASSERT_EQ(fired, 2);
  }
  EXPECT_EQ(rx.size(), 1u);
  const int fired = rill::select(rill::when(true, rill::on_recv(rx, [](rill::recv_result<int>) { return 1; })),
                                 rill::on_default([] { return 2; }));
  EXPECT_EQ(fired, 1);
}

TEST(select_forms, a_send_case_switched_off_leaves_its_message_and_may_have_an_empty_handle) {
  // SPEC R22, R30
  const auto [tx, rx] = rill::bounded<std::string>(1);
  std::string message = "kept";
  const rill::sender<std::string> nil;  // Go: var ch chan string
  const int fired = rill::select(rill::when(false, rill::on_send(tx, std::move(message), [](auto) { return 1; })),
                                 rill::when(false, rill::on_send(nil, std::string("x"), [](auto) { return 3; })),
                                 rill::on_default([] { return 2; }));
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(message, "kept");
  EXPECT_TRUE(rx.empty());
  EXPECT_THROW((void)rill::select_which(rill::when(true, rill::on_send(nil, std::string("x"))), rill::on_default()),
               rill::empty_handle_error);
}

TEST(select_forms, fallback_cases_switched_off_are_absent) {
  // SPEC R30
  const auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.send(4).has_value());
  // With its default switched off the statement blocks, so it takes the message.
  EXPECT_EQ(rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return m.value(); }),
                         rill::when(false, rill::on_default([] { return -1; }))),
            4);
  // A timeout switched on still ends a statement whose channel cases are all off.
  EXPECT_EQ(rill::select(rill::when(false, rill::on_recv(rx, [](rill::recv_result<int>) { return 1; })),
                         rill::when(true, rill::on_timeout(0ms, [] { return 2; }))),
            2);
}

TEST(select_forms, a_statement_with_every_case_switched_off_throws_instead_of_blocking_forever) {
  // SPEC R30
  const auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.send(1).has_value());
  EXPECT_THROW((void)rill::select_which(rill::when(false, rill::on_recv(rx)), rill::when(false, rill::on_send(tx, 2))),
               std::logic_error);
  EXPECT_THROW(rill::select(rill::when(false, rill::on_recv(rx, [](rill::recv_result<int>) {})),
                            rill::when(false, rill::on_timeout(1h))),
               std::logic_error);
  EXPECT_THROW((void)rill::select_which(rill::when(false, rill::on_recv(rx))), std::logic_error);
  EXPECT_EQ(rx.size(), 1u) << "nothing was started";
}

TEST(select_forms, when_nests_and_takes_a_kept_case_by_reference) {
  // SPEC R30
  const auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.send(3).has_value());
  auto receive = rill::on_recv(rx, [](rill::recv_result<int> m) { return m.value(); });
  EXPECT_EQ(rill::select(rill::when(true, rill::when(false, receive)), rill::on_default([] { return -1; })), -1);
  EXPECT_EQ(rill::select(rill::when(true, rill::when(true, receive)), rill::on_default([] { return -1; })), 3);
}

/// Go's merge of two channels, each switched off (set to nil) once it is closed:
///   for a != nil || b != nil {
///     select {
///     case v, ok := <-a: if !ok { a = nil; continue }; out = append(out, v)
///     case v, ok := <-b: if !ok { b = nil; continue }; out = append(out, v)
///     }
///   }
TEST(select_forms, gos_nil_channel_merge_ports_with_when_and_select_which) {
  // SPEC R30, R32
  auto [a_tx, a_rx] = rill::bounded<int>(0);
  auto [b_tx, b_rx] = rill::bounded<int>(0);
  std::jthread a_sender([tx = std::move(a_tx)] {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(tx.send(1).has_value());
  });
  std::jthread b_sender([tx = std::move(b_tx)] {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(tx.send(1000).has_value());
  });
  bool a_open = true;
  bool b_open = true;
  int sum = 0;
  while (a_open || b_open) {
    auto fired = rill::select_which(rill::when(a_open, rill::on_recv(a_rx)), rill::when(b_open, rill::on_recv(b_rx)));
    if (fired.index() == 0) {
      if (!fired.get<0>()) {
        a_open = false;
        continue;
      }
      sum += *fired.get<0>();
    } else {
      if (!fired.get<1>()) {
        b_open = false;
        continue;
      }
      sum += *fired.get<1>();
    }
  }
  EXPECT_EQ(sum, 100 * 1 + 100 * 1000);
}

}  // namespace
