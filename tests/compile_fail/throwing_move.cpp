// SPEC R23: a message type whose move constructor may throw is rejected.
// expect-error: rill: the message type's move constructor must be noexcept
#include <rill/rill.hpp>
struct throwing_move {
  throwing_move() = default;
  throwing_move(throwing_move&&) noexcept(false) {}
};
int main() { auto channel = rill::bounded<throwing_move>(1); }
