// fuzz/generator.hpp - whole fuzz inputs made from a seed: the campaign mode of fuzz/replay, which
// needs no fuzzing engine.
//
// A bug that needs a particular program shape (a closer, a blocking selection and a try_send on
// one rendezvous channel; a selection with a passed deadline and a thread moving a message
// between its two channels) is rare among uniformly random programs: with 17 kinds of operation
// in the select target's repertoire and up to 8 operations in each of up to 6 threads, the three
// operations that make one of those shapes meet in a small fraction of the programs, and the
// schedule must then still hit a window of a few steps. So most inputs are made by swarm testing
// (Groce, Zhang, Eide, Chen, Regehr, "Swarm Testing", ISSTA 2012): each input first draws a
// *configuration*, a random subset of the features (operation kinds, channel flavors, kinds of
// select case and of fallback, duration classes), and then a program that uses only those. A
// configuration leaves features out, so the ones it keeps meet far more often; across many
// configurations every combination is covered. One input in four is still uniform bytes, so
// nothing that a configuration cannot express is lost.
//
// The generator writes bytes that fuzz/program.hpp's decode() reads back as the chosen program:
// decode() is the only definition of what an input means, and inputs saved by a campaign replay
// under `replay FILE` like any other. Where a byte packs several fields (an operand holds the
// channel, handle slot, duration class and iteration limit), the generator draws random bytes
// until the decoded field is one the configuration allows (a bounded number of times; after that,
// any byte).
#pragma once

#include "decisions.hpp"
#include "program.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rill::fuzz {

namespace generation {

/// A set of small enumerators (at most 32), as a bit mask.
struct feature_set {
  std::uint32_t bits = 0;
  bool has(std::size_t value) const { return (bits >> value & 1u) != 0; }
};

/// Each of `count` features kept with probability 1/2, 1/4 or 1/8 (one of the three for the whole
/// set: small sets make the features they keep meet more often); never none.
inline feature_set draw_subset(splitmix& random, std::size_t count) {
  const std::uint64_t halvings = 1 + random.below(3);
  feature_set kept;
  while (kept.bits == 0) {
    std::uint64_t bits = ~std::uint64_t{0};
    for (std::uint64_t h = 0; h < halvings; ++h) bits &= random.next();
    kept.bits = static_cast<std::uint32_t>(bits) & ((1u << count) - 1u);
  }
  return kept;
}

/// A random byte whose decoded field satisfies `allowed`: up to 64 draws, then any byte.
template <class Allowed>
std::uint8_t draw_byte(splitmix& random, Allowed allowed) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const auto byte = static_cast<std::uint8_t>(random.next());
    if (allowed(byte)) return byte;
  }
  return static_cast<std::uint8_t>(random.next());
}

/// The schedule part: pairs (thread, run length) whose run lengths are mostly short (many
/// preemptions) and sometimes long.
inline void append_schedule(splitmix& random, std::vector<std::uint8_t>& input) {
  const std::size_t pairs = random.below(400);
  for (std::size_t i = 0; i < pairs; ++i) {
    input.push_back(static_cast<std::uint8_t>(random.next()));
    const std::uint64_t shape = random.below(4);
    const std::uint64_t length = shape < 2 ? random.below(4) : shape == 2 ? random.below(32) : random.below(256);
    input.push_back(static_cast<std::uint8_t>(length));
  }
}

/// A program of uniformly random bytes.
inline std::vector<std::uint8_t> uniform_program(splitmix& random) {
  const std::size_t length = 8 + random.below(120);
  std::vector<std::uint8_t> program;
  for (std::size_t i = 0; i < length; ++i) program.push_back(static_cast<std::uint8_t>(random.next()));
  return program;
}

/// A program drawn from a random swarm configuration of `which`'s repertoire.
inline std::vector<std::uint8_t> swarm_program(splitmix& random, target which) {
  const auto ops = repertoire(which);
  const feature_set codes = draw_subset(random, static_cast<std::size_t>(op_code::timer_recv) + 1);
  const feature_set flavors = draw_subset(random, 3);
  const feature_set case_kinds = draw_subset(random, 3);
  const feature_set fallbacks = draw_subset(random, 3);
  const feature_set spans = draw_subset(random, span_classes);
  // The repertoire's entries whose code the configuration keeps (a code listed twice keeps its
  // weight); if it keeps none of this target's codes, the whole repertoire.
  std::vector<std::uint8_t> entries;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (codes.has(static_cast<std::size_t>(ops[i]))) entries.push_back(static_cast<std::uint8_t>(i));
  }
  if (entries.empty()) {
    for (std::size_t i = 0; i < ops.size(); ++i) entries.push_back(static_cast<std::uint8_t>(i));
  }

  // Sizes are features too: a configuration of two or three threads with one or two operations
  // each makes every window of a few steps far likelier to be hit by a random schedule.
  constexpr std::size_t most_operations[] = {1, 2, 4, 8};
  const std::size_t operations_at_most = most_operations[random.below(4)];
  std::vector<std::uint8_t> program;
  const std::size_t thread_count = 2 + random.below(1 + random.below(5));
  const std::size_t channel_count = 1 + random.below(1 + random.below(3));
  program.push_back(static_cast<std::uint8_t>(thread_count - 2));
  program.push_back(static_cast<std::uint8_t>(channel_count - 1));
  program.push_back(static_cast<std::uint8_t>(random.next()));  // flags
  for (std::size_t c = 0; c < channel_count; ++c) {
    program.push_back(draw_byte(random, [&](std::uint8_t b) { return flavors.has(b % 3); }));
  }
  const auto span_of = [](std::uint8_t b, std::size_t divisor) { return (b / divisor) % span_classes; };
  for (std::size_t t = 0; t < thread_count; ++t) {
    // Mostly both handles of every channel (a byte of 0): an operation on a handle the thread does
    // not hold does nothing, and a program of such operations races nothing.
    for (std::size_t c = 0; c < channel_count; ++c) {
      program.push_back(random.below(4) == 0 ? static_cast<std::uint8_t>(random.next()) : std::uint8_t{0});
    }
    const std::size_t op_count = random.below(operations_at_most + 1);
    program.push_back(static_cast<std::uint8_t>(op_count));
    for (std::size_t i = 0; i < op_count; ++i) {
      const std::uint8_t entry = entries[random.below(entries.size())];
      program.push_back(entry);
      // Mostly the first handle slot (the second holds a handle only after a clone).
      const bool first_slot = random.below(4) != 0;
      program.push_back(draw_byte(
          random, [&](std::uint8_t b) { return spans.has(span_of(b, 6)) && (!first_slot || (b / 3) % 2 == 0); }));
      const op_code code = ops[entry];
      if (code != op_code::select && code != op_code::selector) continue;
      const std::uint8_t shape = draw_byte(random, [&](std::uint8_t b) { return fallbacks.has((b / 3) % 3); });
      program.push_back(shape);
      const std::size_t case_count = 1 + shape % 3;
      for (std::size_t k = 0; k < case_count; ++k) {
        const bool first_slot_case = random.below(4) != 0;
        program.push_back(draw_byte(random, [&](std::uint8_t b) {
          return case_kinds.has(b % 3) && spans.has(span_of(b, 18)) && (!first_slot_case || (b / 9) % 2 == 0);
        }));
      }
    }
  }
  if (program.size() > 255) program.resize(255);  // decode() reads what is cut off as zeros
  return program;
}

}  // namespace generation

/// A whole input from a seed and a target: three in four programs come from a swarm
/// configuration, one in four is uniform bytes; the schedule part is random either way. The
/// program part does not depend on the schedule part, so a PCT campaign (which replaces the
/// schedule) runs the same programs.
inline std::vector<std::uint8_t> random_input(std::uint64_t seed, target which) {
  splitmix random(seed);
  std::vector<std::uint8_t> input =
      random.below(4) == 0 ? generation::uniform_program(random) : generation::swarm_program(random, which);
  input.insert(input.begin(), static_cast<std::uint8_t>(input.size()));
  generation::append_schedule(random, input);
  return input;
}

}  // namespace rill::fuzz
