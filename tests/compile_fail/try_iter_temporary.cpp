// SPEC R27: try_iter() returns a view that refers to its receiver, so calling it on a temporary
// receiver is rejected (the range-for would drain a receiver destroyed before the loop runs).
// expect-error: rill::receiver::try_iter: a temporary receiver would be gone before the loop runs
#include <rill/rill.hpp>
int main() {
  auto [tx, rx] = rill::unbounded<int>();
  (void)tx.try_send(1);
  int sum = 0;
  for (int value : rill::receiver<int>(rx).try_iter()) sum += value;
  return sum;
}
