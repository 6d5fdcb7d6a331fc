// A program outside the library: only <sable/...> from the installed
// package. It parses a UUID, makes an address's text, and opens a controller
// that does not exist, which must fail with a clear transport error.
#include <cstdio>
#include <sable/device.hpp>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer HCI-SPEC\n");
    return 2;
  }
  auto uuid = sable::Uuid::parse("beb5483e-36e1-4688-b7f5-ea07361b26a8");
  if (!uuid) {
    std::fprintf(stderr, "consumer: the UUID did not parse\n");
    return 1;
  }
  auto device = sable::Device::take({.hci = argv[1]});
  if (device.ok()) {
    std::fprintf(stderr, "consumer: %s opened, expected a missing controller\n", argv[1]);
    return 1;
  }
  std::printf("uuid %s; take: %s\n", uuid->to_string().c_str(),
              std::string(device.error().message).c_str());
  return device.error().kind == sable::ErrorKind::kTransport ? 0 : 1;
}
