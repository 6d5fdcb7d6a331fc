// LE Extended Advertising Report events (src/gap/extended_report.hpp): the
// walker and the reassembler fed with arbitrary event parameters, several
// events per input ([length u8][parameters] repeated).
// Invariants: a report's data lies inside its event; an event is either
// walked whole or refused whole; reassembled data never exceeds the largest
// extended advertising data (1650 octets); no more advertisements come out
// than reports went in (twice that, counting evictions).
#include <vector>

#include "fuzz_common.hpp"
#include "gap/extended_report.hpp"

namespace {

using namespace sable;
using namespace sable::gap;

struct Context {
  Bytes event;
  ExtendedReportAssembler* assembler = nullptr;
  size_t visited = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::quiet_logs();
  fuzz::Input in(data, size);
  size_t emitted = 0;
  ExtendedReportAssembler assembler(
      [](void* c, const AssembledAdvertisement& a) {
        ++*static_cast<size_t*>(c);
        FUZZ_CHECK(a.report.data.size() <= ExtendedReportAssembler::kMaxData);
      },
      &emitted);
  size_t visited = 0;
  while (!in.empty()) {
    std::vector<uint8_t> event = fuzz::copy(in.take(in.u8()));
    Context ctx{event, &assembler, 0};
    const bool ok = for_each_extended_report(
        event,
        [](void* c, const ExtendedReport& r) {
          auto& x = *static_cast<Context*>(c);
          ++x.visited;
          FUZZ_CHECK(r.data.empty() ||
                     (r.data.data() >= x.event.data() &&
                      r.data.data() + r.data.size() <= x.event.data() + x.event.size()));
          x.assembler->add(r);
        },
        &ctx);
    FUZZ_CHECK(ok ? ctx.visited >= 1 && !event.empty() && ctx.visited == event[0]
                  : ctx.visited == 0);
    visited += ctx.visited;
    // Each report is passed on, completes a slot, or also evicts one.
    FUZZ_CHECK(emitted <= 2 * visited);
  }
  assembler.clear();
  return 0;
}
