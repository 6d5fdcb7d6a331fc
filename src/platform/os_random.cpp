#include "platform/os_random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace sable::platform {

void OsRandom::fill(MutableBytes out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without randomness no key can be made safely; stopping is the only safe answer.
      std::abort();
    }
    done += size_t(n);
  }
}

}  // namespace sable::platform
