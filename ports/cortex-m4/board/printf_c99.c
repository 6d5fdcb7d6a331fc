// Debian's newlib for arm-none-eabi is built without C99 formats: "%zu"
// prints "zu" and shifts the remaining arguments. The core formats sizes with
// %zu (logs, NotifyResult::to_string), so the firmware links the printf
// family through these wrappers (-Wl,--wrap=...), which drop the z length
// modifier before calling newlib: on this target size_t is unsigned int, so
// %zu and %u take the same argument. A format too long for the buffer is
// passed through unchanged.
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(size_t) == sizeof(unsigned int), "size_t must be unsigned int");

int __real_vsnprintf(char* s, size_t n, const char* fmt, va_list ap);
int __real_vfprintf(FILE* f, const char* fmt, va_list ap);

static const char* without_z(const char* fmt, char* buf, size_t size) {
  if (!strchr(fmt, 'z') || strlen(fmt) >= size) return fmt;
  size_t o = 0;
  bool in_spec = false;
  for (const char* p = fmt; *p; ++p) {
    char c = *p;
    if (!in_spec) {
      in_spec = c == '%';
    } else if (c == '%' && p[-1] == '%') {
      in_spec = false;  // "%%"
    } else if (c == 'z') {
      continue;
    } else if (strchr("diouxXcspfFeEgGaAn", c)) {
      in_spec = false;
    }
    buf[o++] = c;
  }
  buf[o] = 0;
  return buf;
}

int __wrap_vsnprintf(char* s, size_t n, const char* fmt, va_list ap) {
  char buf[256];
  return __real_vsnprintf(s, n, without_z(fmt, buf, sizeof buf), ap);
}

int __wrap_snprintf(char* s, size_t n, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __wrap_vsnprintf(s, n, fmt, ap);
  va_end(ap);
  return r;
}

int __wrap_vfprintf(FILE* f, const char* fmt, va_list ap) {
  char buf[256];
  return __real_vfprintf(f, without_z(fmt, buf, sizeof buf), ap);
}

int __wrap_fprintf(FILE* f, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __wrap_vfprintf(f, fmt, ap);
  va_end(ap);
  return r;
}

int __wrap_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __wrap_vfprintf(stdout, fmt, ap);
  va_end(ap);
  return r;
}
