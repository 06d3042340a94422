// The unbounded flavor's queries at any block capacity (SPEC R26): size() and empty() against a
// counted model, across several blocks.
//
// An unbounded channel keeps its messages in blocks of RILL_LIST_BLOCK_CAPACITY slots, and its
// positions count one extra, slot-less offset per block (list_flavor.hpp). regression.cmake builds
// this file three times: with a capacity of 31 (the default, 32 offsets a block), 5 and 4 (6 and 5
// offsets: not powers of two, where arithmetic that masks instead of dividing goes wrong). Every
// query is made single-threaded, so the model's count is exact at every step.
#include <rill/rill.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

namespace {

constexpr std::size_t block_capacity = RILL_LIST_BLOCK_CAPACITY;

/// Checks both handles' view of the channel against the model's count.
void expect_size(const rill::sender<int>& tx, const rill::receiver<int>& rx, std::size_t expected) {
  EXPECT_EQ(tx.size(), expected);
  EXPECT_EQ(rx.size(), expected);
  EXPECT_EQ(rx.empty(), expected == 0);
  EXPECT_FALSE(rx.full());
}

TEST(list_block, size_follows_the_count_from_every_offset_of_a_block) {
  // SPEC R26
  // The head starts at every offset of the first three blocks; from there the channel fills to
  // three blocks and a bit, then drains, one message at a time.
  const std::size_t offsets = block_capacity + 1;
  const std::size_t most = 3 * block_capacity + 2;
  for (std::size_t start = 0; start < 3 * offsets; ++start) {
    SCOPED_TRACE("head moved on by " + std::to_string(start) + " messages, block capacity " +
                 std::to_string(block_capacity));
    auto [tx, rx] = rill::unbounded<int>();
    for (std::size_t i = 0; i < start; ++i) {
      ASSERT_TRUE(tx.try_send(-1).has_value());
      ASSERT_EQ(rx.try_recv(), -1);
    }
    expect_size(tx, rx, 0);
    for (std::size_t count = 1; count <= most; ++count) {
      ASSERT_TRUE(tx.try_send(static_cast<int>(count)).has_value());
      expect_size(tx, rx, count);
    }
    for (std::size_t count = most; count > 0; --count) {
      ASSERT_EQ(rx.try_recv(), static_cast<int>(most - count + 1));
      expect_size(tx, rx, count - 1);
    }
    if (HasFailure()) return;
  }
}

TEST(list_block, size_follows_interleaved_sends_and_receives) {
  // SPEC R26
  // A fixed pseudo-random walk (a linear congruential generator): bursts of sends and receives,
  // the count rising and falling across many blocks; size() is checked after every operation.
  auto [tx, rx] = rill::unbounded<int>();
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  const auto next = [&state](std::uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  std::size_t count = 0;
  int sent = 0;
  int received = 0;
  for (int step = 0; step < 600; ++step) {
    // Sends are a little more likely until four blocks are full, then receives are.
    const bool sending = count == 0 || next(100) < (count < 4 * block_capacity ? 55u : 40u);
    const std::uint64_t burst = 1 + next(2 * block_capacity);
    for (std::uint64_t i = 0; i < burst; ++i) {
      if (sending) {
        ASSERT_TRUE(tx.try_send(sent++).has_value());
        ++count;
      } else {
        if (count == 0) break;
        ASSERT_EQ(rx.try_recv(), received++);
        --count;
      }
      expect_size(tx, rx, count);
    }
    if (HasFailure()) {
      ADD_FAILURE() << "at step " << step << " of the walk, block capacity " << block_capacity;
      return;
    }
  }
}

}  // namespace
