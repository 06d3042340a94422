// rill/detail/sync/ordering_site.hpp - named memory orderings that a verification build can
// weaken one at a time.
//
// Every non-seq_cst ordering in channel code is written as
//
//     inline constexpr std::memory_order slot_publish =
//         sync::ordering_site("array.slot_publish", std::memory_order_release);  // (A2)
//
// In a normal build ordering_site() returns the second argument. A mutation build compiles the
// same headers with
//
//     -DRILL_MUTANT_SITE='"array.slot_publish"' -DRILL_MUTANT_ORDER=memory_order_relaxed
//
// and exactly that one site is weakened; the model-checking scenarios must then fail (see
// verify/mutation/ and docs/orderings.md). The site's name is the key the mutation bank uses, so
// it is stable: rename a site only together with docs/orderings.md.
#pragma once

#include <atomic>
#include <string_view>

#ifndef RILL_MUTANT_SITE
#define RILL_MUTANT_SITE ""
#endif
#ifndef RILL_MUTANT_ORDER
#define RILL_MUTANT_ORDER memory_order_relaxed
#endif

namespace rill::detail::sync {

/// The ordering to use at the named site: `normal`, unless this build mutates that very site.
consteval std::memory_order ordering_site(std::string_view name, std::memory_order normal) noexcept {
  return name == std::string_view(RILL_MUTANT_SITE) ? std::RILL_MUTANT_ORDER : normal;
}

/// The failure ordering of a compare-exchange whose success ordering is `success`: the strongest
/// ordering a failed compare-exchange may have (it performs only a load).
consteval std::memory_order failure_order_for(std::memory_order success) noexcept {
  switch (success) {
    case std::memory_order_acq_rel: return std::memory_order_acquire;
    case std::memory_order_release: return std::memory_order_relaxed;
    default: return success;
  }
}

}  // namespace rill::detail::sync
