#include "btvirt.hpp"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace sable::testing {

int run_command(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[512];
  std::string text;
  while (fgets(buf, sizeof buf, p)) text += buf;
  int status = pclose(p);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

VirtualRadio::VirtualRadio(std::string emulator) : emulator_(std::move(emulator)) {
  char tmpl[] = "/tmp/sable-test-radio.XXXXXX";
  if (!mkdtemp(tmpl)) return;
  dir_ = tmpl;
  start();
}

void VirtualRadio::stop() {
  run_command(std::string(SABLE_SOURCE_DIR) + "/tools/virtual-radio/vradio stop " + dir_ +
              " >/dev/null 2>&1");
  socket_.clear();
}

bool VirtualRadio::restart() {
  stop();
  return start();
}

bool VirtualRadio::start() {
  std::string out;
  std::string emulator = emulator_.empty() ? "" : " --emulator " + emulator_;
  int rc = run_command(std::string(SABLE_SOURCE_DIR) + "/tools/virtual-radio/vradio --build-dir " +
                           SABLE_BINARY_DIR + emulator + " start " + dir_ + " 2>&1",
                       &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (rc == 0) {
    socket_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    return true;
  }
  ADD_FAILURE() << "vradio start failed: " << out;
  return false;
}

VirtualRadio::~VirtualRadio() {
  if (dir_.empty()) return;
  stop();
  run_command("rm -rf " + dir_);
}

std::string VirtualRadio::log() const {
  std::ifstream f(dir_ + "/btvirt.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& output_path)
    : output_path_(output_path) {
  pid_ = fork();
  if (pid_ == 0) {
    FILE* f = freopen(output_path.c_str(), "w", stdout);
    (void)f;
    dup2(STDOUT_FILENO, STDERR_FILENO);
    setvbuf(stdout, nullptr, _IONBF, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  terminate();
}

bool ChildProcess::running() {
  if (status_ || pid_ <= 0) return false;
  int st;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

void ChildProcess::terminate() {
  if (!running()) return;
  kill(pid_, SIGTERM);
  if (!wait(std::chrono::milliseconds(2000))) {
    kill(pid_, SIGKILL);
    wait(std::chrono::milliseconds(2000));
  }
}

std::string ChildProcess::output() const {
  std::ifstream f(output_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool ChildProcess::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (output().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

RawHci::RawHci(const std::string& spec) {
  auto t = open_transport(spec);
  if (t.ok()) transport_ = std::move(t.value());
}

bool RawHci::pump(std::chrono::milliseconds timeout) {
  pollfd p{transport_->fd(), POLLIN, 0};
  if (poll(&p, 1, int(timeout.count())) <= 0) return false;
  auto r = transport_->receive([this](HciPacketType type, Bytes packet) {
    pending_.push_back(HciPacket{type, std::vector<uint8_t>(packet.begin(), packet.end())});
  });
  return r.ok();
}

std::optional<HciPacket> RawHci::wait(const std::function<bool(const HciPacket&)>& pred,
                                      std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto it = std::find_if(pending_.begin(), pending_.end(), pred);
    if (it != pending_.end()) {
      HciPacket p = *it;
      pending_.erase(it);
      return p;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pump(left);
  }
}

std::optional<std::vector<uint8_t>> RawHci::command(uint16_t opcode, std::vector<uint8_t> params,
                                                    std::chrono::milliseconds timeout) {
  std::vector<uint8_t> pkt = {uint8_t(opcode), uint8_t(opcode >> 8), uint8_t(params.size())};
  pkt.insert(pkt.end(), params.begin(), params.end());
  if (!transport_->send(HciPacketType::kCommand, pkt).ok()) return std::nullopt;
  auto ev = wait(
      [opcode](const HciPacket& p) {
        if (p.type != HciPacketType::kEvent || p.bytes.size() < 2) return false;
        if (p.bytes[0] == 0x0E && p.bytes.size() >= 5) return get_le16(&p.bytes[3]) == opcode;
        if (p.bytes[0] == 0x0F && p.bytes.size() >= 6) return get_le16(&p.bytes[4]) == opcode;
        return false;
      },
      timeout);
  if (!ev) return std::nullopt;
  if (ev->bytes[0] == 0x0E) return std::vector<uint8_t>(ev->bytes.begin() + 5, ev->bytes.end());
  return std::vector<uint8_t>{ev->bytes[2]};
}

void RawHci::send_acl(uint16_t handle, const std::vector<uint8_t>& pdu) {
  std::vector<uint8_t> pkt = {uint8_t(handle), uint8_t((handle >> 8) & 0x0F), uint8_t(pdu.size()),
                              uint8_t(pdu.size() >> 8)};
  pkt.insert(pkt.end(), pdu.begin(), pdu.end());
  // One packet in flight (btvirt's LE buffer count is 1): wait for its completion.
  (void)transport_->send(HciPacketType::kAcl, pkt);
  wait([](const HciPacket& p) { return p.type == HciPacketType::kEvent && p.bytes[0] == 0x13; },
       std::chrono::milliseconds(1000));
}

void RawHci::send_att(uint16_t handle, const std::vector<uint8_t>& att) {
  std::vector<uint8_t> pdu = {uint8_t(att.size()), uint8_t(att.size() >> 8), 0x04, 0x00};
  pdu.insert(pdu.end(), att.begin(), att.end());
  send_acl(handle, pdu);
}

std::optional<HciPacket> RawHci::wait_le_event(uint8_t subevent, std::chrono::milliseconds t) {
  return wait(
      [subevent](const HciPacket& p) {
        return p.type == HciPacketType::kEvent && p.bytes.size() >= 3 && p.bytes[0] == 0x3E &&
               p.bytes[2] == subevent;
      },
      t);
}

std::optional<HciPacket> RawHci::wait_event(uint8_t code, std::chrono::milliseconds t) {
  return wait(
      [code](const HciPacket& p) {
        return p.type == HciPacketType::kEvent && !p.bytes.empty() && p.bytes[0] == code;
      },
      t);
}

std::optional<std::vector<uint8_t>> RawHci::wait_att(uint16_t handle, std::chrono::milliseconds t) {
  // ATT PDUs here fit one ACL packet (MTU 23 unless exchanged).
  auto p = wait(
      [handle](const HciPacket& p) {
        return p.type == HciPacketType::kAcl && p.bytes.size() >= 8 &&
               (get_le16(&p.bytes[0]) & 0x0FFF) == handle && get_le16(&p.bytes[6]) == 0x0004;
      },
      t);
  if (!p) return std::nullopt;
  return std::vector<uint8_t>(p->bytes.begin() + 8, p->bytes.end());
}

bool RawHci::reset() {
  auto r = command(0x0C03);
  if (!r || r->empty() || (*r)[0] != 0) return false;
  // Set_Event_Mask: everything incl. LE Meta; LE_Set_Event_Mask: all LE events.
  command(0x0C01, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F});
  command(0x2001, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00});
  return true;
}

}  // namespace sable::testing
