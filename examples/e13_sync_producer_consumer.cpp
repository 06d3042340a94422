// E13 - producer and consumer on plain threads (the synchronous half of a sync/async contrast).
//
// Teaches: a producer thread sends 1..4 and a consumer iterates over the receiver; every value
// is sent once and received once, in the order sent. The two threads' lines may interleave in
// any way. The asynchronous half (a coroutine awaiting messages) is E14, for when rill has a
// coroutine interface.
// Mirrors: the tutorials that contrast std::sync::mpsc on threads with tokio's async channel,
// using the same producer ("Sent") and consumer ("Received") in both.
// SPEC R3, R6, R10, R13, R27
#include <rill/rill.hpp>

#include <cstdio>
#include <thread>

int main() {
  auto [tx, rx] = rill::unbounded<int>();

  std::jthread producer([tx = std::move(tx)]() mutable {
    for (int value = 1; value <= 4; ++value) {
      tx.send(value);
      std::printf("Sent %d\n", value);
    }
  });

  for (int value : rx) {
    std::printf("Received %d\n", value);
  }
  std::printf("The producer is done: every value received.\n");
}
