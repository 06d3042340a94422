// bench/cpp/peers/boost_fiber_bench.cpp - Boost.Fiber's channels (Debian's libboost-fiber-dev)
// in crossbeam-channel's benchmark workloads (workloads.hpp), used from plain OS threads: each
// std::thread is its own fiber scheduler with one (main) fiber, and a channel operation that has
// to wait suspends that fiber, which parks the thread on its scheduler's condition variable.
//
// What is expressible:
//   bounded0   boost::fibers::unbuffered_channel: push returns after the value was consumed, a
//              rendezvous.
//   bounded1   buffered_channel(2): the capacity must be a power of 2 >= 2 and the ring keeps one
//              slot free, so buffered_channel(2) holds exactly one message.
//   bounded    buffered_channel(2^k), the smallest power of 2 whose ring holds all messages
//              (2^23 slots for 5,000,000): like capacity = all messages, no send ever finds it
//              full; it reserves up to twice the memory an exact capacity would.
//   unbounded  n/a: Boost.Fiber has no unbounded channel.
// Consumers receive an exact count (close() exists, but the suite does not need it). No select.
#include "../workloads.hpp"

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/unbuffered_channel.hpp>

#include <bit>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace {

struct boost_fiber_channel {
  std::unique_ptr<boost::fibers::unbuffered_channel<bench::message>> rendezvous;
  std::unique_ptr<boost::fibers::buffered_channel<bench::message>> buffered;
};

struct boost_fiber_adapter {
  static constexpr std::string_view name = "boost_fiber";
  using sender_type = std::shared_ptr<boost_fiber_channel>;
  using receiver_type = std::shared_ptr<boost_fiber_channel>;

  static std::optional<std::string> unsupported(bench::flavor channel_flavor) {
    if (channel_flavor == bench::flavor::unbounded) return "Boost.Fiber has no unbounded channel";
    return std::nullopt;
  }

  static std::pair<sender_type, receiver_type> make(bench::flavor channel_flavor, std::size_t messages) {
    auto shared = std::make_shared<boost_fiber_channel>();
    if (channel_flavor == bench::flavor::bounded0) {
      shared->rendezvous = std::make_unique<boost::fibers::unbuffered_channel<bench::message>>();
    } else {
      // The ring of buffered_channel(n) holds n - 1 messages.
      const std::size_t slots = std::bit_ceil(bench::capacity_of(channel_flavor, messages) + 1);
      shared->buffered = std::make_unique<boost::fibers::buffered_channel<bench::message>>(slots);
    }
    return {shared, shared};
  }

  static void send(sender_type& sender, bench::message value) {
    const auto status = sender->rendezvous ? sender->rendezvous->push(value) : sender->buffered->push(value);
    if (status != boost::fibers::channel_op_status::success) bench::fail("boost_fiber: push failed");
  }

  static bench::message recv(receiver_type& receiver) {
    bench::message value = 0;
    const auto status = receiver->rendezvous ? receiver->rendezvous->pop(value) : receiver->buffered->pop(value);
    if (status != boost::fibers::channel_op_status::success) bench::fail("boost_fiber: pop failed");
    return value;
  }
};

}  // namespace

int main(int argc, char** argv) { return bench::run_main<boost_fiber_adapter>(argc, argv); }
