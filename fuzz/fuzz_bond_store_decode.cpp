// store::decode (src/store/codec.hpp), the bond file loader.
// Input: [mode u8] file bytes. mode bit 0 patches the body length in the
// header and the CRC-32 trailer, so the fuzzer gets past both checks.
// Invariants: a decoded file re-encodes to a file of encoded_size() octets
// that decodes to an equal BondFile (and the encoder accepts everything the
// decoder accepted); decode never accepts more than kMaxEncodedSize octets.
#include <vector>

#include "fuzz_common.hpp"
#include "store/codec.hpp"

using namespace sable;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  uint8_t mode = in.u8();
  std::vector<uint8_t> file = fuzz::copy(in.rest());
  if ((mode & 1) && file.size() >= store::kHeaderSize + store::kTrailerSize) {
    std::copy(std::begin(store::kMagic), std::end(store::kMagic), file.begin());
    if (mode & 2) put_le16(&file[8], store::kFormatVersion);
    size_t body = file.size() - store::kHeaderSize - store::kTrailerSize;
    put_le32(&file[12], uint32_t(body));
    uint32_t crc = store::crc32(Bytes(file.data(), file.size() - store::kTrailerSize));
    put_le32(&file[file.size() - store::kTrailerSize], crc);
  }
  auto decoded = store::decode(file);
  if (!decoded) return 0;
  FUZZ_CHECK(file.size() <= store::kMaxEncodedSize);
  FUZZ_CHECK(decoded->bonds.size() <= store::kFormatMaxBonds);
  auto encoded = store::encode(*decoded);
  FUZZ_CHECK(encoded.ok());
  FUZZ_CHECK(encoded->size() == store::encoded_size(*decoded));
  auto again = store::decode(*encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *decoded);
  return 0;
}
