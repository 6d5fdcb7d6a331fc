// A small printf-style formatter of our own, so that logging and the
// firmware's console do not link the C library's printf (on newlib that is
// vfprintf with floating point: _dtoa_r and libgcc's double helpers, ~36 KB).
//
// Supported, byte-for-byte as C's printf prints them:
//   conversions  d i u x X o c s p %
//   flags        - 0 + space #
//   width        digits or *            precision  .digits or .* (min digits; %s: max chars)
//   length       hh h l ll z j t
// Floating-point conversions (f F e E g G a A) consume their double and print
// "?": the core never formats a double. An unknown conversion prints as is.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sable {

// Receives the output in pieces, in order.
using FormatSink = void (*)(void* context, const char* data, size_t size);

// Formats into `sink`; returns the number of characters produced.
size_t vformat_to(FormatSink sink, void* context, const char* fmt, va_list ap);

// snprintf semantics: writes at most size - 1 characters and a terminating
// NUL (nothing when size is 0), returns the length the whole output has.
size_t vformat(char* out, size_t size, const char* fmt, va_list ap);
size_t format(char* out, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// The n octets of a little-endian value, most significant first, as two hex
// digits each (as "%02x" or "%02X" print them), with `separator` after the
// k-th octet written (from 0) when bit k of `after` is set; then a NUL.
// Addresses and UUIDs print through this instead of a long format string.
// Returns where the NUL went.
// text as a std::string, built in one place: the to_string() functions that
// format into a buffer share this instead of inlining the string's
// construction each.
std::string string_of(const char* text);

char* format_hex(char* out, const uint8_t* octets, size_t n, bool upper, char separator = 0,
                 uint32_t after = 0);

}  // namespace sable
