// rill/detail/sync/ordering_site.hpp - named memory orderings that the model checker can weaken
// one at a time.
//
// Every non-seq_cst ordering in channel code, and every seq_cst one that forms a store-load
// pattern, is written as a named site:
//
//     inline constexpr sync::ordering publish =
//         sync::ordering_site("array.publish", std::memory_order_release);  // (A6)
//
// and passed to the sync layer's atomics (`slot.stamp.store(stamp, array_order::publish)`).
//
// In production (the std backend) an `ordering` is just its memory_order: the name is never read
// and the constant folds away. Under Relacy the backend looks the name up in the *mutant* of the
// run: `relacy_scenarios --mutate array.publish=relaxed` weakens exactly that site, for every
// scenario, without recompiling, and the scenarios must then fail. That is the mutation bank
// (verify/mutation/, docs/orderings.md). The name is the bank's key, so it is stable: rename a
// site only together with docs/orderings.md.
//
// An unnamed ordering (a plain std::memory_order converts implicitly) is never mutated; the
// verification harness uses those for its own flags.
#pragma once

#include <atomic>

namespace rill::detail::sync {

/// The ordering of a failed compare-exchange whose success ordering is `success`: the strongest
/// one it may have (a failed compare-exchange only loads).
constexpr std::memory_order failure_order_of(std::memory_order success) noexcept {
  switch (success) {
    case std::memory_order_acq_rel: return std::memory_order_acquire;
    case std::memory_order_release: return std::memory_order_relaxed;
    default: return success;
  }
}

/// A memory ordering, optionally named after the site that uses it.
struct ordering {
  std::memory_order normal;
  const char* name = nullptr;       // the site's name; null for an unnamed ordering
  bool is_failure_of_site = false;  // the failure ordering derived from site `name`

  // Implicit on purpose: a plain std::memory_order is an unnamed ordering.
  constexpr ordering(std::memory_order order) noexcept : normal(order) {}  // NOLINT(google-explicit-constructor)
  constexpr ordering(const char* site_name, std::memory_order order, bool failure_of_site) noexcept
      : normal(order), name(site_name), is_failure_of_site(failure_of_site) {}
};

/// The ordering of the site `name`; `normal` unless a verification run mutates that site.
consteval ordering ordering_site(const char* name, std::memory_order normal) noexcept {
  return ordering(name, normal, false);
}

/// The failure ordering of a compare-exchange whose success ordering is the site `success`: it
/// follows the site, so mutating the site weakens both.
consteval ordering failure_order_for(ordering success) noexcept {
  return ordering(success.name, failure_order_of(success.normal), true);
}

}  // namespace rill::detail::sync
