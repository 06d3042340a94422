// Coroutines on two run loops, each run by its own thread, exchanging messages through rill's
// channels (rill/async.hpp): every wake-up crosses threads (run_loop::post from the other loop's
// thread, the parker of the loop that sleeps), and nothing may be allocated once the exchange
// runs (R47), nor lost or duplicated (R9, R49). Message counts scale with RILL_STRESS_SCALE.
#include <rill/async.hpp>
#include <rill/rill.hpp>

#include "support/allocation_counter.hpp"
#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <thread>

namespace {

using rill::test::flavor;

const flavor kinds[] = {{"rendezvous", 0}, {"bounded1", 1}, {"bounded4", 4}};

class AsyncStressTest : public ::testing::TestWithParam<flavor> {};

INSTANTIATE_TEST_SUITE_P(Flavors, AsyncStressTest, ::testing::ValuesIn(kinds),
                         [](const auto& info) { return std::string(info.param.name); });

/// Sends 0..count-1 on `there` and expects each back on `back`; counts allocations from message
/// `warm_up` to the end.
rill::async_task ping(rill::sender<int> there, rill::receiver<int> back, int count, int warm_up, std::size_t& allocated,
                      int& mismatches) {
  std::size_t at_warm_up = 0;
  for (int i = 0; i < count; ++i) {
    if (i == warm_up) at_warm_up = rill::test::allocations.load();
    if (!(co_await there.async_send(i)).has_value()) ++mismatches;
    const rill::recv_result<int> echoed = co_await back.async_recv();
    if (!echoed.has_value() || *echoed != i) ++mismatches;
  }
  allocated = rill::test::allocations.load() - at_warm_up;
}

/// Sends back what it receives on `there`, until `there` is disconnected.
rill::async_task pong(rill::receiver<int> there, rill::sender<int> back, int& echoed) {
  while (auto value = co_await there.async_recv()) {
    if ((co_await back.async_send(*value)).has_value()) ++echoed;
  }
}

// SPEC R9, R47, R49: a round trip per message between two loops on two threads, both directions
// of each channel awaited by coroutines; after the warm-up no allocation at all, and every
// message comes back once, in order.
TEST_P(AsyncStressTest, round_trips_between_two_loops_allocate_nothing) {
  const int count = 20000 * rill::test::stress_scale();
  constexpr int warm_up = 200;
  auto [there_tx, there_rx] = GetParam().make<int>();
  auto [back_tx, back_rx] = GetParam().make<int>();
  rill::run_loop first;
  rill::run_loop second;
  std::size_t allocated = 0;
  int mismatches = 0;
  int echoed = 0;
  first.spawn(ping(std::move(there_tx), std::move(back_rx), count, warm_up, allocated, mismatches));
  second.spawn(pong(std::move(there_rx), std::move(back_tx), echoed));
  {
    std::jthread first_thread([&first] { first.run(); });
    std::jthread second_thread([&second] { second.run(); });
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(echoed, count);
  EXPECT_EQ(allocated, 0U) << "allocations during " << count - warm_up << " round trips across threads";
}

}  // namespace
