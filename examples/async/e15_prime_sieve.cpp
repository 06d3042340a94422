// E15 - Go's concurrent prime sieve with coroutines: one coroutine per prime, chained by
// rendezvous channels, on an Asio io_context run by two threads (rill/asio.hpp).
//
//   func Generate(ch chan<- int) { for i := 2; ; i++ { ch <- i } }
//   func Filter(in <-chan int, out chan<- int, prime int) {
//     for { i := <-in; if i%prime != 0 { out <- i } }
//   }
//
// Teaches: a coroutine waiting on a channel holds no thread, so a program can have thousands
// of them on two threads; each `co_await` on a rendezvous channel is a hand-off between two
// coroutines through the io_context, never a resumption inside the partner's operation (R46).
// Shutdown is by disconnection, as in Go when the main goroutine returns: when main stops
// reading, its receiver goes, the last filter's send fails `disconnected`, that filter returns
// and drops its receiver, and so on back to the generator.
// Mirrors: the sieve of the Go tour and of "Go Concurrency Patterns" (golang.org/doc/play/sieve.go).
// SPEC R4, R9, R13, R45, R46, R49
#include <rill/asio.hpp>
#include <rill/rill.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>

asio::awaitable<void> generate(rill::sender<int> out) {
  for (int i = 2;; ++i) {
    if (!co_await rill::asio::async_send(out, i, asio::use_awaitable)) co_return;  // downstream gone
  }
}

asio::awaitable<void> filter(rill::receiver<int> in, rill::sender<int> out, int prime) {
  while (auto value = co_await rill::asio::async_receive(in, asio::use_awaitable)) {
    if (*value % prime == 0) continue;
    if (!co_await rill::asio::async_send(out, *value, asio::use_awaitable)) co_return;
  }
}

asio::awaitable<void> sieve(asio::io_context& context, int count) {
  auto [tx, rx] = rill::bounded<int>(0);
  asio::co_spawn(context, generate(std::move(tx)), asio::detached);
  int prime = 0;
  for (int n = 1; n <= count; ++n) {
    prime = (co_await rill::asio::async_receive(rx, asio::use_awaitable)).value();
    if (n <= 10) std::printf("prime %d: %d\n", n, prime);
    auto [next_tx, next_rx] = rill::bounded<int>(0);
    asio::co_spawn(context, filter(std::move(rx), std::move(next_tx), prime), asio::detached);
    rx = std::move(next_rx);
  }
  std::printf("prime %d: %d, found by a chain of %d coroutines\n", count, prime, count + 1);
}  // rx goes: the chain unwinds by disconnection

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  asio::io_context context;
  asio::co_spawn(context, sieve(context, count), asio::detached);
  std::jthread second([&context] { context.run(); });
  context.run();  // both threads return once every coroutine has finished
}
