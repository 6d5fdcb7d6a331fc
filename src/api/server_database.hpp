// Builds the GATT database from the application's Server definition (the
// public Service/Characteristic objects), wiring each characteristic's
// callbacks and recording its value handle. Shared by every implementation
// of the public API (Linux, firmware): it holds no OS dependency.
#pragma once

#include <memory>
#include <string>

#include "gatt/database.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"
#include "sable/security.hpp"
#include "sable/server.hpp"

namespace sable::detail {

class ServerDatabase {
 public:
  static Result<std::unique_ptr<gatt::Database>, Error> build(Server& server,
                                                              const SecurityConfig& security,
                                                              const std::string& device_name,
                                                              uint16_t appearance);
};

}  // namespace sable::detail
