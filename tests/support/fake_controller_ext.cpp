// In-process fake LE controllers: Bluetooth 5 link and advertising commands.
#include "support/fake_controller.hpp"
#include "support/fake_internal.hpp"

namespace sable::testing {

using namespace fake;

bool FakeController::dispatch_ext(uint16_t, Bytes) {
  return false;
}

}  // namespace sable::testing
