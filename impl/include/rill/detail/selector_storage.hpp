// rill/detail/selector_storage.hpp - where a rill::selector keeps its operations.
//
// A selector is often made for one selection and dropped (crossbeam's benchmark, and the loop
// bodies it models, build a fresh one per message), so making and dropping one is on the hot
// path: with four receive operations it is most of the cost of a selected receive. Two plain
// containers serve it, each holding its first elements inside the selector and going to the heap
// only beyond that:
//
//   bump_arena<InlineBytes>   the operations themselves (of varying types and sizes): allocation
//                             moves a pointer; nothing is freed one by one; release() frees the
//                             overflow blocks at once. Alignment up to alignof(std::max_align_t).
//   small_vector<T, N>        the operation pointers and the selection order, as contiguous
//                             arrays (the select loop takes them as spans). T is trivially
//                             copyable; growing copies the elements.
//
// Their heap memory comes from the sync layer (sync::allocate_bytes), like every channel's, so
// the allocation hook sees it: a refused allocation is std::bad_alloc from the selector member
// that needed it, which then changes nothing (tests/unit/select_test.cpp, "selector.*").
//
// They replace a std::pmr::monotonic_buffer_resource and three std::pmr::vector, whose virtual
// allocation calls, out-of-line release and per-vector bookkeeping cost about a third of making
// and dropping a selector of four receives (docs/performance.md, "Selection").
// Neither is thread-safe: a selector is used by one thread at a time (R39).
#pragma once

#include "rill/detail/sync/sync.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <new>
#include <span>
#include <type_traits>

namespace rill::detail {

template <std::size_t InlineBytes>
class bump_arena {
 public:
  bump_arena() = default;
  bump_arena(const bump_arena&) = delete;
  bump_arena& operator=(const bump_arena&) = delete;
  ~bump_arena() { release(); }

  /// `bytes` aligned to `alignment` (at most alignof(std::max_align_t)); throws std::bad_alloc.
  void* allocate(std::size_t bytes, std::size_t alignment) {
    if (void* fitted = fit(bytes, alignment)) return fitted;
    // A new block, at least twice the last and large enough for this request; the previous
    // block's tail is left unused (the arena only grows until release).
    const std::size_t wanted = std::max(bytes + alignment, 2 * static_cast<std::size_t>(current_end_ - current_begin_));
    void* memory = sync::allocate_bytes(sizeof(overflow_block) + wanted, alignof(overflow_block));
    if (memory == nullptr) throw std::bad_alloc();
    auto* block = ::new (memory) overflow_block{overflow_, wanted};
    overflow_ = block;
    current_begin_ = reinterpret_cast<std::byte*>(block + 1);
    current_end_ = current_begin_ + wanted;
    next_ = current_begin_;
    return fit(bytes, alignment);  // fits by construction
  }

  /// Takes back the most recent allocation (`pointer`, `bytes`), as if it had not been made: an
  /// operation whose binding threw leaves no bytes behind.
  void unallocate_last(void* pointer, std::size_t bytes) noexcept {
    if (static_cast<std::byte*>(pointer) + bytes == next_) next_ = static_cast<std::byte*>(pointer);
  }

  /// Frees every overflow block and makes the inline bytes available again. The objects built in
  /// the arena must have been destroyed.
  void release() noexcept {
    while (overflow_ != nullptr) {
      overflow_block* previous = overflow_->previous;
      sync::deallocate_bytes(overflow_, sizeof(overflow_block) + overflow_->bytes, alignof(overflow_block));
      overflow_ = previous;
    }
    current_begin_ = inline_;
    current_end_ = inline_ + InlineBytes;
    next_ = inline_;
  }

 private:
  struct alignas(std::max_align_t) overflow_block {
    overflow_block* previous;
    std::size_t bytes;  // usable bytes after the header
  };

  void* fit(std::size_t bytes, std::size_t alignment) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(next_);
    const std::size_t padding = (alignment - address % alignment) % alignment;
    const auto room = static_cast<std::size_t>(current_end_ - next_);
    if (padding > room || bytes > room - padding) return nullptr;
    std::byte* const start = next_ + padding;
    next_ = start + bytes;
    return start;
  }

  alignas(std::max_align_t) std::byte inline_[InlineBytes];
  std::byte* current_begin_ = inline_;
  std::byte* current_end_ = inline_ + InlineBytes;
  std::byte* next_ = inline_;
  overflow_block* overflow_ = nullptr;
};

template <class T, std::size_t N>
class small_vector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  // The size of one element (T is often a pointer type, which clang-tidy's sizeof check doubts).
  static constexpr std::size_t element_bytes = sizeof(T);  // NOLINT(bugprone-sizeof-expression)

 public:
  small_vector() = default;
  small_vector(const small_vector&) = delete;
  small_vector& operator=(const small_vector&) = delete;
  ~small_vector() { free_heap(); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t index) noexcept { return data_[index]; }
  const T& operator[](std::size_t index) const noexcept { return data_[index]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }
  std::span<T> items() noexcept { return {data_, size_}; }

  /// Makes room for `count` elements in all; throws std::bad_alloc and changes nothing if it
  /// cannot. After it, push_back up to that size does not throw.
  void reserve(std::size_t count) {
    if (count <= capacity_) return;
    const std::size_t grown = std::max(count, 2 * capacity_);
    if (grown > std::numeric_limits<std::size_t>::max() / element_bytes) throw std::bad_alloc();
    void* memory = sync::allocate_bytes(grown * element_bytes, alignof(T));
    if (memory == nullptr) throw std::bad_alloc();
    T* larger = static_cast<T*>(memory);
    std::copy(data_, data_ + size_, larger);
    free_heap();
    data_ = larger;
    capacity_ = grown;
  }
  /// Appends; the room must have been reserved.
  void push_back(T value) noexcept { data_[size_++] = value; }

  /// Empties the vector and returns it to its inline elements.
  void clear() noexcept {
    free_heap();
    data_ = inline_;
    capacity_ = N;
    size_ = 0;
  }

 private:
  void free_heap() noexcept {
    if (data_ != inline_) sync::deallocate_bytes(static_cast<void*>(data_), capacity_ * element_bytes, alignof(T));
  }

  T inline_[N];
  T* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = N;
};

}  // namespace rill::detail
