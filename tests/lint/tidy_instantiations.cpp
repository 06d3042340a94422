// What clang-tidy reads for lint_tidy: one translation unit that instantiates the public API over
// every flavor (bounded, rendezvous, unbounded), selection (the statement and the selector),
// timers, the Rust-shaped handles and the coroutine operations (rill's own awaitables and the
// Asio adaptor with its timed forms), so that the checks of .clang-tidy see the headers' template
// code and not only their declarations. It is compiled by clang-tidy only, never run.
#include <rill/asio.hpp>  // first: it tells Asio that clang has coroutines
#include <rill/async.hpp>
#include <rill/mpsc.hpp>
#include <rill/rill.hpp>
#include <rill/selector.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace {

using namespace std::chrono_literals;

template <class T>
int exercise(rill::sender<T> tx, rill::receiver<T> rx, T value) {
  int seen = 0;
  seen += tx.try_send(value).has_value() ? 1 : 0;
  seen += tx.send_for(value, 1ms).has_value() ? 1 : 0;
  seen += rx.try_recv().has_value() ? 1 : 0;
  seen += rx.recv_for(1ms).has_value() ? 1 : 0;
  seen += rill::select(rill::on_recv(rx, [](rill::recv_result<T> got) { return got.has_value() ? 1 : 0; }),
                       rill::on_send(tx, value, [](rill::send_result<T> sent) { return sent.has_value() ? 2 : 0; }),
                       rill::on_timeout(1ms, [] { return 3; }));
  rill::selector selector;
  const std::size_t receive = selector.recv(rx);
  selector.send(tx);
  if (auto chosen = selector.try_select()) {
    if (chosen->index() == receive) {
      seen += chosen->recv(rx).has_value() ? 1 : 0;
    } else {
      seen += chosen->send(tx, std::move(value)).has_value() ? 1 : 0;
    }
  }
  tx.close();
  for (const T& each : rx) {
    (void)each;
    ++seen;
  }
  return seen;
}

asio::awaitable<void> exercise_asio(rill::sender<std::string> tx, rill::receiver<std::string> rx) {
  (void)co_await rill::asio::async_send(tx, std::string("asio"), asio::use_awaitable);
  (void)co_await rill::asio::async_receive(rx, asio::use_awaitable);
  (void)co_await rill::asio::async_send_for(tx, std::string("timed"), 1ms, asio::use_awaitable);
  (void)co_await rill::asio::async_receive_until(rx, std::chrono::steady_clock::now() + 1ms, asio::use_awaitable);
}

rill::async_task exercise_coroutine(rill::sender<std::string> tx, rill::receiver<std::string> rx) {
  (void)co_await tx.async_send(std::string("coroutine"));
  (void)co_await rx.async_recv();
  (void)co_await tx.async_send_for(std::string("timed"), 1ms);
  (void)co_await rx.async_recv_until(std::chrono::steady_clock::now() + 1ms);
  std::string message("selected");
  (void)co_await rill::async_select_which(rill::on_recv(rx), rill::on_send(tx, message), rill::on_timeout(1ms));
  (void)co_await rill::async_select_biased(rill::on_recv(rx, [](rill::recv_result<std::string>) {}),
                                           rill::on_recv(rill::after(1ms), [](rill::recv_result<rill::instant>) {}));
}

}  // namespace

int main() try {
  int seen = 0;
  {
    auto [tx, rx] = rill::bounded<int>(2);
    seen += exercise(std::move(tx), std::move(rx), 1);
  }
  {
    auto [tx, rx] = rill::bounded<std::string>(0);
    seen += exercise(std::move(tx), std::move(rx), std::string("rendezvous"));
  }
  {
    auto [tx, rx] = rill::unbounded<std::string>();
    seen += exercise(std::move(tx), std::move(rx), std::string("unbounded"));
  }
  {
    auto [tx, rx] = rill::mpsc::sync_channel<int>(1);
    seen += tx.send(1).has_value() ? 1 : 0;
    seen += rx.recv().has_value() ? 1 : 0;
  }
  seen += rill::select(rill::on_recv(rill::after(1ms), [](rill::recv_result<rill::instant>) { return 1; }),
                       rill::on_recv(rill::tick(1ms), [](rill::recv_result<rill::instant>) { return 2; }));
  {
    auto [tx, rx] = rill::bounded<std::string>(0);
    asio::io_context context;
    asio::co_spawn(context, exercise_asio(tx, rx), asio::detached);
    rill::run_loop loop;
    loop.spawn(exercise_coroutine(tx, rx));
  }
  return seen > 0 ? 0 : 1;
} catch (...) {
  return 1;
}
