// SPEC R39: a selector is movable but not copyable (its operations refer to one pending
// selection and one single-user mark); a copy is rejected by the deleted copy constructor, which
// the compiler's note quotes.
// expect-error: selector(const selector&) = delete
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::selector selection;
  (void)selection.recv(rx);
  rill::selector copy = selection;
  (void)copy.try_select();
}
