// bench/cpp/peers/moodycamel_bench.cpp - moodycamel::BlockingConcurrentQueue (Debian's
// libconcurrentqueue-dev) in crossbeam-channel's benchmark workloads (workloads.hpp).
//
// What is expressible: the queue is unbounded. Its enqueue never waits for room, so there is no
// rendezvous and no capacity-1 queue: bounded0 and bounded1 are n/a. `bounded` (capacity = all
// messages, so no send ever finds the queue full) runs on a queue constructed with room for all
// messages pre-allocated; `unbounded` on a default-constructed queue. Consumers use wait_dequeue
// and receive an exact count (the queue has no disconnection). No select.
#include "../workloads.hpp"

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace {

struct moodycamel_adapter {
  static constexpr std::string_view name = "moodycamel";
  using queue = moodycamel::BlockingConcurrentQueue<bench::message>;
  using sender_type = std::shared_ptr<queue>;
  using receiver_type = std::shared_ptr<queue>;

  static std::optional<std::string> unsupported(bench::flavor channel_flavor) {
    if (channel_flavor == bench::flavor::bounded0) return "no rendezvous: enqueue never waits for a receiver";
    if (channel_flavor == bench::flavor::bounded1) return "no bounded blocking enqueue: capacity 1 inexpressible";
    return std::nullopt;
  }

  static std::pair<sender_type, receiver_type> make(bench::flavor channel_flavor, std::size_t messages) {
    auto shared =
        channel_flavor == bench::flavor::bounded ? std::make_shared<queue>(messages) : std::make_shared<queue>();
    return {shared, shared};
  }

  static void send(sender_type& sender, bench::message value) {
    if (!sender->enqueue(value)) bench::fail("moodycamel: enqueue failed (out of memory)");
  }

  static bench::message recv(receiver_type& receiver) {
    bench::message value;
    receiver->wait_dequeue(value);
    return value;
  }
};

}  // namespace

int main(int argc, char** argv) { return bench::run_main<moodycamel_adapter>(argc, argv); }
