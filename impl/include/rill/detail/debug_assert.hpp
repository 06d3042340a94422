// rill/detail/debug_assert.hpp - invariants of rill's own code, checked in Debug and sanitizer builds.
//
// A broken invariant here is a bug in rill, never a misuse by its caller (misuse has documented
// outcomes: SPEC R22, R39). The checks are on when NDEBUG is not defined (the Debug presets, ASan)
// or when RILL_DEBUG_CHECKS=1 (the TSan presets, which build with optimisation); RILL_DEBUG_CHECKS=0
// turns them off. A failure prints the condition and its line and aborts: continuing with a
// waiter that a waker still points to, or a counter layout that does not hold, would corrupt
// memory later and far from the cause.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <source_location>

#if !defined(RILL_DEBUG_CHECKS)
#if defined(NDEBUG)
#define RILL_DEBUG_CHECKS 0
#else
#define RILL_DEBUG_CHECKS 1
#endif
#endif

namespace rill::detail {

[[noreturn]] inline void debug_check_failed(const char* condition, const char* meaning,
                                            std::source_location where) noexcept {
  std::fprintf(stderr, "rill: internal invariant broken at %s:%u: %s (%s)\n", where.file_name(),
               static_cast<unsigned>(where.line()), meaning, condition);
  std::abort();
}

}  // namespace rill::detail

/// Checks an invariant of rill's own code (see above); `meaning` says what it promises.
#define RILL_DEBUG_ASSERT(condition, meaning)                                                     \
  ((RILL_DEBUG_CHECKS && !(condition))                                                            \
       ? ::rill::detail::debug_check_failed(#condition, meaning, std::source_location::current()) \
       : void())
