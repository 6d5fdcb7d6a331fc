#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/format.hpp"
#include "common/log.hpp"

namespace sable {
namespace {

// Formats with a buffer large enough for every case here.
#define FMT(...)                                     \
  [&] {                                              \
    char buf[256];                                   \
    size_t n = format(buf, sizeof buf, __VA_ARGS__); \
    EXPECT_EQ(n, std::string(buf).size());           \
    return std::string(buf);                         \
  }()

// The same without the compiler's format check, for directives GCC warns about
// (and -Werror would refuse) but C defines.
std::string unchecked(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

TEST(FormatTest, DirectivesTheCoreUses) {
  EXPECT_EQ(FMT("handle 0x%04x", 0x40u), "handle 0x0040");
  EXPECT_EQ(FMT("%02x:%02X", 0xau, 0xbcu), "0a:BC");
  EXPECT_EQ(FMT("%03x", 0x1u), "001");
  EXPECT_EQ(FMT("CRC 0x%08lX", 0xdeadbeeful), "CRC 0xDEADBEEF");
  EXPECT_EQ(FMT("%08X", 0x1234u), "00001234");
  EXPECT_EQ(FMT("%zu peers", size_t(3)), "3 peers");
  EXPECT_EQ(FMT("%zu", SIZE_MAX), std::to_string(SIZE_MAX));
  EXPECT_EQ(FMT("%u %d %i", 4000000000u, -42, 7), "4000000000 -42 7");
  EXPECT_EQ(FMT("%06u", 123u), "000123");
  EXPECT_EQ(FMT("%lld ms", -1234567890123ll), "-1234567890123 ms");
  EXPECT_EQ(FMT("%llu", ULLONG_MAX), "18446744073709551615");
  EXPECT_EQ(FMT("%lld", LLONG_MIN), "-9223372036854775808");
  EXPECT_EQ(FMT("%d", INT_MIN), "-2147483648");
  EXPECT_EQ(FMT("%ld", LONG_MAX), std::to_string(LONG_MAX));
  EXPECT_EQ(FMT("mode %04o", 0644u), "mode 0644");
  EXPECT_EQ(FMT("%s failed: %s", "LE Set Scan", "Unknown"), "LE Set Scan failed: Unknown");
  EXPECT_EQ(FMT("'%.*s'", 3, "abcdef"), "'abc'");
  EXPECT_EQ(FMT("%c%c", 'o', 'k'), "ok");
  EXPECT_EQ(FMT("100%%"), "100%");
  EXPECT_EQ(FMT("no directives"), "no directives");
  EXPECT_EQ(FMT("%s", ""), "");
}

TEST(FormatTest, FlagsWidthAndPrecision) {
  EXPECT_EQ(FMT("[%5d]", 42), "[   42]");
  EXPECT_EQ(FMT("[%-5d]", 42), "[42   ]");
  EXPECT_EQ(FMT("[%05d]", -42), "[-0042]");
  EXPECT_EQ(FMT("[%+d %+d]", 5, -5), "[+5 -5]");
  EXPECT_EQ(FMT("[% d]", 5), "[ 5]");
  EXPECT_EQ(unchecked("[%+u]", 5u), "[5]");  // + only applies to signed conversions
  EXPECT_EQ(FMT("[%.3d]", 7), "[007]");
  EXPECT_EQ(FMT("[%6.3d]", -7), "[  -007]");
  EXPECT_EQ(unchecked("[%06.3d]", 7), "[   007]");  // a precision turns off 0-padding
  EXPECT_EQ(FMT("[%.0d]", 0), "[]");
  EXPECT_EQ(FMT("[%#x %#X %#o %#x]", 255u, 255u, 8u, 0u), "[0xff 0XFF 010 0]");
  EXPECT_EQ(FMT("[%#06x]", 0x1fu), "[0x001f]");
  EXPECT_EQ(FMT("[%*d|%-*d]", 4, 1, 3, 2), "[   1|2  ]");
  EXPECT_EQ(FMT("[%*d]", -3, 9), "[9  ]");
  EXPECT_EQ(FMT("[%8s|%-8s]", "ab", "cd"), "[      ab|cd      ]");
  EXPECT_EQ(FMT("[%.2s]", "abc"), "[ab]");
  EXPECT_EQ(FMT("[%3c]", 'x'), "[  x]");
  // The argument is wider than the modifier says, on purpose: the formatter
  // narrows it as printf does (clang's -Wformat would flag it).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
  EXPECT_EQ(FMT("[%hhu %hu %hhd]", 0x1ffu, 0x1ffffu, 0xff), "[255 65535 -1]");
#pragma GCC diagnostic pop
  EXPECT_EQ(FMT("[%jd %td %zx]", intmax_t(-3), ptrdiff_t(-4), size_t(0xab)), "[-3 -4 ab]");
}

TEST(FormatTest, MatchesTheCLibrary) {
  // Cross-check with the host's printf on a spread of values and directives.
  const char* formats[] = {"%d",   "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d",  "%x",
                           "%08X", "%#x", "%o",    "%#o",  "%u",  "%3u", "%-3u|", "%.0u"};
  const int values[] = {0, 1, -1, 9, 10, 255, -256, 65535, INT_MAX, INT_MIN, 123456789};
  for (const char* f : formats) {
    for (int v : values) {
      char ours[64], theirs[64];
      format(ours, sizeof ours, f, v);
      std::snprintf(theirs, sizeof theirs, f, v);
      EXPECT_STREQ(ours, theirs) << "format " << f << " value " << v;
    }
  }
}

TEST(FormatTest, PointersAndNulls) {
  int x = 0;
  char expected[64];
  std::snprintf(expected, sizeof expected, "%p", static_cast<void*>(&x));
  EXPECT_EQ(FMT("%p", static_cast<void*>(&x)), expected);
  EXPECT_EQ(FMT("%p", static_cast<void*>(nullptr)), "(nil)");
  EXPECT_EQ(unchecked("%s", static_cast<const char*>(nullptr)), "(null)");
}

TEST(FormatTest, TruncatesAtTheBufferSizeAndReturnsTheFullLength) {
  char buf[8];
  std::memset(buf, 'X', sizeof buf);
  EXPECT_EQ(format(buf, sizeof buf, "handle 0x%04x", 0x40u), 13u);
  EXPECT_EQ(std::string(buf), "handle ");  // 7 characters and the NUL
  EXPECT_EQ(format(buf, 4, "%05d", 42), 5u);
  EXPECT_EQ(std::string(buf), "000");
  EXPECT_EQ(format(buf, 1, "abc"), 3u);
  EXPECT_EQ(buf[0], '\0');
  buf[0] = 'X';
  EXPECT_EQ(format(buf, 0, "abc%d", 1), 4u);  // size 0: nothing written
  EXPECT_EQ(buf[0], 'X');
  EXPECT_EQ(format(nullptr, 0, "%s", "abc"), 3u);
  // Exactly fitting: size - 1 characters.
  EXPECT_EQ(format(buf, sizeof buf, "%s", "1234567"), 7u);
  EXPECT_EQ(std::string(buf), "1234567");
}

TEST(FormatTest, UnsupportedConversionsKeepTheArgumentsInLine) {
  // No floating point: "?" for the double, and the next argument still prints.
  EXPECT_EQ(FMT("%.2f ms, %u", 30.0, 7u), "? ms, 7");
  EXPECT_EQ(unchecked("%d %w %d", 1, 2), "1 %w 2");
  EXPECT_EQ(unchecked("end %"), "end %");
  EXPECT_EQ(unchecked("end %08"), "end %08");
}

TEST(FormatTest, SinkReceivesEveryPieceInOrder) {
  std::string out;
  auto sink = [](void* context, const char* data, size_t size) {
    static_cast<std::string*>(context)->append(data, size);
  };
  auto call = [&](const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat_to(sink, &out, fmt, ap);
    va_end(ap);
    return n;
  };
  std::string long_text(600, 'a');  // longer than any fixed buffer
  EXPECT_EQ(call("<%s> %4u", long_text.c_str(), 12u), 607u);
  EXPECT_EQ(out, "<" + long_text + ">   12");
}

std::vector<std::string>& logged() {
  static std::vector<std::string> lines;
  return lines;
}

TEST(FormatTest, HexOctetsMostSignificantFirstAsPrintfPrintsThem) {
  const uint8_t le[] = {0x01, 0xab, 0x0f, 0xf0};  // the value 0xf00fab01
  char out[16];
  char expected[16];
  std::snprintf(expected, sizeof expected, "%02x%02x%02x%02x", le[3], le[2], le[1], le[0]);
  EXPECT_EQ(format_hex(out, le, 4, false), out + 8);
  EXPECT_STREQ(out, expected);
  // Separators after the first (bit 0) and third (bit 2) octets written.
  std::snprintf(expected, sizeof expected, "%02X-%02X%02X-%02X", le[3], le[2], le[1], le[0]);
  EXPECT_EQ(format_hex(out, le, 4, true, '-', 0b101), out + 10);
  EXPECT_STREQ(out, expected);
  EXPECT_STREQ(out, "F0-0FAB-01");
}

TEST(FormatTest, StringOfCopiesTheWholeText) {
  EXPECT_EQ(string_of(""), "");
  EXPECT_EQ(string_of("2a00"), "2a00");  // short: within the string object
  EXPECT_EQ(string_of("9b574847-f706-436c-bed7-fc01eb0965c1"),
            "9b574847-f706-436c-bed7-fc01eb0965c1");  // long: on the heap
}

TEST(LogTest, FormatsThroughOurFormatterUpToTheRuntimeLevel) {
  logged().clear();
  set_log_sink([](LogLevel, const char* message) { logged().push_back(message); });
  set_log_level(LogLevel::kWarn);
  SABLE_LOG_WARN("dropped %zu octets on handle 0x%04x", size_t(5), 0x40u);
  SABLE_LOG_INFO("not at this runtime level %d", 1);
  EXPECT_FALSE(log_enabled(LogLevel::kInfo));
  EXPECT_TRUE(log_enabled(LogLevel::kWarn));
  set_log_sink(nullptr);
  set_log_level(LogLevel::kInfo);
  ASSERT_EQ(logged().size(), 1u);
  EXPECT_EQ(logged()[0], "dropped 5 octets on handle 0x0040");
}

TEST(LogTest, LongMessagesAreCutAtTheLogBuffer) {
  logged().clear();
  set_log_sink([](LogLevel, const char* message) { logged().push_back(message); });
  std::string text(400, 'x');
  SABLE_LOG_ERROR("%s!", text.c_str());
  set_log_sink(nullptr);
  ASSERT_EQ(logged().size(), 1u);
  EXPECT_EQ(logged()[0], std::string(255, 'x'));
}

TEST(LogTest, LevelsAboveTheCompiledOneGenerateNothing) {
  // kTrace is above every compiled level (debug at most): the statement is
  // discarded at compile time, its arguments are not evaluated, and a variable
  // used only there is not "unused" (-Werror would refuse this file).
  logged().clear();
  set_log_sink([](LogLevel, const char* message) { logged().push_back(message); });
  set_log_level(LogLevel::kTrace);
  int evaluated = 0;
  const int only_logged = 5;
  SABLE_LOG_AT(LogLevel::kTrace, "%d %d", ++evaluated, only_logged);
  EXPECT_FALSE(log_enabled(LogLevel::kTrace));
  set_log_sink(nullptr);
  set_log_level(LogLevel::kInfo);
  EXPECT_EQ(evaluated, 0);
  EXPECT_TRUE(logged().empty());
  EXPECT_FALSE(log_compiled_in(LogLevel::kTrace));
}

}  // namespace
}  // namespace sable
