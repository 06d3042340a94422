// E9 - a failed send hands the message back.
//
// Teaches: once the last receiver is gone, send() fails with send_errc::disconnected, and the
// error carries the unsent message, so nothing is lost: the caller gets its 42 back.
// Mirrors: the Rust example that drops the receiver, then matches Err(SendError(value)) from
// send and prints the value that came back.
// SPEC R3, R9, R11
#include <rill/rill.hpp>

#include <cstdio>

int main() {
  auto [tx, rx] = rill::unbounded<int>();
  rx.reset();  // the only receiver is gone: nobody can ever receive

  auto sent = tx.send(42);
  if (sent) {
    std::printf("sent\n");
    return 0;
  }
  const rill::send_error<int>& error = sent.error();
  if (error.reason == rill::send_errc::disconnected) {
    std::printf("send failed: the receiver is gone; the unsent value came back: %d\n", error.message);
  }
}
