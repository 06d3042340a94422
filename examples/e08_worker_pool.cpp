// E8 - a worker pool reports results through one channel.
//
// Teaches: every worker gets a copy of the sender and sends its result as a
// std::pair<int, int>; main releases the original sender, collects one result per worker (in
// whatever order they finish), and joins the workers.
// Mirrors: the common Rust thread-pool tutorial where four workers each send (id, id * 10)
// through a clone of one transmitter and the main thread collects the results.
// SPEC R10, R21, R27
#include <rill/rill.hpp>

#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

int main() {
  constexpr int worker_count = 4;
  auto [tx, rx] = rill::unbounded<std::pair<int, int>>();

  std::vector<std::jthread> workers;
  for (int id = 0; id < worker_count; ++id) {
    workers.emplace_back([sender = tx, id]() mutable {
      int result = id * 10;  // the work
      sender.send({id, result});
    });
  }
  tx.reset();  // only the workers' copies are left: the loop ends when the last worker is done

  int collected = 0;
  for (auto [id, result] : rx) {
    std::printf("worker %d sent %d\n", id, result);
    ++collected;
  }
  for (std::jthread& worker : workers) worker.join();
  std::printf("collected %d results, all workers joined\n", collected);
}
