// Tests for sim/signal: slot order, arguments, disconnect, and connect/disconnect while the
// signal is emitting (including a slot that disconnects itself, and nested emits).
#include "sim/signal.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace kubesim::sim {
namespace {

TEST_CASE("slots run in the order they were connected, with the emitted arguments", "[signal]") {
  Signal<int, std::string> sig;
  std::vector<std::string> calls;
  sig.connect(
      [&](const int& n, const std::string& s) { calls.push_back("a" + std::to_string(n) + s); });
  sig.connect(
      [&](const int& n, const std::string& s) { calls.push_back("b" + std::to_string(n) + s); });
  sig.connect(
      [&](const int& n, const std::string& s) { calls.push_back("c" + std::to_string(n) + s); });
  CHECK(sig.size() == 3);
  sig.emit(1, "x");
  sig.emit(2, "y");
  CHECK(calls == std::vector<std::string>{"a1x", "b1x", "c1x", "a2y", "b2y", "c2y"});
}

TEST_CASE("emitting a signal without slots does nothing", "[signal]") {
  Signal<> sig;
  CHECK(sig.empty());
  CHECK(sig.size() == 0);
  sig.emit();
  Signal<double> with_args;
  with_args.emit(1.5);
  CHECK(with_args.empty());
}

TEST_CASE("arguments are passed by const reference, not copied", "[signal]") {
  Signal<std::vector<int>> sig;
  const std::vector<int>* seen = nullptr;
  sig.connect([&](const std::vector<int>& v) { seen = &v; });
  const std::vector<int> payload = {1, 2, 3};
  sig.emit(payload);
  CHECK(seen == &payload);
}

TEST_CASE("disconnect removes a slot exactly once", "[signal]") {
  Signal<int> sig;
  std::vector<int> calls;
  const Connection a = sig.connect([&](const int& v) { calls.push_back(10 + v); });
  const Connection b = sig.connect([&](const int& v) { calls.push_back(20 + v); });
  const Connection c = sig.connect([&](const int& v) { calls.push_back(30 + v); });
  CHECK(a.valid());
  CHECK(a.id != b.id);
  CHECK(b.id != c.id);
  CHECK(sig.disconnect(b));
  CHECK_FALSE(sig.disconnect(b));
  CHECK(sig.size() == 2);
  sig.emit(1);
  CHECK(calls == std::vector<int>{11, 31});
  CHECK_FALSE(sig.disconnect(Connection{}));      // never connected
  CHECK_FALSE(sig.disconnect(Connection{9999}));  // unknown id
  CHECK(sig.disconnect(a));
  CHECK(sig.disconnect(c));
  CHECK(sig.empty());
  calls.clear();
  sig.emit(2);
  CHECK(calls.empty());
  // Ids are not reused: a new connection never matches an old handle.
  const Connection d = sig.connect([&](const int& v) { calls.push_back(40 + v); });
  CHECK(d.id != a.id);
  CHECK(d.id != b.id);
  CHECK(d.id != c.id);
  CHECK_FALSE(sig.disconnect(a));
  sig.emit(3);
  CHECK(calls == std::vector<int>{43});
}

TEST_CASE("a slot can disconnect itself while the signal emits", "[signal]") {
  Signal<int> sig;
  std::vector<std::string> calls;
  Connection self;
  // The slot's captured state must stay alive until the slot returns, even though it
  // disconnected itself: the string is read after the disconnect.
  auto label = std::make_shared<std::string>("once");
  std::weak_ptr<std::string> watch = label;
  bool disconnect_result = false;
  sig.connect([&](const int&) { calls.push_back("before"); });
  self = sig.connect([&, label](const int&) {
    disconnect_result = sig.disconnect(self);
    calls.push_back(*label);
  });
  label.reset();  // only the slot holds it now
  sig.connect([&](const int&) { calls.push_back("after"); });
  sig.emit(1);
  CHECK(disconnect_result);
  CHECK(calls == std::vector<std::string>{"before", "once", "after"});
  CHECK(sig.size() == 2);
  // The slot is destroyed once the emit has finished.
  CHECK(watch.expired());
  calls.clear();
  sig.emit(2);
  CHECK(calls == std::vector<std::string>{"before", "after"});
  CHECK_FALSE(sig.disconnect(self));
}

TEST_CASE("a slot disconnected during an emit is not called after the disconnect", "[signal]") {
  Signal<> sig;
  std::vector<int> calls;
  Connection later;
  Connection earlier;
  int emits = 0;
  bool later_result = false;
  bool earlier_result = false;
  earlier = sig.connect([&] { calls.push_back(1); });
  sig.connect([&] {
    calls.push_back(2);
    if (++emits == 1) {
      later_result = sig.disconnect(later);      // not yet called in this emit: skipped
      earlier_result = sig.disconnect(earlier);  // already called: gone from the next emit
    }
  });
  later = sig.connect([&] { calls.push_back(3); });
  sig.connect([&] { calls.push_back(4); });
  sig.emit();
  CHECK(later_result);
  CHECK(earlier_result);
  CHECK(calls == std::vector<int>{1, 2, 4});
  CHECK(sig.size() == 2);
  calls.clear();
  sig.emit();
  CHECK(calls == std::vector<int>{2, 4});
}

TEST_CASE("a slot connected during an emit is called from the next emit on", "[signal]") {
  Signal<int> sig;
  std::vector<int> calls;
  bool connected = false;
  sig.connect([&](const int& v) {
    calls.push_back(v);
    if (!connected) {
      connected = true;
      // Many connections, so that the slot storage must grow while this slot runs.
      for (int i = 0; i < 100; ++i)
        sig.connect([&calls, i](const int& w) { calls.push_back(1000 * w + i); });
    }
  });
  sig.connect([&](const int& v) { calls.push_back(-v); });
  sig.emit(1);
  CHECK(calls == std::vector<int>{1, -1});
  CHECK(sig.size() == 102);
  calls.clear();
  sig.emit(2);
  std::vector<int> expected = {2, -2};
  for (int i = 0; i < 100; ++i) expected.push_back(2000 + i);
  CHECK(calls == expected);
}

TEST_CASE("disconnecting every slot during an emit, then connecting a new one", "[signal]") {
  Signal<> sig;
  std::vector<Connection> conns;
  std::vector<int> calls;
  for (int i = 0; i < 5; ++i) {
    conns.push_back(sig.connect([&, i] {
      calls.push_back(i);
      if (i == 1) {
        for (const Connection& c : conns) sig.disconnect(c);
        sig.connect([&] { calls.push_back(99); });
      }
    }));
  }
  sig.emit();
  CHECK(calls == std::vector<int>{0, 1});
  CHECK(sig.size() == 1);
  calls.clear();
  sig.emit();
  CHECK(calls == std::vector<int>{99});
}

TEST_CASE("nested emits see disconnects made by inner slots", "[signal]") {
  Signal<int> sig;
  std::vector<std::string> calls;
  Connection b;
  sig.connect([&](const int& depth) {
    calls.push_back("a" + std::to_string(depth));
    if (depth == 0) sig.emit(1);  // re-entrant emit from inside a slot
  });
  b = sig.connect([&](const int& depth) {
    calls.push_back("b" + std::to_string(depth));
    if (depth == 1) sig.disconnect(b);  // disconnects itself in the inner emit
  });
  sig.connect([&](const int& depth) { calls.push_back("c" + std::to_string(depth)); });
  sig.emit(0);
  // Outer: a0 -> inner emit (a1 b1 c1; b disconnects) -> outer continues: b is gone, c0.
  CHECK(calls == std::vector<std::string>{"a0", "a1", "b1", "c1", "c0"});
  CHECK(sig.size() == 2);
  calls.clear();
  sig.emit(5);
  CHECK(calls == std::vector<std::string>{"a5", "c5"});
}

}  // namespace
}  // namespace kubesim::sim
