// bench/cpp/peers/mutex_deque_bench.cpp - the hand-written mutex + condition_variable + std::deque
// channel (mutex_deque_channel.hpp) in crossbeam-channel's benchmark workloads (workloads.hpp).
// Every flavor is expressible: capacity 0 is a real rendezvous (send returns after a receiver took
// the message), `unbounded` never blocks a sender. It has no select.
#include "../workloads.hpp"
#include "mutex_deque_channel.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace {

struct mutex_deque_adapter {
  static constexpr std::string_view name = "mutex_deque";
  using channel = bench::mutex_deque_channel<bench::message>;
  using sender_type = std::shared_ptr<channel>;
  using receiver_type = std::shared_ptr<channel>;

  static std::optional<std::string> unsupported(bench::flavor) { return std::nullopt; }

  static std::pair<sender_type, receiver_type> make(bench::flavor channel_flavor, std::size_t messages) {
    const std::size_t capacity = channel_flavor == bench::flavor::unbounded
                                     ? channel::unbounded_capacity
                                     : bench::capacity_of(channel_flavor, messages);
    auto shared = std::make_shared<channel>(capacity);
    return {shared, shared};
  }

  static void send(sender_type& sender, bench::message value) { sender->send(value); }
  static bench::message recv(receiver_type& receiver) { return receiver->recv(); }
};

}  // namespace

int main(int argc, char** argv) { return bench::run_main<mutex_deque_adapter>(argc, argv); }
