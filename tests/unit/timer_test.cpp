// Timer channels and never<T>() (SPEC R40-R44): unit tests.
//
// Timers produce their messages from the clock, so some tests must let time pass. Where they do,
// the time that passes is the stimulus (a receiver that comes late), never the synchronisation:
// every assertion is about values the timer reports (scheduled times, and their spacing), which
// do not depend on how quickly the test itself runs.
#include <rill/rill.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>

namespace {

using namespace std::chrono_literals;
using rill::instant;
using rill::recv_error;

// SPEC R40
TEST(timer_test, after_delivers_one_message_at_its_time_then_nothing) {
  const instant before = rill::timer_clock::now();
  rill::receiver<instant> timer = rill::after(2ms);
  const auto message = timer.recv();
  ASSERT_TRUE(message.has_value());
  EXPECT_GE(*message, before + 2ms);                       // the scheduled time ...
  EXPECT_LE(*message, rill::timer_clock::now());           // ... which has passed when it arrives
  EXPECT_EQ(timer.try_recv().error(), recv_error::empty);  // one message only
  EXPECT_EQ(timer.recv_for(1ms).error(), recv_error::timeout);
  EXPECT_FALSE(timer.is_disconnected());
}

// SPEC R40
TEST(timer_test, after_a_future_delay_is_empty_until_then) {
  rill::receiver<instant> timer = rill::after(1h);
  EXPECT_EQ(timer.try_recv().error(), recv_error::empty);
  EXPECT_EQ(timer.recv_for(1ms).error(), recv_error::timeout);
  EXPECT_EQ(timer.size(), 0u);
  EXPECT_TRUE(timer.empty());
}

// SPEC R40, R44
TEST(timer_test, zero_negative_and_past_times_are_due_at_once) {
  for (rill::receiver<instant> timer :
       {rill::after(0s), rill::after(-5s), rill::after(std::chrono::duration<double>(-1e300)),
        rill::at(rill::timer_clock::now() - 1s), rill::at(std::chrono::system_clock::now() - 1h),
        rill::at(rill::instant::min())}) {
    EXPECT_TRUE(timer.try_recv().has_value());
    EXPECT_EQ(timer.try_recv().error(), recv_error::empty);
  }
}

// SPEC R40
TEST(timer_test, at_delivers_its_time_point) {
  const instant when = rill::timer_clock::now() + 1ms;
  rill::receiver<instant> timer = rill::at(when);
  EXPECT_EQ(timer.recv(), when);
}

// SPEC R40, R20
// A time point of the timer clock whose duration is not the clock's own is still on that clock:
// it is converted directly, rounded up to the clock's tick, never measured against another
// clock's reading. A past one is due at once with itself as the message, not the time the timer
// was made. (Compared as nanosecond counts, which a failure prints readably.)
TEST(timer_test, at_a_steady_time_point_of_another_duration_delivers_that_time_point) {
  using std::chrono::duration;
  using std::chrono::milliseconds;
  using std::chrono::time_point;
  const auto nanoseconds_of = [](auto when) {
    return std::chrono::time_point_cast<std::chrono::nanoseconds>(when).time_since_epoch().count();
  };
  const auto an_hour_ago = std::chrono::floor<milliseconds>(rill::timer_clock::now() - 1h);
  rill::receiver<instant> past = rill::at(an_hour_ago);
  const auto from_the_past = past.try_recv();
  ASSERT_TRUE(from_the_past.has_value()) << "a past time is due at once";
  EXPECT_EQ(nanoseconds_of(*from_the_past), nanoseconds_of(an_hour_ago));
  EXPECT_EQ(past.try_recv().error(), recv_error::empty);

  const auto soon = std::chrono::ceil<milliseconds>(rill::timer_clock::now() + 2ms);
  rill::receiver<instant> future = rill::at(soon);
  const auto from_the_future = future.recv();
  ASSERT_TRUE(from_the_future.has_value());
  EXPECT_EQ(nanoseconds_of(*from_the_future), nanoseconds_of(soon));

  // Not a whole number of nanoseconds: rounded up, so the message is never before the time asked.
  using thirds = duration<std::int64_t, std::ratio<1, 3>>;
  const auto in_thirds = std::chrono::floor<thirds>(rill::timer_clock::now() - 1s);
  rill::receiver<instant> rounded = rill::at(in_thirds);
  const auto message = rounded.try_recv();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(nanoseconds_of(*message), nanoseconds_of(std::chrono::ceil<instant::duration>(in_thirds)));

  // Before the clock's range: due at once, saturated to the earliest instant.
  rill::receiver<instant> earliest = rill::at(time_point<rill::timer_clock, std::chrono::hours>::min());
  const auto from_before_the_range = earliest.try_recv();
  ASSERT_TRUE(from_before_the_range.has_value());
  EXPECT_EQ(nanoseconds_of(*from_before_the_range), nanoseconds_of(instant::min()));
}

// SPEC R40, R21
TEST(timer_test, copies_of_a_timer_share_its_one_message) {
  rill::receiver<instant> timer = rill::after(0s);
  rill::receiver<instant> copy = timer;
  int received = 0;
  std::jthread other([&copy, &received] {
    if (copy.try_recv()) ++received;  // joined before `received` is read
  });
  const bool mine = timer.try_recv().has_value();
  other.join();
  EXPECT_EQ(received + (mine ? 1 : 0), 1);
}

// SPEC R44
TEST(timer_test, times_too_far_away_never_come) {
  for (rill::receiver<instant> timer :
       {rill::after(std::chrono::hours::max()), rill::after(std::chrono::nanoseconds::max()),
        rill::after(std::chrono::duration<std::int32_t, std::milli>::max()),
        rill::after(std::chrono::duration<double>(1e300)), rill::at(rill::instant::max()),
        rill::at(std::chrono::system_clock::time_point::max())}) {
    EXPECT_EQ(timer.try_recv().error(), recv_error::empty);
    EXPECT_EQ(timer.recv_for(1ms).error(), recv_error::timeout);
  }
}

// SPEC R41
TEST(timer_test, tick_delivers_on_a_fixed_schedule) {
  const auto period = 2ms;
  const instant start = rill::timer_clock::now();
  rill::receiver<instant> ticks = rill::tick(period);
  instant previous{};
  for (int i = 0; i < 5; ++i) {
    const auto message = ticks.recv();
    ASSERT_TRUE(message.has_value());
    EXPECT_GE(*message, start + period);
    if (i > 0) {
      EXPECT_GT(*message, previous);
      EXPECT_EQ((*message - previous) % period, std::chrono::nanoseconds::zero()) << "the schedule keeps its phase";
    }
    previous = *message;
  }
}

// SPEC R41
TEST(timer_test, missed_ticks_are_not_queued) {
  const auto period = 5ms;
  rill::receiver<instant> ticks = rill::tick(period);
  std::this_thread::sleep_for(8 * period);  // the stimulus: a receiver that comes late by several periods
  const instant late_receive = rill::timer_clock::now();
  const auto first = ticks.try_recv();
  ASSERT_TRUE(first.has_value());  // the missed ticks make one message ...
  const auto second = ticks.recv();
  ASSERT_TRUE(second.has_value());
  // ... and the next one is scheduled after the late receive, on the original phase.
  EXPECT_GT(*second, late_receive);
  EXPECT_EQ((*second - *first) % period, std::chrono::nanoseconds::zero());
}

// SPEC R41, R44
TEST(timer_test, tick_rejects_periods_that_are_not_positive) {
  EXPECT_THROW((void)rill::tick(0ms), std::invalid_argument);
  EXPECT_THROW((void)rill::tick(-1s), std::invalid_argument);
  EXPECT_THROW((void)rill::tick(std::chrono::duration<double>(-0.5)), std::invalid_argument);
}

// SPEC R44
TEST(timer_test, a_period_too_long_to_represent_never_ticks) {
  rill::receiver<instant> ticks = rill::tick(std::chrono::hours::max());
  EXPECT_EQ(ticks.try_recv().error(), recv_error::empty);
  EXPECT_EQ(ticks.recv_for(1ms).error(), recv_error::timeout);
}

// SPEC R44 (KB5): re-arming saturates. A tick whose first delivery is due but whose second
// cannot be represented delivers once and then never again (crossbeam's re-arm overflowed into
// the past and ticked at once, for ever).
TEST(timer_test, re_arming_a_tick_saturates) {
  using rill::detail::sync::clock;
  const clock::time_point first = clock::now() - 1ms;
  const clock::duration period = clock::duration::max() - first.time_since_epoch() + clock::duration(1);
  rill::detail::tick_flavor ticks(period, rill::detail::sync::deadline(first));
  EXPECT_TRUE(ticks.try_recv().has_value());
  EXPECT_EQ(ticks.try_recv().error(), recv_error::empty);
  EXPECT_FALSE(ticks.recv_ready_at().has_value());
}

// SPEC R42, R43
TEST(timer_test, never_is_never_ready_and_never_disconnected) {
  rill::receiver<int> off = rill::never<int>();
  EXPECT_EQ(off.try_recv().error(), recv_error::empty);
  EXPECT_EQ(off.recv_for(1ms).error(), recv_error::timeout);
  off.close();  // no effect
  EXPECT_FALSE(off.is_disconnected());
  EXPECT_EQ(off.try_recv().error(), recv_error::empty);
  EXPECT_EQ(off.capacity(), std::optional<std::size_t>(0));
  EXPECT_EQ(off.size(), 0u);
  EXPECT_EQ(off.sender_count(), 0u);
  int handled = 0;
  rill::select(rill::on_recv(off, [&](rill::recv_result<int>) { handled = 1; }),
               rill::on_timeout(1ms, [&] { handled = 2; }));
  EXPECT_EQ(handled, 2);
}

// SPEC R43
TEST(timer_test, timers_are_ordinary_receivers) {
  rill::receiver<instant> timer = rill::after(0s);
  EXPECT_EQ(timer.capacity(), std::optional<std::size_t>(1));
  EXPECT_EQ(timer.sender_count(), 0u);
  EXPECT_EQ(timer.size(), 1u);  // due
  EXPECT_FALSE(timer.empty());
  rill::receiver<instant> copy = timer;
  EXPECT_EQ(timer.receiver_count(), 2u);
  EXPECT_TRUE(copy.same_channel(timer));
  timer.close();  // no effect on a timer
  EXPECT_FALSE(timer.is_disconnected());
  int count = 0;
  for (instant message : copy.try_iter()) {
    (void)message;
    ++count;
  }
  EXPECT_EQ(count, 1);
  EXPECT_EQ(timer.size(), 0u);
  copy.reset();
  EXPECT_EQ(timer.receiver_count(), 1u);
}

// SPEC R43, R30
TEST(timer_test, a_selection_wakes_for_a_timer_without_other_help) {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::receiver<instant> timer = rill::after(3ms);
  rill::selector selection;
  const std::size_t from_channel = selection.recv(rx);
  const std::size_t from_timer = selection.recv(timer);
  rill::selected_operation chosen = selection.select();  // nobody sends: only the timer can end this
  EXPECT_EQ(chosen.index(), from_timer);
  EXPECT_NE(chosen.index(), from_channel);
  EXPECT_TRUE(chosen.recv(timer).has_value());
}

// SPEC R44, R30
TEST(timer_test, the_largest_select_timeouts_mean_no_deadline) {
  auto [tx, rx] = rill::bounded<int>(0);
  std::jthread sender([tx = tx]() mutable { (void)tx.send(7); });
  rill::selector selection;
  selection.recv(rx);
  auto chosen = selection.select_for(std::chrono::duration<std::int32_t, std::milli>::max());
  ASSERT_TRUE(chosen.has_value());  // not an immediate (wrapped) timeout
  EXPECT_EQ(chosen->recv(rx), 7);
  int value = rill::select(rill::on_recv(rx, [](rill::recv_result<int> message) { return message.value_or(-1); }),
                           rill::on_timeout(std::chrono::nanoseconds::min(), [] { return -2; }));
  EXPECT_EQ(value, -2);  // a negative timeout tries once
}

}  // namespace
