// SPEC R30: rill::when moves a case made in its call into itself, but a send case inside still
// refers to its message; one made from a temporary message and kept in a variable through
// rill::when (the temporary is destroyed at the end of that declaration) is rejected, as
// select_stored_send_case.cpp is without rill::when.
// expect-error: rill::select: a send case refers to its message
#include <rill/rill.hpp>
#include <string>
int main() {
  auto [tx, rx] = rill::unbounded<std::string>();
  const bool enabled = true;
  auto kept = rill::when(enabled, rill::on_send(tx, std::string("gone"), [](rill::send_result<std::string>) {}));
  rill::select(kept, rill::on_default([] {}));
}
