// bench/cpp/allocations.cpp - heap allocations per message and heap bytes per channel, for rill and
// the hand-written mutex_deque channel.
//
// Method: this program replaces the global operator new/delete (every form) with versions that
// count calls and requested bytes in relaxed atomics before forwarding to malloc/aligned_alloc.
//   channel_bytes_FLAVOR       counters reset, one channel created, counters read: what creating a
//                              channel allocates (bounded_1000 and bounded_100000 show the per-slot
//                              cost; unbounded channels may allocate their first block lazily).
//   allocations_WORKLOAD_FLAVOR  seq (one thread sends all then receives all) and spsc (a producer
//                              thread, the main thread receives). In spsc the producer is started
//                              and waits at a latch; counters are reset, the latch is released, and
//                              counters are read when the main thread has received every message,
//                              so thread creation is not counted but every allocation the channel
//                              makes while messages flow (blocks, parking contexts) is.
// Usage: allocations [--messages N]   (default 100,000)
#include <rill/rill.hpp>

#include "peers/mutex_deque_channel.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>

namespace {

std::atomic<std::uint64_t> allocation_count{0};
std::atomic<std::uint64_t> allocated_bytes{0};

void* counted_allocate(std::size_t size, std::size_t alignment) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* memory = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    memory = std::malloc(size);
  } else {
    const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
    memory = std::aligned_alloc(alignment, rounded);
  }
  return memory;
}

}  // namespace

void* operator new(std::size_t size) {
  if (void* memory = counted_allocate(size, 0)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* memory = counted_allocate(size, static_cast<std::size_t>(alignment))) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) { return ::operator new(size, alignment); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_allocate(size, 0); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return counted_allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return counted_allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }

namespace {

using message = std::uint64_t;

struct counts {
  std::uint64_t allocations;
  std::uint64_t bytes;
};

void reset_counts() {
  allocation_count.store(0);
  allocated_bytes.store(0);
}

counts read_counts() { return {allocation_count.load(), allocated_bytes.load()}; }

// A flavor here is a capacity; unbounded is spelled as "no capacity".
constexpr std::size_t unbounded = static_cast<std::size_t>(-1);

struct rill_channel {
  static constexpr const char* name = "rill";
  static auto make(std::size_t capacity) {
    return capacity == unbounded ? rill::unbounded<message>() : rill::bounded<message>(capacity);
  }
  static void send(rill::sender<message>& sender, message value) {
    if (!sender.send(value)) std::abort();
  }
  static message recv(rill::receiver<message>& receiver) { return receiver.recv().value(); }
};

struct mutex_deque_channel {
  static constexpr const char* name = "mutex_deque";
  using channel = bench::mutex_deque_channel<message>;
  static auto make(std::size_t capacity) {
    auto shared = std::make_shared<channel>(capacity == unbounded ? channel::unbounded_capacity : capacity);
    return std::pair{shared, shared};
  }
  static void send(std::shared_ptr<channel>& sender, message value) { sender->send(value); }
  static message recv(std::shared_ptr<channel>& receiver) { return receiver->recv(); }
};

std::string flavor_name(std::size_t capacity) {
  if (capacity == unbounded) return "unbounded";
  if (capacity <= 1) return "bounded" + std::to_string(capacity);
  return "bounded_" + std::to_string(capacity);
}

template <class Channel>
void measure_channel_bytes(std::size_t capacity) {
  reset_counts();
  counts created{};
  {
    auto channel = Channel::make(capacity);
    created = read_counts();
  }
  std::printf("channel_bytes_%s  %s  allocations=%llu bytes=%llu\n", flavor_name(capacity).c_str(), Channel::name,
              static_cast<unsigned long long>(created.allocations), static_cast<unsigned long long>(created.bytes));
}

void print_per_message(const char* workload, const std::string& flavor, const char* implementation, counts measured,
                       std::size_t messages) {
  std::printf(
      "allocations_%s_%s  %s  allocations_per_message=%.4f bytes_per_message=%.2f allocations=%llu messages=%zu\n",
      workload, flavor.c_str(), implementation,
      static_cast<double>(measured.allocations) / static_cast<double>(messages),
      static_cast<double>(measured.bytes) / static_cast<double>(messages),
      static_cast<unsigned long long>(measured.allocations), messages);
}

template <class Channel>
void measure_seq(std::size_t capacity, const std::string& flavor, std::size_t messages) {
  auto [sender, receiver] = Channel::make(capacity);
  reset_counts();
  for (message value = 0; value < messages; ++value) Channel::send(sender, value);
  for (std::size_t received = 0; received < messages; ++received) Channel::recv(receiver);
  print_per_message("seq", flavor, Channel::name, read_counts(), messages);
}

template <class Channel>
void measure_spsc(std::size_t capacity, const std::string& flavor, std::size_t messages) {
  auto [sender, receiver] = Channel::make(capacity);
  std::latch start(1);
  std::thread producer([&, sender]() mutable {
    start.wait();
    for (message value = 0; value < messages; ++value) Channel::send(sender, value);
  });
  reset_counts();
  start.count_down();
  for (std::size_t received = 0; received < messages; ++received) Channel::recv(receiver);
  const counts measured = read_counts();
  producer.join();
  print_per_message("spsc", flavor, Channel::name, measured, messages);
}

template <class Channel>
void measure_all(std::size_t messages) {
  for (std::size_t capacity : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{100000}, unbounded})
    measure_channel_bytes<Channel>(capacity);
  // "bounded" is capacity = all messages, as in the throughput cases.
  measure_seq<Channel>(messages, "bounded", messages);
  measure_seq<Channel>(unbounded, "unbounded", messages);
  measure_spsc<Channel>(0, "bounded0", messages);
  measure_spsc<Channel>(1, "bounded1", messages);
  measure_spsc<Channel>(messages, "bounded", messages);
  measure_spsc<Channel>(unbounded, "unbounded", messages);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 100'000;
  for (int index = 1; index + 1 < argc; ++index)
    if (std::string(argv[index]) == "--messages") messages = std::stoull(argv[index + 1]);
  measure_all<rill_channel>(messages);
  measure_all<mutex_deque_channel>(messages);
}
