#include "gap/scanner.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "hci/commands.hpp"
#include "hci/events.hpp"

namespace sable::gap {

Result<void, Error> Scanner::start(const ScanConfig& config) {
  if (!ctx_.ready) return refuse(ErrorKind::kInvalidState, "the controller is not ready");
  if (config.window > config.interval || config.interval < 0x0004 || config.interval > 0x4000 ||
      config.window < 0x0004)
    return refuse(ErrorKind::kBadArgument,
                  "scan window must not exceed the interval (both 0x0004..0x4000)");
  wanted_ = true;
  pending_.clear();
  hci::ScanParameters p;
  p.scan_type = config.active ? 0x01 : 0x00;
  p.interval = config.interval;
  p.window = config.window;
  if (active_) ctx_.send_command(hci::le_set_scan_enable(false, false));
  ctx_.send_command(hci::le_set_scan_parameters(p));
  ctx_.send_command(hci::le_set_scan_enable(true, config.filter_duplicates),
                    [this](const hci::CommandResult& r) {
                      active_ = r.ok();
                      if (!r.ok() && !r.timed_out)
                        SABLE_LOG_WARN("%s", hci_error("LE_Set_Scan_Enable", r.status).c_str());
                    });
  return accepted();
}

Result<void, Error> Scanner::stop() {
  wanted_ = false;
  pending_.clear();
  if (!ctx_.ready) return accepted();
  ctx_.send_command(hci::le_set_scan_enable(false, false), [this](const hci::CommandResult& r) {
    if (r.ok()) active_ = false;
  });
  return accepted();
}

void Scanner::on_advertising_report(Bytes params) {
  auto ev = hci::LeAdvertisingReportEvent::parse(params);
  if (!ev.ok()) {
    SABLE_LOG_WARN("dropping malformed LE Advertising Report (%s)", hci::to_string(ev.error()));
    return;
  }
  for (const hci::AdvertisingReport& r : *ev) {
    // The listener may stop scanning while we go through the reports.
    if (!wanted_) return;
    auto data = parse_advertising_data(r.data);
    if (!data.ok()) {
      SABLE_LOG_WARN("dropping advertising report from %s: malformed AD structure",
                     r.address.to_string().c_str());
      continue;
    }
    constexpr uint8_t kScanResponse = 0x04;
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](const PendingAdvert& p) { return p.address == r.address; });
    if (r.event_type == kScanResponse) {
      ScanReport report;
      if (it != pending_.end()) {
        report = it->report;
        pending_.erase(it);
      } else {
        report.address = r.address;
        report.event_type = r.event_type;
      }
      merge_advertising_data(report.data, *data);
      report.rssi = r.rssi;
      listener_.on_scan_report(report);
      continue;
    }
    ScanReport report;
    report.address = r.address;
    report.rssi = r.rssi;
    report.event_type = r.event_type;
    if (auto b = privacy_.bond_for_rpa(r.address)) report.identity = b->peer_identity;
    // ADV_IND (0) and ADV_DIRECT_IND (1) are connectable (Core 5.4 Vol 4 Part E 7.7.65.2).
    report.connectable = r.event_type == 0x00 || r.event_type == 0x01;
    report.data = std::move(*data);
    // Scannable advertising (ADV_IND, ADV_SCAN_IND) may be followed by a scan
    // response: deliver now, and again merged when the response comes.
    bool scannable = r.event_type == 0x00 || r.event_type == 0x02;
    if (scannable) {
      if (it != pending_.end()) pending_.erase(it);
      if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
      pending_.push_back(PendingAdvert{r.address, report});
    }
    listener_.on_scan_report(report);
  }
}

}  // namespace sable::gap
