// tests/support/channel_kinds.hpp - what several test binaries share: the channel kinds they run
// over, and a message type that counts its live instances.
#pragma once

#include <rill/rill.hpp>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <utility>

namespace rill::test {

/// One kind of channel: a capacity (0 = rendezvous) or unbounded.
struct flavor {
  const char* name;
  std::optional<std::size_t> capacity;  // nullopt: unbounded

  template <class T>
  std::pair<rill::sender<T>, rill::receiver<T>> make() const {
    return capacity ? rill::bounded<T>(*capacity) : rill::unbounded<T>();
  }
  [[nodiscard]] bool rendezvous() const { return capacity == std::size_t{0}; }
  [[nodiscard]] bool buffered() const { return !rendezvous(); }
  [[nodiscard]] bool unbounded() const { return !capacity.has_value(); }
  /// How many messages fit before a send would block; for unbounded, enough to span blocks.
  [[nodiscard]] std::size_t room() const { return capacity ? *capacity : 100; }

  /// GoogleTest prints a parameter by its name.
  friend void PrintTo(const flavor& kind, std::ostream* out) { *out << kind.name; }
};

/// RILL_STRESS_SCALE, at least 1: how many times the stress tests' default message counts to run.
inline int stress_scale() {
  static const int scale = [] {
    const char* text = std::getenv("RILL_STRESS_SCALE");
    const int value = text != nullptr ? std::atoi(text) : 1;
    return value >= 1 ? value : 1;
  }();
  return scale;
}

/// A message that counts how many of its kind are alive, so destruction can be checked exactly.
struct tracked {
  static inline std::atomic<int> alive{0};
  int value = 0;
  explicit tracked(int v) : value(v) { alive.fetch_add(1); }
  tracked(tracked&& other) noexcept : value(other.value) { alive.fetch_add(1); }
  tracked& operator=(tracked&&) = delete;
  ~tracked() { alive.fetch_sub(1); }
};

/// A message whose value's death is counted in the counter it points to (one counter per test,
/// or per message id); moved-from shells do not count. Move assignment kills the value it
/// overwrites, so tests that reassign results count that death too.
struct counted {
  std::atomic<int>* deaths = nullptr;
  int value = 0;

  counted(std::atomic<int>* counter, int v) noexcept : deaths(counter), value(v) {}
  counted(counted&& other) noexcept : deaths(std::exchange(other.deaths, nullptr)), value(other.value) {}
  counted& operator=(counted&& other) noexcept {
    if (this != &other) {
      if (deaths != nullptr) deaths->fetch_add(1);
      deaths = std::exchange(other.deaths, nullptr);
      value = other.value;
    }
    return *this;
  }
  ~counted() {
    if (deaths != nullptr) deaths->fetch_add(1);
  }
};

}  // namespace rill::test
