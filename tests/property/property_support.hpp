// tests/property/property_support.hpp - what the property tests share: the counted message type,
// the ledger of messages the channel destroyed, and the driver that runs one rapidcheck property
// with its own number of cases.
//
// Replaying a failure
// -------------------
// rapidcheck prints "Using configuration: seed=<n>" when the binary starts, and every failing
// property prints the shrunk counterexample followed by the line
//     replay: RC_PARAMS="seed=<n>" <binary> --gtest_filter=<suite>.<test>
// Running that line replays the same cases (the seed fixes every property's random stream).
// RC_PARAMS="max_success=<k>" overrides the number of cases of every property; without it each
// property uses the count it passes to check_property (printed after each run, see report lines
// "[property] <name>: <k> cases passed").
#pragma once

#include <rill/rill.hpp>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rill_property {

/// A message carrying an int that counts the values alive (R25). A moved-from object holds no
/// value and is not counted. `handled` is set by whoever legitimately ends a message's life
/// outside the channel (the receiver that took it, the sender that got it back): a value
/// destroyed while not handled was destroyed by the channel itself (R11), and the ledger records
/// it, so tests can say exactly which messages the channel destroyed.
struct message {
  static constexpr int no_value = std::numeric_limits<int>::min();
  static inline std::atomic<long> live{0};

  int value = no_value;
  bool handled = false;

  explicit message(int v, bool already_handled = false) noexcept : value(v), handled(already_handled) {
    live.fetch_add(1);
  }
  message(message&& other) noexcept
      : value(std::exchange(other.value, no_value)), handled(std::exchange(other.handled, false)) {}
  message& operator=(message&&) = delete;
  ~message();
};

/// The values the channel destroyed (R11, R25), in destruction order.
class destruction_ledger {
 public:
  static destruction_ledger& instance() {
    static destruction_ledger ledger;
    return ledger;
  }
  void record(int value) noexcept {
    std::lock_guard lock(mutex_);
    values_.push_back(value);
  }
  std::vector<int> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(values_, {});
  }
  std::vector<int> sorted_copy() {
    std::lock_guard lock(mutex_);
    std::vector<int> copy = values_;
    std::sort(copy.begin(), copy.end());
    return copy;
  }

 private:
  std::mutex mutex_;
  std::vector<int> values_;
};

inline message::~message() {
  if (value == no_value) return;
  live.fetch_sub(1);
  if (!handled) destruction_ledger::instance().record(value);
}

/// Starts a test case from a clean slate.
inline void reset_accounting() {
  message::live.store(0);
  (void)destruction_ledger::instance().take();
}

/// True when the build is instrumented by ThreadSanitizer (fewer cases: every step is ~10x slower).
constexpr bool under_tsan() {
#if defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

/// Runs `testable` as a rapidcheck property inside the current GoogleTest test, with `cases`
/// cases (unless RC_PARAMS sets max_success) and generation size up to `max_size` (unless
/// RC_PARAMS sets max_size). Prints the number of cases that ran; on failure, fails the test
/// with rapidcheck's report (shrunk counterexample) and the replay line.
template <class Testable>
void check_property(int cases, int max_size, Testable&& testable) {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  const std::string id = std::string(info->test_suite_name()) + "/" + info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  const char* environment = std::getenv("RC_PARAMS");
  const std::string_view settings = environment != nullptr ? environment : "";
  if (settings.find("max_success") == std::string_view::npos) params.maxSuccess = cases;
  if (settings.find("max_size") == std::string_view::npos) params.maxSize = max_size;
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = info->name();
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (result.template is<rc::detail::SuccessResult>()) {
    const auto success = result.template get<rc::detail::SuccessResult>();
    std::cout << "[property] " << id << ": " << success.numSuccess << " cases passed (seed=" << params.seed
              << ", max_size=" << params.maxSize << ")\n";
    testing::Test::RecordProperty("rapidcheck_cases", success.numSuccess);

  } else {
    std::ostringstream report;
    rc::detail::printResultMessage(result, report);
    FAIL() << report.str() << "\nreplay: RC_PARAMS=\"seed=" << params.seed << "\" " << "<binary> --gtest_filter="
           << info->test_suite_name() << "." << info->name() << "\n";
  }
}

}  // namespace rill_property
