// tests/support/channel_kinds.hpp - what several test binaries share: the channel kinds they run
// over, and a message type that counts its live instances.
#pragma once

#include <rill/rill.hpp>

#include <atomic>
#include <cstddef>
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

/// A message that counts how many of its kind are alive, so destruction can be checked exactly.
struct tracked {
  static inline std::atomic<int> alive{0};
  int value = 0;
  explicit tracked(int v) : value(v) { alive.fetch_add(1); }
  tracked(tracked&& other) noexcept : value(other.value) { alive.fetch_add(1); }
  tracked& operator=(tracked&&) = delete;
  ~tracked() { alive.fetch_sub(1); }
};

}  // namespace rill::test
