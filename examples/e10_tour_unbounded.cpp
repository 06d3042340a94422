// E10 - a tour of one unbounded channel, every step an asserted fact.
//
// Teaches, in order: a copy of the sender sends from another thread and recv() gets it;
// try_recv() on an empty channel reports empty; try_iter() drains what is there without
// blocking; after the last sender is released, range-for collects the rest and ends; the
// channel is then empty, and recv() reports disconnected at once instead of blocking.
// Mirrors: the crossbeam-channel documentation's tour of an unbounded channel (its commented
// alternative, a bounded channel of capacity 5, is e11_tour_bounded.cpp).
// The program prints each step with "ok" or "FAILED" and exits with 1 if any fact fails.
// SPEC R3, R6, R7, R10, R13, R21, R26, R27
#include <rill/rill.hpp>

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
  auto [tx, rx] = rill::unbounded<int>();

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
