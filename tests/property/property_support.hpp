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
// "[property] <name>: <k> cases passed"). RILL_PROPERTY_TAGS=1 adds, per label of RC_TAG and
// RC_CLASSIFY, the number of cases in which it appeared: what the generated cases exercised.
#pragma once

#include <rill/rill.hpp>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
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
  // rapidcheck runs the counterexample once more to print it. A failure that depends on how the
  // threads ran can pass that time, and the report then shows the case with "no exceptions
  // thrown"; so the message of the last failing run is kept, to be printed in that case.
  static_assert(std::is_invocable_r_v<void, Testable&>, "check_property takes a property without arguments");
  std::string last_failure;
  auto watched = [&testable, &last_failure] {
    try {
      testable();
    } catch (const rc::detail::CaseResult& outcome) {
      if (outcome.type == rc::detail::CaseResult::Type::Failure) last_failure = outcome.description;
      throw;
    } catch (const std::exception& error) {
      last_failure = std::string("exception: ") + error.what();
      throw;
    }
  };
  const auto result = rc::detail::checkTestable(watched, metadata, params);
  if (result.template is<rc::detail::SuccessResult>()) {
    const auto success = result.template get<rc::detail::SuccessResult>();
    std::cout << "[property] " << id << ": " << success.numSuccess << " cases passed (seed=" << params.seed
              << ", max_size=" << params.maxSize << ")\n";
    testing::Test::RecordProperty("rapidcheck_cases", success.numSuccess);
    if (std::getenv("RILL_PROPERTY_TAGS") != nullptr) {
      // In how many cases each RC_TAG / RC_CLASSIFY label appeared (what the cases exercised).
      std::map<std::string, int> cases_with;
      for (const auto& [tags, count] : success.distribution) {
        for (const std::string& tag : std::set<std::string>(tags.begin(), tags.end())) cases_with[tag] += count;
      }
      for (const auto& [tag, count] : cases_with) std::cout << "[property]   " << count << " cases: " << tag << "\n";
    }

  } else {
    std::ostringstream report;
    rc::detail::printResultMessage(result, report);
    if (report.str().find(last_failure) == std::string::npos) {
      report << "\nThe case above passed when it was run again to be printed: the failure depends on timing. "
                "The failing run reported:\n"
             << last_failure << "\n";
    }
    FAIL() << report.str() << "\nreplay: RC_PARAMS=\"seed=" << params.seed << "\" "
           << "<binary> --gtest_filter=" << info->test_suite_name() << "." << info->name() << "\n";
  }
}

}  // namespace rill_property
