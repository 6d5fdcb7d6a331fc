#include "common/format.hpp"

#include <cstdint>
#include <cstring>

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
  [[gnu::noinline]] void fill(char c, size_t n) {
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

// Digits in lower then upper case.
constexpr char kDigits[] = "0123456789abcdef0123456789ABCDEF";

void integer(Out& out, const Spec& spec, unsigned long long value, bool negative, unsigned base,
             bool upper) {
  const char* alphabet = &kDigits[upper ? 16 : 0];
  char digits[24];  // 22 octal digits for 64 bits
  char* end = digits + sizeof digits;
  char* first = end;
  for (; value != 0; value /= base) *--first = alphabet[value % base];
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

// Where c is in set, or nullptr (c == 0 is never found). A loop of our own:
// newlib's strchr would add ~200 octets to the firmware for these few uses.
const char* find(const char* set, char c) {
  for (; *set != 0; ++set)
    if (*set == c) return set;
  return nullptr;
}

// Digits of a width or precision; fmt moves past them.
size_t digits(const char*& fmt) {
  size_t n = 0;
  for (; *fmt >= '0' && *fmt <= '9'; ++fmt) n = n * 10 + size_t(*fmt - '0');
  return n;
}

// The length modifier's argument width in bits; fmt moves past it. Every
// length names an int, a 32- or a 64-bit argument (ptrdiff_t has size_t's size).
static_assert(sizeof(ptrdiff_t) == sizeof(size_t) && sizeof(intmax_t) == 8 &&
              sizeof(long long) == 8 && sizeof(int) == 4);
unsigned length_bits(const char*& fmt) {
  switch (*fmt++) {
    case 'h':
      if (*fmt != 'h') return 16;
      ++fmt;
      return 8;
    case 'l':
      if (*fmt != 'l') return 8 * sizeof(long);
      ++fmt;
      return 64;
    case 'z':
    case 't':
      return 8 * sizeof(size_t);
    case 'j':
      return 64;
    case 'L':
      return 128;  // long double (floating point only)
    default:
      --fmt;
      return 32;
  }
}

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
    static constexpr char kFlags[] = "-0+ #";  // kLeft, kZero, kPlus, kSpace, kAlternate
    for (const char* f; (f = find(kFlags, *fmt)) != nullptr; ++fmt)
      spec.flags |= 1u << (f - kFlags);
    if (*fmt == '*') {
      int width = va_arg(ap, int);
      if (width < 0) spec.flags |= kLeft;
      spec.width = width < 0 ? 0u - unsigned(width) : unsigned(width);
      ++fmt;
    } else {
      spec.width = digits(fmt);
    }
    if (*fmt == '.') {
      ++fmt;
      if (*fmt == '*') {
        int precision = va_arg(ap, int);
        spec.precision = precision < 0 ? -1 : precision;
        ++fmt;
      } else {
        spec.precision = int(digits(fmt));
      }
    }
    const unsigned bits = length_bits(fmt);

    const char conversion = *fmt;
    if (conversion == 0) {  // a directive cut short by the end of the format
      out.write(directive, size_t(fmt - directive));
      break;
    }
    ++fmt;
    // One lookup instead of a switch (its jump table costs more than the
    // compares): d i u x X o are integers (base from kBases), then the rest.
    static constexpr char kConversions[] = "diuxXopcs%";
    static constexpr uint8_t kBases[] = {10, 10, 10, 16, 16, 8, 16};  // p: hex
    const char* known = find(kConversions, conversion);
    const size_t kind = known ? size_t(known - kConversions) : sizeof kConversions;
    const unsigned base = kind < sizeof kBases ? kBases[kind] : 0;
    const bool is_signed = kind < 2;
    // Everything but an integer (a pointer among them) prints as one field of text.
    const char* piece = nullptr;
    size_t piece_size = 1;
    char c;
    unsigned long long v = 0;
    if (conversion == 'p') {
      // As glibc prints it: 0x and lowercase hex, "(nil)" for null.
      const void* p = va_arg(ap, const void*);
      v = reinterpret_cast<uintptr_t>(p);
      spec.flags |= kAlternate;
      if (p == nullptr) {
        piece = "(nil)";
        piece_size = 5;
      }
    } else if (conversion == 'c') {
      c = static_cast<char>(va_arg(ap, int));
      piece = &c;
    } else if (conversion == 's') {
      piece = va_arg(ap, const char*);
      if (piece == nullptr) piece = "(null)";
      piece_size = 0;
      while (piece[piece_size] != 0 && (spec.precision < 0 || piece_size < size_t(spec.precision)))
        ++piece_size;
    } else if (conversion == '%') {
      out.write("%", 1);
    } else if (find("fFeEgGaA", conversion) != nullptr) {
      // Not supported (no floating point in the image): skip the argument so
      // that the ones after it still line up.
      if (bits == 128) {
        (void)va_arg(ap, long double);
      } else {
        (void)va_arg(ap, double);
      }
      piece = "?";
    } else if (base == 0) {
      out.write(directive, size_t(fmt - directive));
    } else {
      // Integers as passed (int, 32 or 64 bits), then cut to the length's width.
      v = bits == 64 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
      const unsigned width = bits > 64 ? 32 : bits;
      if (width < 64) {
        v &= (1ull << width) - 1;
        if (is_signed && (v >> (width - 1)) != 0) v |= ~0ull << width;  // sign extension
      }
    }
    if (piece != nullptr) {
      field(out, spec, "", 0, 0, piece, piece_size);
    } else if (base != 0) {
      const bool negative = is_signed && static_cast<long long>(v) < 0;
      if (!is_signed) spec.flags &= ~unsigned(kPlus | kSpace);  // signed conversions only
      integer(out, spec, negative ? 0ull - v : v, negative, base, conversion == 'X');
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

std::string string_of(const char* text) {
  // With its length: the constructor from a bare pointer adds a null check
  // and its message.
  return std::string(text, std::strlen(text));
}

char* format_hex(char* out, const uint8_t* octets, size_t n, bool upper, char separator,
                 uint32_t after) {
  const char* alphabet = &kDigits[upper ? 16 : 0];
  for (size_t k = 0; k < n; ++k) {
    const uint8_t v = octets[n - 1 - k];
    *out++ = alphabet[v >> 4];
    *out++ = alphabet[v & 0x0F];
    if ((after >> k) & 1) *out++ = separator;
  }
  *out = 0;
  return out;
}

size_t format(char* out, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vformat(out, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace sable
