// bench/cpp/peers/tbb_bench.cpp - oneTBB's concurrent_bounded_queue (Debian's libtbb-dev) in
// crossbeam-channel's benchmark workloads (workloads.hpp).
//
// What is expressible: set_capacity(1) and set_capacity(N) are bounded queues whose push blocks
// while full; the default capacity is practically unbounded. bounded0 is n/a: oneTBB documents
// no rendezvous, and set_capacity(0) is not documented as one (in this version it makes push
// wait until a pop has claimed its ticket, an undocumented implementation detail we do not rely
// on). Consumers use the blocking pop and receive an exact count (abort() is the only way to wake
// them, there is no disconnection). No select.
#include "../workloads.hpp"

#include <oneapi/tbb/concurrent_queue.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace {

struct tbb_adapter {
  static constexpr std::string_view name = "tbb";
  using queue = oneapi::tbb::concurrent_bounded_queue<bench::message>;
  using sender_type = std::shared_ptr<queue>;
  using receiver_type = std::shared_ptr<queue>;

  static std::optional<std::string> unsupported(bench::flavor channel_flavor) {
    if (channel_flavor == bench::flavor::bounded0) return "no documented rendezvous: set_capacity(0) is not one";
    return std::nullopt;
  }

  static std::pair<sender_type, receiver_type> make(bench::flavor channel_flavor, std::size_t messages) {
    auto shared = std::make_shared<queue>();
    if (channel_flavor != bench::flavor::unbounded)
      shared->set_capacity(static_cast<queue::size_type>(bench::capacity_of(channel_flavor, messages)));
    return {shared, shared};
  }

  static void send(sender_type& sender, bench::message value) { sender->push(value); }

  static bench::message recv(receiver_type& receiver) {
    bench::message value;
    receiver->pop(value);
    return value;
  }
};

}  // namespace

int main(int argc, char** argv) { return bench::run_main<tbb_adapter>(argc, argv); }
