#include "common/lifetime_watch.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <optional>

namespace sable {
namespace {

// An object that runs a callback which may destroy it, as gatt::Client does.
struct Watched {
  LifetimeWatchList watchers;
  std::function<void()> callback;
  // Returns whether the object still existed after the callback.
  bool run() {
    LifetimeWatch watch(watchers);
    // Runs a copy, as gatt::Client moves a procedure's callback out first: the
    // callback may destroy this object and with it `callback`, while the
    // closure still runs (and reads its captures).
    std::function<void()> running = callback;
    running();
    return !watch.ended();
  }
};

TEST(LifetimeWatch, StaysOpenWhileTheObjectLives) {
  Watched w;
  w.callback = [] {};
  EXPECT_TRUE(w.run());
  EXPECT_TRUE(w.run());
}

TEST(LifetimeWatch, EndsWhenACallbackDestroysTheObject) {
  std::optional<Watched> w;
  w.emplace();
  w->callback = [&w] { w.reset(); };
  EXPECT_FALSE(w->run());  // `w->` is evaluated before run() destroys it
  EXPECT_FALSE(w.has_value());
}

TEST(LifetimeWatch, EndsEveryNestedWatch) {
  std::optional<Watched> w;
  w.emplace();
  bool inner_saw_alive = true;
  int depth = 0;
  w->callback = [&] {
    if (depth++ == 0) {
      inner_saw_alive = w->run();  // a callback that calls back into the object
    } else {
      w.reset();
    }
  };
  EXPECT_FALSE(w->run());
  EXPECT_FALSE(inner_saw_alive);
}

TEST(LifetimeWatch, AWatchThatEndedNormallyLeavesTheOuterOneWorking) {
  std::optional<Watched> w;
  w.emplace();
  int calls = 0;
  bool nested_saw_alive = false;
  w->callback = [&] {
    if (++calls == 1) {
      nested_saw_alive = w->run();  // nested watch opened and closed (calls == 2)
      w.reset();                    // then destroyed while the outer watch is open
    }
  };
  EXPECT_FALSE(w->run());
  EXPECT_TRUE(nested_saw_alive);
}

}  // namespace
}  // namespace sable
