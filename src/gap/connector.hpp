// Central role, connection establishment (Core 5.4 Vol 3 Part C 9.3, Vol 4
// Part E 7.8.12, 7.8.13): one LE_Create_Connection at a time, cancelled at
// its deadline or on request; the controller's LE Connection Complete ends it.
#pragma once

#include <optional>

#include "gap/host_context.hpp"
#include "gap/link_parameters.hpp"
#include "sable/address.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"

namespace sable::gap {

class Connector {
 public:
  explicit Connector(HostContext& ctx) : ctx_(ctx) {}

  Result<void, Error> connect(const Address& peer, const ConnectConfig& config);
  Result<void, Error> cancel();
  bool connecting() const { return attempt_.has_value(); }

  // LE (Enhanced) Connection Complete in the central role while an attempt
  // runs: true when the attempt failed (reported through the outbox) and
  // there is no connection to set up.
  bool on_connection_complete(hci::HciStatus status);

  TimePoint next_deadline() const;
  void on_timeout(TimePoint now);

 private:
  struct Attempt {
    Address peer;
    TimePoint deadline;
    bool cancel_sent = false;
    std::optional<Error> failure;  // reported when the controller confirms the end
  };
  void failed(const Address& peer, Error e);

  HostContext& ctx_;
  std::optional<Attempt> attempt_;
};

}  // namespace sable::gap
