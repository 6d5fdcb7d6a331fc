// Logging for the core: printf-style (small on an MCU), one process-wide sink
// installed by the platform. Protocol code logs dropped or malformed input here.
#pragma once

#include <cstdarg>

namespace sable {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

using LogSink = void (*)(LogLevel level, const char* message);

void set_log_sink(LogSink sink);  // nullptr: drop everything
void set_log_level(LogLevel max_level);
bool log_enabled(LogLevel level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sable

#define SABLE_LOG_ERROR(...) ::sable::log(::sable::LogLevel::kError, __VA_ARGS__)
#define SABLE_LOG_WARN(...) ::sable::log(::sable::LogLevel::kWarn, __VA_ARGS__)
#define SABLE_LOG_INFO(...) ::sable::log(::sable::LogLevel::kInfo, __VA_ARGS__)
#define SABLE_LOG_DEBUG(...) ::sable::log(::sable::LogLevel::kDebug, __VA_ARGS__)
