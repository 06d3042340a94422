// fuzz/guided.hpp - a coverage-guided campaign: inputs mutated from earlier inputs that reached
// something new, instead of each input drawn afresh.
//
// A random schedule hits a window of a few steps rarely. The close race of R12 is the example:
// a selection passes its try phase, close() runs whole before the selection registers, and a
// try_send comes between that registration and its withdrawal. Even the smallest program that
// can show it (three threads, one operation each) needs about two thousand random schedules;
// among random programs, which are mostly bigger, a million executions do not find it. Each of
// the three orderings is, however, a step of its own that can be kept once reached: an input in
// which close() first came between the try phase and the registration is worth mutating further.
//
// So the campaign keeps a corpus, as libFuzzer and AFL do, but its coverage is of interleavings
// rather than of code edges: the features of an execution are
//   * each sync site reached (a production file:line and the kind of step), and
//   * each *switch pair*: the site where one thread stopped and the site where the next thread
//     went on, for every switch between threads (the interleaving coverage of concurrency
//     fuzzers such as KRACE, Xu et al., S&P 2020, and the "alias pairs" of Razzer, here by site
//     alone).
// An input whose execution shows a feature no earlier one did joins the corpus. Each execution
// is then either a fresh input (one in four, random_input) or a mutation of a corpus input:
// most mutations touch the schedule part only (overwrite a byte, insert or delete a (thread, run
// length) pair, cut the tail), so that the program stays the one that reached the feature; some
// change one program byte or splice one input's program with another's schedule.
//
// Everything is drawn from the campaign's seed, and features are keyed by the sites' text, not
// by addresses, so a guided campaign of the same seed, budget and binary does the same thing on
// every run.
#pragma once

#include "decisions.hpp"
#include "generator.hpp"
#include "program.hpp"

#include "rill/detail/sync/sync.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rill::fuzz {

class guided_inputs {
 public:
  guided_inputs(std::uint64_t seed, target which) : random_(seed ^ 0x5DEECE66Dull), which_(which) {}

  /// The input of the campaign's execution `run` (seeded: `seed` is the campaign's seed + run).
  std::vector<std::uint8_t> next(std::uint64_t seed) {
    features_of_run_.clear();
    previous_ = {};
    if (corpus_.empty() || random_.below(4) == 0) return random_input(seed, which_);
    return mutate(corpus_[pick()]);
  }

  /// Every step of the execution under way (the scheduler's observer).
  void observe(const detail::sync::sim::step& taken) {
    const std::uint64_t site = site_key(taken);
    features_of_run_.push_back(site);
    if (previous_.known && previous_.thread != taken.thread) {
      features_of_run_.push_back(mix(previous_.site * 0x9E3779B97F4A7C15ull + site));
    }
    previous_ = {true, taken.thread, site};
  }

  /// After the execution: keeps `input` if it showed a feature no earlier execution did.
  /// Returns whether it did.
  bool learn(const std::vector<std::uint8_t>& input) {
    bool fresh = false;
    for (const std::uint64_t feature : features_of_run_) fresh = seen_.insert(feature).second || fresh;
    if (fresh) corpus_.push_back(input);
    return fresh;
  }

  [[nodiscard]] std::size_t corpus_size() const noexcept { return corpus_.size(); }
  [[nodiscard]] std::size_t features() const noexcept { return seen_.size(); }

 private:
  struct last_step {
    bool known = false;
    unsigned thread = 0;
    std::uint64_t site = 0;
  };

  static std::uint64_t mix(std::uint64_t value) {
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
    return value ^ (value >> 31);
  }

  /// The site's text (file and line) and the kind of step, hashed once per distinct file name.
  std::uint64_t site_key(const detail::sync::sim::step& taken) {
    const char* file = taken.where.file_name();
    auto cached = file_hashes_.find(file);
    if (cached == file_hashes_.end()) {
      std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
      for (const char c : std::string_view(file)) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      cached = file_hashes_.emplace(file, hash).first;
    }
    return mix(cached->second + taken.where.line() * 64 + static_cast<std::uint64_t>(taken.kind));
  }

  /// Newer corpus inputs are picked more often: they reached the most recent features.
  std::size_t pick() {
    const std::size_t size = corpus_.size();
    return random_.below(2) == 0 ? size - 1 - random_.below(std::min<std::size_t>(size, 16)) : random_.below(size);
  }

  std::vector<std::uint8_t> mutate(const std::vector<std::uint8_t>& parent) {
    std::vector<std::uint8_t> child = parent;
    const std::size_t schedule_begin = 1 + std::min<std::size_t>(child.empty() ? 0 : child[0], child.size() - 1);
    const std::uint64_t kind = random_.below(10);
    if (kind < 7) {
      const std::size_t edits = 1 + random_.below(4);
      for (std::size_t e = 0; e < edits; ++e) mutate_schedule(child, schedule_begin);
    } else if (kind < 9) {
      if (schedule_begin > 1) child[1 + random_.below(schedule_begin - 1)] = static_cast<std::uint8_t>(random_.next());
    } else {
      const std::vector<std::uint8_t>& other = corpus_[random_.below(corpus_.size())];
      const std::size_t other_begin = 1 + std::min<std::size_t>(other.empty() ? 0 : other[0], other.size() - 1);
      child.resize(schedule_begin);
      child.insert(child.end(), other.begin() + static_cast<std::ptrdiff_t>(other_begin), other.end());
    }
    return child;
  }

  void mutate_schedule(std::vector<std::uint8_t>& input, std::size_t begin) {
    const std::size_t length = input.size() - begin;
    const std::uint64_t kind = random_.below(4);
    if (length == 0 || kind == 0) {  // insert a (thread, run length) pair
      const std::size_t at = begin + (length == 0 ? 0 : random_.below(length + 1));
      const std::uint8_t pair[] = {static_cast<std::uint8_t>(random_.next()),
                                   static_cast<std::uint8_t>(random_.below(4))};
      input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), pair, pair + 2);
    } else if (kind == 1) {  // overwrite a byte
      input[begin + random_.below(length)] = static_cast<std::uint8_t>(random_.next());
    } else if (kind == 2) {  // delete a pair
      const std::size_t at = begin + random_.below(length);
      input.erase(input.begin() + static_cast<std::ptrdiff_t>(at),
                  input.begin() + static_cast<std::ptrdiff_t>(std::min(at + 2, input.size())));
    } else {  // cut the tail: from there on, the fair default schedule
      input.resize(begin + random_.below(length));
    }
  }

  splitmix random_;
  target which_;
  std::vector<std::vector<std::uint8_t>> corpus_;
  std::unordered_set<std::uint64_t> seen_;
  std::vector<std::uint64_t> features_of_run_;
  last_step previous_;
  std::unordered_map<const char*, std::uint64_t> file_hashes_;
};

}  // namespace rill::fuzz
