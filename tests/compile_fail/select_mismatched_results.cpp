// SPEC R30: handlers whose results have no common type are rejected.
// expect-error: rill::select: the handlers must all return the same type
#include <rill/rill.hpp>
#include <string>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::select(rill::on_recv(rx, [](rill::recv_result<int>) { return 1; }),
               rill::on_default([] { return std::string("none"); }));
}
