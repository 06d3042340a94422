// E12 - a ticker and a timeout in one select loop.
//
// Teaches: timer channels are ordinary receivers, so a select statement waits on them like on
// any channel. rill::tick(50ms) delivers a message every 50 ms (late ticks are not queued up),
// rill::after(1s) delivers one message after a second; the loop prints the elapsed time on every
// tick and leaves when the timeout's message arrives.
// Mirrors: Go's `ticker := time.NewTicker(50 * time.Millisecond); timeout := time.After(time.Second)`
// with `for { select { case <-ticker.C: ...; case <-timeout: return } }`, and crossbeam-channel's
// `tick` / `after` with `select!`.
// SPEC R30, R40, R41, R43
#include <rill/rill.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  const auto start = rill::timer_clock::now();
  auto elapsed_ms = [start](rill::instant when) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(when - start).count());
  };

  rill::receiver<rill::instant> ticker = rill::tick(50ms);
  rill::receiver<rill::instant> timeout = rill::after(1s);

  bool running = true;
  while (running) {
    rill::select(rill::on_recv(ticker, [&](rill::recv_result<rill::instant> tick) {
                   std::printf("tick at %lld ms\n", elapsed_ms(*tick));
                 }),
                 rill::on_recv(timeout, [&](rill::recv_result<rill::instant> fired) {
                   std::printf("timeout after %lld ms\n", elapsed_ms(*fired));
                   running = false;
                 }));
  }
}
