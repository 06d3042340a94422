// E4 - one sender per thread, and release the original.
//
// Teaches: each thread gets its own copy of the sender. The original in main must be released
// too (reset() here), or the receiving loop would wait forever for a sender nobody uses.
// Mirrors: the common Rust tutorial where three threads each send "Message from thread i"
// through a clone of one transmitter, and the original is dropped before the receive loop.
// SPEC R10, R21, R27
#include <rill/rill.hpp>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
  auto [tx, rx] = rill::unbounded<std::string>();

  std::vector<std::jthread> threads;
  for (int id = 0; id < 3; ++id) {
    threads.emplace_back([sender = tx, id]() mutable {  // a copy of the sender for each thread
      sender.send("Message from thread " + std::to_string(id));
    });
  }
  tx.reset();  // release the original now: the loop below ends when the last copy is gone

  for (const std::string& message : rx) {
    std::printf("%s\n", message.c_str());
  }
  std::printf("All senders are gone: the loop has ended.\n");
}
