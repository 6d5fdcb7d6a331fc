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

namespace sable {

// Receives the output in pieces, in order.
using FormatSink = void (*)(void* context, const char* data, size_t size);

// Formats into `sink`; returns the number of characters produced.
size_t vformat_to(FormatSink sink, void* context, const char* fmt, va_list ap);

// snprintf semantics: writes at most size - 1 characters and a terminating
// NUL (nothing when size is 0), returns the length the whole output has.
size_t vformat(char* out, size_t size, const char* fmt, va_list ap);
size_t format(char* out, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace sable
