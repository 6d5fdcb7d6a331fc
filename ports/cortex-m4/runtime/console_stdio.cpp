// The C library's console output, routed through our formatter
// (src/common/format) instead of newlib's: the reference program prints with
// printf/fprintf and the core formats with snprintf, and newlib's printf is
// vfprintf with floating point (_dtoa_r, libgcc's double helpers, its stdio
// buffers: ~36 KB). The firmware links these through -Wl,--wrap=<name>, so
// newlib's versions are never pulled in. stdout and stderr both go to the
// console (UART1), unbuffered, as newlib's _write did.
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "../board/board.h"
#include "common/format.hpp"

namespace {

void to_console(void*, const char* data, size_t size) {
  board_console_write(data, size);
}

int console_vprintf(const char* fmt, va_list ap) {
  return static_cast<int>(sable::vformat_to(to_console, nullptr, fmt, ap));
}

}  // namespace

extern "C" {

int __wrap_vsnprintf(char* s, size_t n, const char* fmt, va_list ap) {
  return static_cast<int>(sable::vformat(s, n, fmt, ap));
}

int __wrap_snprintf(char* s, size_t n, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __wrap_vsnprintf(s, n, fmt, ap);
  va_end(ap);
  return r;
}

int __wrap_vprintf(const char* fmt, va_list ap) {
  return console_vprintf(fmt, ap);
}

int __wrap_vfprintf(FILE*, const char* fmt, va_list ap) {
  return console_vprintf(fmt, ap);
}

int __wrap_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = console_vprintf(fmt, ap);
  va_end(ap);
  return r;
}

int __wrap_fprintf(FILE*, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = console_vprintf(fmt, ap);
  va_end(ap);
  return r;
}

// GCC turns printf("text\n") into puts("text") and fprintf(f, "text") into
// fputs("text", f): those go to the console too.
int __wrap_fputs(const char* s, FILE*) {
  board_console_write(s, std::strlen(s));
  return 0;
}

int __wrap_puts(const char* s) {
  board_console_write(s, std::strlen(s));
  board_console_write("\n", 1);
  return 0;
}

int __wrap_putchar(int c) {
  char ch = static_cast<char>(c);
  board_console_write(&ch, 1);
  return static_cast<unsigned char>(ch);
}

int __wrap_fputc(int c, FILE*) {
  return __wrap_putchar(c);
}

size_t __wrap_fwrite(const void* data, size_t size, size_t count, FILE*) {
  board_console_write(static_cast<const char*>(data), size * count);
  return count;
}

// Nothing is buffered.
int __wrap_fflush(FILE*) {
  return 0;
}

}  // extern "C"
