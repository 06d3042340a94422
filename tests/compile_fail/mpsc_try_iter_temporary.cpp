// SPEC R27, R28: mpsc::receiver::try_iter() returns a view that refers to its receiver, so calling
// it on a temporary receiver is rejected (the range-for would drain a receiver destroyed before
// the loop runs); std::move(rx).into_iter() is the owning form.
// expect-error: rill::mpsc::receiver::try_iter: a temporary receiver would be gone before the loop runs
#include <rill/rill.hpp>
#include <utility>
int main() {
  auto [tx, rx] = rill::mpsc::channel<int>();
  (void)tx.send(1);
  int sum = 0;
  for (int value : rill::mpsc::receiver<int>(std::move(rx)).try_iter()) sum += value;
  return sum;
}
