// Printing: human lines or one JSON object per line, errors, hex, exit codes.
#include <csignal>
#include <cstdio>

#include "cli.hpp"

namespace sable_cli {

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out;
}

void Json::key(const char* k) {
  if (!body_.empty()) body_ += ",";
  body_ += "\"";
  body_ += json_escape(k);
  body_ += "\":";
}

Json& Json::str(const char* k, const std::string& value) {
  key(k);
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on
  // "literal" + std::string&&.
  body_ += '"';
  body_ += json_escape(value);
  body_ += '"';
  return *this;
}

Json& Json::num(const char* k, long long value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

Json& Json::boolean(const char* k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

Json& Json::strings(const char* k, const std::vector<std::string>& values) {
  key(k);
  body_ += "[";
  for (size_t i = 0; i < values.size(); ++i)
    body_ += (i ? ",\"" : "\"") + json_escape(values[i]) + "\"";
  body_ += "]";
  return *this;
}

void Output::progress(const std::string& text) {
  if (json_) return;
  std::lock_guard lock(mutex_);
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

void Output::result(const std::string& human, const std::string& event, const Json& fields) {
  std::lock_guard lock(mutex_);
  if (json_) {
    std::string body = fields.text();
    std::string line = "{\"event\":\"";  // appended piece by piece, as in Json::str
    line += json_escape(event);
    line += '"';
    if (body.size() > 2) {
      line += ',';
      line.append(body, 1, body.size() - 2);
    }
    line += '}';
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("%s\n", human.c_str());
  }
  std::fflush(stdout);
}

int Output::fail(int code, const std::string& message) {
  std::lock_guard lock(mutex_);
  if (json_) {
    std::printf(
        "%s\n",
        Json().str("event", "error").num("exit_code", code).str("message", message).text().c_str());
    std::fflush(stdout);
  }
  std::fprintf(stderr, "sable-cli: %s\n", message.c_str());
  return code;
}

void Output::prompt(const std::string& text) {
  std::lock_guard lock(mutex_);
  std::fprintf(stderr, "%s", text.c_str());
  std::fflush(stderr);
}

int exit_code_for(const sable::Error& e) {
  using sable::ErrorKind;
  switch (e.kind) {
    case ErrorKind::kPairingFailed:
      return kExitAuth;
    case ErrorKind::kAtt:
      // Insufficient Authentication, Authorization, Encryption Key Size, Encryption.
      if (e.code == 0x05 || e.code == 0x08 || e.code == 0x0C || e.code == 0x0F) return kExitAuth;
      if (e.code == 0x0A) return kExitNotFound;  // Attribute Not Found
      return kExitFailed;
    case ErrorKind::kController:
      // Encryption with a bond's key refused: Authentication Failure, PIN or Key Missing.
      if (e.code == 0x05 || e.code == 0x06) return kExitAuth;
      return kExitFailed;
    case ErrorKind::kTimeout:
      return kExitNotFound;
    default:
      return kExitFailed;
  }
}

std::string to_hex(const std::vector<uint8_t>& bytes, const char* separator) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    if (i) s += separator;
    s += buf;
  }
  return s;
}

std::optional<std::string> printable(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return std::nullopt;
  for (uint8_t b : bytes)
    if (b < 0x20 || b > 0x7E) return std::nullopt;
  return std::string(bytes.begin(), bytes.end());
}

const char* address_type_name(const sable::Address& a) {
  if (a.is_resolvable_private()) return "random resolvable";
  if (a.is_static_random()) return "random static";
  return a.is_random() ? "random" : "public";
}

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int) {
  g_interrupted = 1;
}
}  // namespace

bool interrupted() {
  return g_interrupted != 0;
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace sable_cli
