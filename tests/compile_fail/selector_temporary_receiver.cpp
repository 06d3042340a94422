// SPEC R39: a selector refers to the handles added to it, so adding a temporary one is rejected
// (it would be destroyed at the end of the statement, and the selection would read freed memory).
// expect-error: rill::selector: a temporary handle would dangle
#include <chrono>
#include <rill/rill.hpp>
int main() {
  using namespace std::chrono_literals;
  rill::selector selection;
  selection.recv(rill::after(10ms));
  (void)selection.select_for(20ms);
}
