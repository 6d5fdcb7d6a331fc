// A bond file (DeviceOptions::bond_store) read and changed without a
// controller: list the bonds a device keeps, delete some. Linux only.
//   auto file = sable::BondFile::open("/var/lib/myapp/bonds");
//   for (const auto& b : file.value()->bonds()) ...
// A Device that has the same file open holds a lock on it: open() then fails
// (another process has it).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sable/device.hpp"

namespace sable {

namespace detail {
class BondFileStore;
}

class BondFile {
 public:
  // Fails (kBadArgument) when the file cannot be created or read, or another
  // process has it open. A corrupt file is moved aside and warning() says so.
  static Result<std::unique_ptr<BondFile>, Error> open(const std::string& path);
  ~BondFile();

  std::vector<Device::BondInfo> bonds() const;
  // kNotFound when there is no bond with identity.
  Result<void, Error> delete_bond(const Address& identity);
  // What open() found wrong with the file (e.g. a corrupt file moved aside).
  std::optional<std::string> warning() const;

 private:
  explicit BondFile(std::unique_ptr<detail::BondFileStore> store);
  std::unique_ptr<detail::BondFileStore> store_;
};

}  // namespace sable
