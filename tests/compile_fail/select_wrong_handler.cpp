// SPEC R30: a receive case whose handler cannot take the case's result is rejected.
// expect-error: rill::on_recv: the handler must be callable with rill::recv_result<T>
#include <rill/rill.hpp>
#include <string>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::select(rill::on_recv(rx, [](const std::string&) {}));
}
