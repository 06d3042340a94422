// SPEC R39: as selector_temporary_receiver.cpp, for a send operation.
// expect-error: rill::selector: a temporary handle would dangle
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::selector selection;
  selection.send(rill::sender<int>(tx));
  (void)selection.try_select();
}
