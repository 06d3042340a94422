// E14 - the producer and consumer of E13, with a coroutine as the consumer.
//
// Teaches: a coroutine awaits messages (`co_await rx.async_recv()`) on the same kind of channel a
// thread blocks on; while it waits it holds no thread, and it is resumed by its executor (a
// rill::run_loop on the main thread), never by the sending thread. The producer is a plain
// thread, as in E13: threads and coroutines meet on one channel. Every value is sent once and
// received once, in the order sent; the two sides' lines may interleave in any way.
// Mirrors: the tokio / async-channel half of the tutorials that contrast std::sync::mpsc with an
// async channel (`while let Ok(x) = rx.recv().await`).
// SPEC R3, R6, R13, R45, R46, R49
#include <rill/async.hpp>
#include <rill/rill.hpp>

#include <cstdio>
#include <thread>

rill::async_task consume(rill::receiver<int> rx) {
  while (auto value = co_await rx.async_recv()) {  // ends at `disconnected`
    std::printf("Received %d\n", *value);
  }
  std::printf("The producer is done: every value received.\n");
}

int main() {
  auto [tx, rx] = rill::unbounded<int>();
  rill::run_loop loop;
  loop.spawn(consume(std::move(rx)));

  std::jthread producer([tx = std::move(tx)]() mutable {
    for (int value = 1; value <= 4; ++value) {
      tx.send(value);
      std::printf("Sent %d\n", value);
    }
  });

  loop.run();  // runs the consumer until it has finished
}
