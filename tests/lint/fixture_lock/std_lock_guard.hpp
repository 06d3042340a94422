// A deliberately bad header: lint_catches_std_lock_guard must report it (a std guard hides the
// caller's line from the model checker's trace; channel code uses sync::lock_guard).
#pragma once
namespace rill::detail::sync {
class mutex;
}
template <class Guarded>
void with_lock(rill::detail::sync::mutex& m, Guarded body) {
  std::lock_guard hold(m);
  body();
}
