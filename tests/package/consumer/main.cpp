// A project that uses an installed rill through find_package(rill CONFIG).
#include <rill/rill.hpp>

#include <cstdio>
#include <thread>

int main() {
  auto [tx, rx] = rill::bounded<int>(8);
  std::jthread producer([tx = std::move(tx)]() mutable {
    for (int i = 0; i < 1000; ++i) (void)tx.send(i);
  });
  long sum = 0;
  int count = 0;
  for (int value : rx) {
    sum += value;
    ++count;
  }
  std::printf("consumer: received %d messages, sum %ld\n", count, sum);
  return count == 1000 ? 0 : 1;
}
