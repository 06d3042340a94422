// E12 - a ticker and a timeout in one select loop.
//
// Teaches: timer channels are ordinary receivers, so a select statement waits on them like on
// any channel. rill::tick(50ms) delivers a message every 50 ms (late ticks are not queued up),
// rill::after(1s) delivers one message after a second; the loop prints the elapsed time on every
// tick and leaves when the timeout's message arrives. rill::select_which returns which case fired
// (its position among the arguments) with that case's result, so the loop is left with an
// ordinary `break`.
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

  for (;;) {
    auto fired = rill::select_which(rill::on_recv(ticker), rill::on_recv(timeout));
    if (fired.is<1>()) {  // get<1>() is the timeout's recv_result<rill::instant>
      std::printf("timeout after %lld ms\n", elapsed_ms(*fired.get<1>()));
      break;
    }
    std::printf("tick at %lld ms\n", elapsed_ms(*fired.get<0>()));
  }
}
