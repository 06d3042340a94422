// SPEC R30: a send case refers to its message, so a case made from a temporary message and kept
// in a variable (the temporary is destroyed at the end of that declaration) is rejected.
// expect-error: rill::select: a send case refers to its message
#include <rill/rill.hpp>
#include <string>
int main() {
  auto [tx, rx] = rill::unbounded<std::string>();
  auto send_case = rill::on_send(tx, std::string("gone"), [](rill::send_result<std::string>) {});
  rill::select(send_case, rill::on_default([] {}));
}
