// SPEC R23: a message type whose destructor may throw is rejected.
// expect-error: rill: the message type's destructor must be noexcept
#include <rill/rill.hpp>
struct throwing_destructor {
  ~throwing_destructor() noexcept(false) {}
};
int main() { auto channel = rill::unbounded<throwing_destructor>(); }
