// A file lint_tidy must reject (lint_catches_tidy_findings): std::move of a forwarding reference
// moves from the caller's lvalue; the check has to name bugprone-move-forwarding-reference.
#include <string>
#include <utility>

template <class T>
std::string keep(T&& value) {
  return std::string(std::move(value));
}

int main() {
  std::string text = "kept";
  return static_cast<int>(keep(text).size());
}
