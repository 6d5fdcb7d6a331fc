#include "common/log.hpp"

#include "common/format.hpp"

namespace sable {
namespace {
LogSink g_sink = nullptr;
LogLevel g_level = LogLevel::kInfo;
}  // namespace

void set_log_sink(LogSink sink) {
  g_sink = sink;
}
void set_log_level(LogLevel max_level) {
  g_level = max_level;
}
bool log_enabled(LogLevel level) {
  return log_compiled_in(level) && g_sink != nullptr && level <= g_level;
}

void log(LogLevel level, const char* fmt, ...) {
  if (!log_enabled(level)) return;
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  g_sink(level, buf);
}

}  // namespace sable
