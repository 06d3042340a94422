// E7 - back-pressure: a bounded channel makes a fast producer wait for a slow consumer.
//
// Teaches: rill::bounded<T>(2) buffers at most two messages. A send into a full buffer blocks
// until a receive makes room, so the producer can never run more than two messages ahead of the
// consumer. The transcript of "sending / sent / received" lines shows it.
// Mirrors: the Rust tutorial on mpsc::sync_channel(2), where a producer prints before and after
// each of five sends and a slower consumer receives them.
// SPEC R1, R3, R13, R17, R26
//
// To make the full buffer certain rather than likely, the consumer starts only once the producer
// has filled the buffer (a std::latch). The pauses in the consumer only make it slow to watch.
#include <rill/rill.hpp>

#include <chrono>
#include <cstdio>
#include <latch>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  constexpr int capacity = 2;
  auto [tx, rx] = rill::bounded<int>(capacity);
  std::latch buffer_full{1};

  std::jthread producer([tx = std::move(tx), &buffer_full]() mutable {
    for (int value = 0; value < 5; ++value) {
      if (value == capacity) {
        // Nothing has been received yet, so the buffer is full and this send has to wait.
        std::printf("buffer full (%zu of %zu)\n", tx.size(), tx.capacity().value());
        buffer_full.count_down();  // let the consumer start
      }
      std::printf("sending %d\n", value);
      tx.send(value);  // blocks while the buffer holds two messages
      std::printf("sent %d\n", value);
    }
  });

  buffer_full.wait();
  for (int value : rx) {
    std::printf("received %d\n", value);
    std::this_thread::sleep_for(5ms);  // a slow consumer
  }
}
