// SPEC R30: an argument of rill::select that is not a case is rejected with a message.
// expect-error: rill::select: every argument must be a case
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::select(rill::on_recv(rx, [](rill::recv_result<int>) {}), 42);
}
