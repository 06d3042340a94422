// E1 - hello, channel: a spawned thread sends one string, the main thread waits for it.
//
// Teaches: a channel is a pair of handles. The sender moves into the thread, the receiver stays
// in main; recv() blocks until a message arrives and returns it inside a std::expected.
// Mirrors: the Rust Book's first message-passing example (std::sync::mpsc::channel, a spawned
// thread sends "hi", the main thread receives it with recv and prints it).
// SPEC R3, R6, R15
#include <rill/rill.hpp>

#include <cstdio>
#include <string>
#include <thread>

int main() {
  auto [tx, rx] = rill::unbounded<std::string>();

  std::jthread worker([tx = std::move(tx)]() mutable {
    std::string greeting = "hi";
    tx.send(std::move(greeting));  // the string now belongs to the channel, then to the receiver
  });

  // recv() waits for the message; value() throws if none can ever come (like Rust's unwrap()).
  std::string received = rx.recv().value();
  std::printf("Got: %s\n", received.c_str());
}
