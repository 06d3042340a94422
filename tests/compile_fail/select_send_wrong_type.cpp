// SPEC R30: a send case whose message does not convert to the channel's type is rejected.
// expect-error: rill::on_send: the message must be convertible to the sender's message type T
#include <rill/rill.hpp>
#include <string>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  rill::select(rill::on_send(tx, std::string("text"), [](rill::send_result<int>) {}));
}
