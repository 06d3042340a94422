// E3 - two producers: copy the sender, and the loop waits for both copies to go.
//
// Teaches: copying a sender makes a second sender of the same channel. Each producer's
// messages arrive in the order it sent them; the two producers interleave freely. The receiving
// loop ends only when every sender is gone.
// Mirrors: the Rust Book's example that clones the transmitter so that two spawned threads send
// words, with pauses, to one receiver.
// SPEC R10, R13, R21, R27
#include <rill/rill.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::unbounded<std::string>();
  auto tx1 = tx;  // a copy is another sender of the same channel

  std::jthread first([tx1 = std::move(tx1)]() mutable {
    for (const char* word : {"hi", "from"}) {
      tx1.send(word);
      std::this_thread::sleep_for(2ms);
    }
  });
  std::jthread second([tx = std::move(tx)]() mutable {
    for (const char* word : {"more", "messages"}) {
      tx.send(word);
      std::this_thread::sleep_for(2ms);
    }
  });

  for (const std::string& message : rx) {
    std::printf("Got: %s\n", message.c_str());
  }
  std::printf("Both senders are gone: the loop has ended.\n");
}
