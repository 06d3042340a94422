// SPEC R30: a select statement with two fallback cases (default and timeout) is rejected.
// expect-error: rill::select: at most one on_default, on_timeout or on_deadline case
#include <chrono>
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::select(rill::on_recv(rx, [](rill::recv_result<int>) {}), rill::on_default([] {}),
               rill::on_timeout(std::chrono::milliseconds(1), [] {}));
}
