// E5 - polling without blocking: try_recv() and its two ways of saying "nothing".
//
// Teaches: try_recv() never waits. It returns the message if one is there, recv_error::empty if
// not yet, and recv_error::disconnected once the sender is gone and nothing is left; a polling
// loop does other work on empty and stops on disconnected.
// Mirrors: the common Rust tutorial where a thread sends one message after a delay and the main
// loop polls with try_recv, printing "no message yet" on TryRecvError::Empty and leaving on
// TryRecvError::Disconnected.
// SPEC R7, R10
#include <rill/rill.hpp>

#include <chrono>
#include <cstdio>
#include <latch>
#include <string>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::unbounded<std::string>();

  // The producer starts its work only after main's first poll, so that poll surely finds the
  // channel empty: the "no message yet" line is certain, not a matter of timing.
  std::latch first_poll_done{1};

  std::jthread producer([tx = std::move(tx), &first_poll_done]() mutable {
    first_poll_done.wait();
    std::this_thread::sleep_for(10ms);  // the message takes a while to produce
    tx.send("the result, at last");
  });

  bool first_poll = true;
  for (;;) {
    auto message = rx.try_recv();
    if (message) {
      std::printf("Got: %s\n", message->c_str());
      continue;
    }
    if (message.error() == rill::recv_error::disconnected) {
      std::printf("The sender is gone: channel disconnected.\n");
      break;
    }
    // recv_error::empty: nothing yet, the sender is still there.
    std::printf("no message yet, doing other work\n");
    if (first_poll) {
      first_poll = false;
      first_poll_done.count_down();  // now the producer may start
    }
    std::this_thread::sleep_for(2ms);  // the other work
  }
}
