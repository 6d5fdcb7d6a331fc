// sable::BondFile: a bond file opened without a controller, through the same
// store the stack uses (store::FileBondStore: its lock, recovery and format).
#include "sable/bond_file.hpp"

#include "api/device_impl.hpp"
#include "store/file_bond_store.hpp"

namespace sable {

namespace detail {
class BondFileStore {
 public:
  std::unique_ptr<store::FileBondStore> file;
};
}  // namespace detail

Result<std::unique_ptr<BondFile>, Error> BondFile::open(const std::string& path) {
  auto opened = store::FileBondStore::open(path);
  if (!opened.ok())
    return fail(
        Error{ErrorKind::kBadArgument, "bond store " + path + ": " + opened.error().to_string()});
  auto store = std::make_unique<detail::BondFileStore>();
  store->file = std::move(opened.value());
  return std::unique_ptr<BondFile>(new BondFile(std::move(store)));
}

BondFile::BondFile(std::unique_ptr<detail::BondFileStore> store) : store_(std::move(store)) {}
BondFile::~BondFile() = default;

std::vector<Device::BondInfo> BondFile::bonds() const {
  std::vector<Device::BondInfo> out;
  for (const auto& b : store_->file->all()) out.push_back(detail::bond_info(b));
  return out;
}

Result<void, Error> BondFile::delete_bond(const Address& identity) {
  if (!store_->file->find_by_identity(identity))
    return fail(Error{ErrorKind::kNotFound, "no bond with " + identity.to_string()});
  if (auto r = store_->file->remove(identity); !r.ok())
    return fail(Error{
        ErrorKind::kBadArgument,
        "cannot delete the bond with " + identity.to_string() + ": " + r.error().to_string()});
  return {};
}

std::optional<std::string> BondFile::warning() const {
  if (const auto& rec = store_->file->recovery()) return rec->to_string();
  return std::nullopt;
}

}  // namespace sable
