// E2 - a receiver is a range: iterate until the sender is gone.
//
// Teaches: range-for over a receiver receives messages in the order they were sent, and the
// loop ends by itself once every sender is gone and nothing is left to receive.
// Mirrors: the Rust Book's example where a thread sends several words with a pause between them
// and the main thread treats the receiver as an iterator.
// SPEC R3, R10, R13, R27
#include <rill/rill.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::unbounded<std::string>();

  std::jthread producer([tx = std::move(tx)]() mutable {
    for (const char* word : {"hi", "from", "the", "thread"}) {
      tx.send(word);
      std::this_thread::sleep_for(2ms);  // a pause, so the receiver really waits between words
    }
  });  // when the thread finishes, its sender is destroyed and the channel disconnects

  for (const std::string& message : rx) {
    std::printf("Got: %s\n", message.c_str());
  }
  std::printf("The sender is gone: the loop has ended.\n");
}
