// Logging for the core: printf-style (formatted by common/format, not the C
// library's printf), one process-wide sink installed by the platform.
// Protocol code logs dropped or malformed input here.
//
// Two filters: the level compiled in (CMake option SABLE_LOG_LEVEL, passed as
// SABLE_COMPILED_LOG_LEVEL: -1 none, 0 error, 1 warn, 2 info, 3 debug), below
// which a SABLE_LOG_* statement generates no code and leaves no format string
// in the image; and the runtime level (set_log_level) for what is compiled in.
#pragma once

#include <cstdarg>

#ifndef SABLE_COMPILED_LOG_LEVEL
#define SABLE_COMPILED_LOG_LEVEL 3
#endif

namespace sable {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

// The most detailed level compiled in; -1: none.
inline constexpr int kCompiledLogLevel = SABLE_COMPILED_LOG_LEVEL;
static_assert(kCompiledLogLevel >= -1 && kCompiledLogLevel <= 3,
              "SABLE_COMPILED_LOG_LEVEL: -1 (none), 0 (error), 1 (warn), 2 (info) or 3 (debug)");

constexpr bool log_compiled_in(LogLevel level) {
  return static_cast<int>(level) <= kCompiledLogLevel;
}

using LogSink = void (*)(LogLevel level, const char* message);

void set_log_sink(LogSink sink);  // nullptr: drop everything
void set_log_level(LogLevel max_level);
// Whether a message at `level` would reach the sink (compiled in, sink set, runtime level).
bool log_enabled(LogLevel level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sable

// The arguments stay in a discarded `if constexpr` branch when the level is
// compiled out: still type-checked (and counted as used), never emitted. When
// compiled in they are evaluated only if the message reaches the sink, so an
// argument that formats (an address's text) costs nothing when filtered out.
#define SABLE_LOG_AT(level, ...)                     \
  do {                                               \
    if constexpr (::sable::log_compiled_in(level)) { \
      if (::sable::log_enabled(level)) {             \
        ::sable::log(level, __VA_ARGS__);            \
      }                                              \
    }                                                \
  } while (0)
#define SABLE_LOG_ERROR(...) SABLE_LOG_AT(::sable::LogLevel::kError, __VA_ARGS__)
#define SABLE_LOG_WARN(...) SABLE_LOG_AT(::sable::LogLevel::kWarn, __VA_ARGS__)
#define SABLE_LOG_INFO(...) SABLE_LOG_AT(::sable::LogLevel::kInfo, __VA_ARGS__)
#define SABLE_LOG_DEBUG(...) SABLE_LOG_AT(::sable::LogLevel::kDebug, __VA_ARGS__)
