#include "common/format.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sable {
namespace {

struct Out {
  FormatSink sink;
  void* context;
  size_t count = 0;

  void write(const char* data, size_t size) {
    if (size == 0) return;
    sink(context, data, size);
    count += size;
  }
  void fill(char c, size_t n) {
    for (; n > 0; --n) write(&c, 1);
  }
};

constexpr unsigned kLeft = 1, kZero = 2, kPlus = 4, kSpace = 8, kAlternate = 16;  // flags

struct Spec {
  unsigned flags = 0;
  size_t width = 0;
  int precision = -1;  // -1: none given
};

// One field: [spaces] prefix [zeros] body [spaces], padded to the width.
void field(Out& out, const Spec& spec, const char* prefix, size_t prefix_size, size_t zeros,
           const char* body, size_t body_size) {
  size_t size = prefix_size + zeros + body_size;
  size_t pad = spec.width > size ? spec.width - size : 0;
  if ((spec.flags & kLeft) == 0) out.fill(' ', pad);
  out.write(prefix, prefix_size);
  out.fill('0', zeros);
  out.write(body, body_size);
  if ((spec.flags & kLeft) != 0) out.fill(' ', pad);
}

void integer(Out& out, const Spec& spec, unsigned long long value, bool negative, unsigned base,
             bool upper) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[24];  // 22 octal digits for 64 bits
  char* end = digits + sizeof digits;
  char* first = end;
  if (value <= UINT32_MAX) {  // the common case, without a 64-bit division
    for (uint32_t v = uint32_t(value); v != 0; v /= base) *--first = alphabet[v % base];
  } else {
    for (; value != 0; value /= base) *--first = alphabet[value % base];
  }
  size_t count = size_t(end - first);
  // C: the precision is the minimum number of digits; 0 with precision 0 prints none.
  size_t zeros = 0;
  if (spec.precision >= 0) {
    if (size_t(spec.precision) > count) zeros = size_t(spec.precision) - count;
  } else if (count == 0) {
    zeros = 1;
  }
  char prefix[2];
  size_t prefix_size = 0;
  if (negative) {
    prefix[prefix_size++] = '-';
  } else if ((spec.flags & kPlus) != 0) {
    prefix[prefix_size++] = '+';
  } else if ((spec.flags & kSpace) != 0) {
    prefix[prefix_size++] = ' ';
  }
  if ((spec.flags & kAlternate) != 0) {
    if (base == 16 && count > 0) {
      prefix[prefix_size++] = '0';
      prefix[prefix_size++] = upper ? 'X' : 'x';
    } else if (base == 8 && zeros == 0) {
      zeros = 1;  // the first digit of an alternate octal is 0
    }
  }
  if ((spec.flags & (kZero | kLeft)) == kZero && spec.precision < 0) {
    size_t size = prefix_size + zeros + count;
    if (spec.width > size) zeros += spec.width - size;
  }
  field(out, spec, prefix, prefix_size, zeros, first, count);
}

enum class Length { kDefault, kChar, kShort, kLong, kLongLong, kSize, kMax, kPtrdiff, kDouble };

// What is left of the caller's buffer (without the terminating NUL's place).
struct Room {
  char* next;
  size_t left;
};

void to_buffer(void* context, const char* data, size_t size) {
  auto* room = static_cast<Room*>(context);
  size_t n = size < room->left ? size : room->left;
  if (n == 0) return;
  std::memcpy(room->next, data, n);
  room->next += n;
  room->left -= n;
}

}  // namespace

size_t vformat_to(FormatSink sink, void* context, const char* fmt, va_list args) {
  va_list ap;
  va_copy(ap, args);
  Out out{sink, context};
  while (*fmt != 0) {
    const char* text = fmt;
    while (*fmt != 0 && *fmt != '%') ++fmt;
    out.write(text, size_t(fmt - text));
    if (*fmt == 0) break;
    const char* directive = fmt++;

    Spec spec;
    for (;; ++fmt) {
      unsigned flag = *fmt == '-'   ? kLeft
                      : *fmt == '0' ? kZero
                      : *fmt == '+' ? kPlus
                      : *fmt == ' ' ? kSpace
                      : *fmt == '#' ? kAlternate
                                    : 0;
      if (flag == 0) break;
      spec.flags |= flag;
    }
    if (*fmt == '*') {
      int width = va_arg(ap, int);
      if (width < 0) spec.flags |= kLeft;
      spec.width = width < 0 ? 0u - unsigned(width) : unsigned(width);
      ++fmt;
    } else {
      for (; *fmt >= '0' && *fmt <= '9'; ++fmt) spec.width = spec.width * 10 + size_t(*fmt - '0');
    }
    if (*fmt == '.') {
      ++fmt;
      if (*fmt == '*') {
        int precision = va_arg(ap, int);
        spec.precision = precision < 0 ? -1 : precision;
        ++fmt;
      } else {
        spec.precision = 0;
        for (; *fmt >= '0' && *fmt <= '9'; ++fmt)
          spec.precision = spec.precision * 10 + (*fmt - '0');
      }
    }

    Length length = Length::kDefault;
    switch (*fmt) {
      case 'h':
        length = fmt[1] == 'h' ? Length::kChar : Length::kShort;
        fmt += fmt[1] == 'h' ? 2 : 1;
        break;
      case 'l':
        length = fmt[1] == 'l' ? Length::kLongLong : Length::kLong;
        fmt += fmt[1] == 'l' ? 2 : 1;
        break;
      case 'z':
        length = Length::kSize;
        ++fmt;
        break;
      case 'j':
        length = Length::kMax;
        ++fmt;
        break;
      case 't':
        length = Length::kPtrdiff;
        ++fmt;
        break;
      case 'L':
        length = Length::kDouble;
        ++fmt;
        break;
      default:
        break;
    }

    const char conversion = *fmt;
    if (conversion == 0) {  // a directive cut short by the end of the format
      out.write(directive, size_t(fmt - directive));
      break;
    }
    ++fmt;
    switch (conversion) {
      case 'd':
      case 'i': {
        long long v;
        switch (length) {
          case Length::kChar:
            v = static_cast<signed char>(va_arg(ap, int));
            break;
          case Length::kShort:
            v = static_cast<short>(va_arg(ap, int));
            break;
          case Length::kLong:
            v = va_arg(ap, long);
            break;
          case Length::kLongLong:
            v = va_arg(ap, long long);
            break;
          case Length::kSize:
            v = va_arg(ap, std::make_signed_t<size_t>);
            break;
          case Length::kMax:
            v = va_arg(ap, intmax_t);
            break;
          case Length::kPtrdiff:
            v = va_arg(ap, ptrdiff_t);
            break;
          default:
            v = va_arg(ap, int);
            break;
        }
        unsigned long long magnitude =
            v < 0 ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
        integer(out, spec, magnitude, v < 0, 10, false);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        unsigned long long v;
        switch (length) {
          case Length::kChar:
            v = static_cast<unsigned char>(va_arg(ap, unsigned));
            break;
          case Length::kShort:
            v = static_cast<unsigned short>(va_arg(ap, unsigned));
            break;
          case Length::kLong:
            v = va_arg(ap, unsigned long);
            break;
          case Length::kLongLong:
            v = va_arg(ap, unsigned long long);
            break;
          case Length::kSize:
            v = va_arg(ap, size_t);
            break;
          case Length::kMax:
            v = va_arg(ap, uintmax_t);
            break;
          case Length::kPtrdiff:
            v = va_arg(ap, std::make_unsigned_t<ptrdiff_t>);
            break;
          default:
            v = va_arg(ap, unsigned);
            break;
        }
        spec.flags &= ~unsigned(kPlus | kSpace);  // signed conversions only
        unsigned base = conversion == 'o' ? 8 : conversion == 'u' ? 10 : 16;
        integer(out, spec, v, false, base, conversion == 'X');
        break;
      }
      case 'p': {
        // As glibc prints it: 0x and lowercase hex, "(nil)" for null.
        const void* p = va_arg(ap, const void*);
        if (p == nullptr) {
          field(out, spec, "", 0, 0, "(nil)", 5);
        } else {
          spec.flags = (spec.flags & ~unsigned(kPlus | kSpace)) | kAlternate;
          integer(out, spec, reinterpret_cast<uintptr_t>(p), false, 16, false);
        }
        break;
      }
      case 'c': {
        char c = static_cast<char>(va_arg(ap, int));
        field(out, spec, "", 0, 0, &c, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (s == nullptr) s = "(null)";
        size_t size = 0;
        while (s[size] != 0 && (spec.precision < 0 || size < size_t(spec.precision))) ++size;
        field(out, spec, "", 0, 0, s, size);
        break;
      }
      case '%':
        out.write("%", 1);
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
      case 'a':
      case 'A':
        // Not supported (no floating point in the image): skip the argument so
        // that the ones after it still line up.
        if (length == Length::kDouble) {
          (void)va_arg(ap, long double);
        } else {
          (void)va_arg(ap, double);
        }
        field(out, spec, "", 0, 0, "?", 1);
        break;
      default:
        out.write(directive, size_t(fmt - directive));
        break;
    }
  }
  va_end(ap);
  return out.count;
}

size_t vformat(char* out, size_t size, const char* fmt, va_list ap) {
  Room room{out, size > 0 ? size - 1 : 0};
  size_t n = vformat_to(to_buffer, &room, fmt, ap);
  if (size > 0) *room.next = 0;
  return n;
}

size_t format(char* out, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(out, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace sable
