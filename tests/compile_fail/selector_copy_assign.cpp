// SPEC R39: as selector_copy.cpp, for copy assignment (the deleted copy assignment operator).
// expect-error: selector& operator=(const selector&) = delete
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::selector selection;
  (void)selection.recv(rx);
  rill::selector other;
  other = selection;
  (void)other.try_select();
}
