// tests/support/allocation_counter.hpp - counts the allocations of a test binary (SPEC R47).
//
// Counted by wrapping, at link time, the two operators that the binary's code calls to allocate:
// operator new(size_t) (coroutine frames, the standard library's containers) and operator
// new(size_t, align_val_t, nothrow_t const&) (the sync layer's allocate_bytes). Replacing
// operator new instead would not link under clang's ThreadSanitizer, whose runtime defines it.
// Include this header in exactly one translation unit of a binary linked with
//   "LINKER:--wrap=_Znwm" "LINKER:--wrap=_ZnwmSt11align_val_tRKSt9nothrow_t"
// (tests/async/async.cmake, tests/stress/stress.cmake).
#pragma once

#include <atomic>
#include <cstddef>
#include <new>

namespace rill::test {
/// Allocations made through the two wrapped operators since the program started.
inline std::atomic<std::size_t> allocations{0};
}  // namespace rill::test

extern "C" void* __real__Znwm(std::size_t bytes);  // NOLINT
extern "C" void* __real__ZnwmSt11align_val_tRKSt9nothrow_t(std::size_t bytes, std::align_val_t alignment,
                                                           const std::nothrow_t& tag) noexcept;  // NOLINT
extern "C" void* __wrap__Znwm(std::size_t bytes) {                                               // NOLINT
  rill::test::allocations.fetch_add(1, std::memory_order_relaxed);
  return __real__Znwm(bytes);
}
extern "C" void* __wrap__ZnwmSt11align_val_tRKSt9nothrow_t(std::size_t bytes, std::align_val_t alignment,  // NOLINT
                                                           const std::nothrow_t& tag) noexcept {
  rill::test::allocations.fetch_add(1, std::memory_order_relaxed);
  return __real__ZnwmSt11align_val_tRKSt9nothrow_t(bytes, alignment, tag);
}
