// sable-cli: a BLE central on the command line. See kUsage (args.cpp).
#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace sable_cli;
  Options options = parse_args(argc, argv);
  Output out(options.json);
  install_signal_handlers();
  if (options.command == "scan") return run_scan(options, out);
  if (options.command == "connect") return run_connect(options, out);
  if (options.command == "read") return run_read(options, out);
  if (options.command == "write") return run_write(options, out);
  if (options.command == "subscribe") return run_subscribe(options, out);
  if (options.command == "pair") return run_pair(options, out);
  return run_bonds(options, out);
}
