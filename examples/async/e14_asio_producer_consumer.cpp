// E14 with Asio - the producer and consumer of E13 as two coroutines spawned on an Asio
// io_context (rill/asio.hpp), the shape of the async-channel / tokio examples:
//
//   tokio::spawn(async move { for i in 1..=4 { tx.send(i).await.unwrap(); } });
//   while let Ok(x) = rx.recv().await { println!("{x}"); }
//
// Teaches: rill's channels take Asio completion tokens: `co_await rill::asio::async_send(tx, v,
// asio::use_awaitable)` and `co_await rill::asio::async_receive(rx, asio::use_awaitable)` give
// the results of send() and recv(). The producer's coroutine ends, its sender goes with its frame,
// and the consumer's loop ends at `disconnected`, as in E13. Every value is sent once and received
// once, in order; the two sides' lines may interleave in any way.
// Mirrors: async_channel::unbounded() with tokio::spawn; Go's `go producer(ch)` with `for x := range ch`.
// SPEC R3, R6, R13, R45, R46
#include <rill/asio.hpp>
#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>

asio::awaitable<void> produce(rill::sender<int> tx) {
  for (int value = 1; value <= 4; ++value) {
    (co_await rill::asio::async_send(tx, value, asio::use_awaitable)).value();  // throws if disconnected
    std::printf("Sent %d\n", value);
  }
}

asio::awaitable<void> consume(rill::receiver<int> rx) {
  while (auto value = co_await rill::asio::async_receive(rx, asio::use_awaitable)) {  // ends at `disconnected`
    std::printf("Received %d\n", *value);
  }
  std::printf("The producer is done: every value received.\n");
}

int main() {
  asio::io_context context;
  auto [tx, rx] = rill::unbounded<int>();
  asio::co_spawn(context, produce(std::move(tx)), asio::detached);
  asio::co_spawn(context, consume(std::move(rx)), asio::detached);
  context.run();  // until both coroutines have finished
}
