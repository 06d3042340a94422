// A coroutine its caller owns and may destroy while it is suspended (SPEC R48 tests): it starts
// at once, and names its executor itself (its promise has no executor()).
#pragma once

#include <coroutine>
#include <exception>

namespace rill::test {

struct owned_coroutine {
  struct promise_type {
    owned_coroutine get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

}  // namespace rill::test
