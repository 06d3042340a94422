// E11 - the same tour on a bounded channel of capacity 5.
//
// Teaches: every step of e10_tour_unbounded.cpp holds for rill::bounded<int>(5) too; the only
// visible difference is that the channel reports its capacity. The flavor changes how messages
// are stored, not what the operations mean.
// Mirrors: the commented alternative in the crossbeam-channel documentation's tour, which creates
// the channel with bounded(5) instead of unbounded().
// The program prints each step with "ok" or "FAILED" and exits with 1 if any fact fails.
// SPEC R1, R3, R6, R7, R10, R13, R21, R26, R27
#include <rill/rill.hpp>

#include <cstddef>
#include <cstdio>
#include <expected>
#include <thread>
#include <vector>

namespace {

int failed_facts = 0;

void fact(bool holds, const char* step) {
  std::printf("%-6s %s\n", holds ? "ok" : "FAILED", step);
  if (!holds) ++failed_facts;
}

}  // namespace

int main() {
  auto [tx, rx] = rill::bounded<int>(5);
  fact(rx.capacity() == std::size_t{5}, "capacity() is 5");

  std::jthread helper([sender = tx]() mutable { sender.send(1); });
  fact(rx.recv() == 1, "recv() returns 1, sent from another thread through a copy of the sender");
  helper.join();  // the helper's copy of the sender is gone; the original is still here

  fact(rx.try_recv() == std::unexpected(rill::recv_error::empty), "try_recv() on the empty channel reports empty");

  tx.send(2);
  std::vector<int> drained;
  for (int value : rx.try_iter()) drained.push_back(value);
  fact(drained == std::vector{2}, "try_iter() yields 2, the one message there, and stops without blocking");

  tx.send(3);
  tx.reset();  // the last sender is released: the channel disconnects, 3 stays buffered
  std::vector<int> rest;
  for (int value : rx) rest.push_back(value);
  fact(rest == std::vector{3}, "range-for yields 3, the rest, and ends because no sender is left");

  fact(rx.empty() && rx.size() == 0, "the channel is empty");
  fact(rx.recv() == std::unexpected(rill::recv_error::disconnected), "recv() reports disconnected at once");

  if (failed_facts != 0) {
    std::printf("%d fact(s) failed\n", failed_facts);
    return 1;
  }
  std::printf("every fact holds\n");
}
