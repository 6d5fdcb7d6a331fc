// Human-readable forms of public API values.
#include <cstdio>
#include <cstdlib>

#include "sable/server.hpp"

namespace sable {

Uuid uuid128(std::string_view text) {
  auto u = Uuid::parse(text);
  if (!u) {
    std::fprintf(stderr, "sable: malformed UUID literal '%.*s'\n", int(text.size()), text.data());
    std::abort();
  }
  return *u;
}

}  // namespace sable
