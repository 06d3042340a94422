// E6 - a timed receive tells "closed" apart from "too slow".
//
// Teaches: recv_for() fails with recv_error::timeout only while a sender could still send. Once
// every sender is gone and nothing is buffered it fails with recv_error::disconnected, at once,
// without waiting for the timeout.
// Mirrors: the Rust example that drops the only sender and then calls recv_timeout, matching
// RecvTimeoutError::Disconnected rather than RecvTimeoutError::Timeout.
// SPEC R8, R10, R21
#include <rill/rill.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::unbounded<int>();
  tx.reset();  // the only sender is gone before it sent anything

  auto result = rx.recv_for(1s);
  if (result) {
    std::printf("Got: %d\n", *result);
    return 0;
  }
  switch (result.error()) {
    case rill::recv_error::timeout: std::printf("Timed out: no message within a second.\n"); break;
    case rill::recv_error::disconnected:
      std::printf("The channel is closed: every sender is gone (disconnected, not a timeout).\n");
      break;
    case rill::recv_error::empty:      // only try_recv() reports empty
    case rill::recv_error::cancelled:  // only a cancelled async receive reports cancelled
      break;
  }
}
