// SPEC R30: rill::when switches a case on or off; given something that is not a case (here the
// receiver itself instead of rill::on_recv(rx)), it is rejected with a message.
// expect-error: rill::when: the second argument must be a case
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::bounded<int>(1);
  const bool ready = true;
  rill::select(rill::when(ready, rx), rill::on_default([] {}));
}
