// The parts of the C++ runtime the firmware needs, without exception
// machinery. The code is built with -fno-exceptions, but libstdc++'s own
// objects are not: its operator new throws std::bad_alloc, its
// std::__throw_* helpers throw, its __cxa_pure_virtual calls std::terminate,
// and any one of them links the unwinder, the personality routine and
// __cxa_* (~6 KB, plus libstdc++'s exception classes and COW strings). These
// definitions come first in the link, so libstdc++'s objects that define the
// same symbols are never pulled in; each failure prints one line on the
// console and ends the run, as a fault does (board/startup.c).
// ports/cortex-m4/check-image fails the build if exception symbols reappear.
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "../board/board.h"
#include "common/format.hpp"

namespace {

[[noreturn]] void fatal(const char* what, const char* detail = nullptr) {
  char line[160];
  size_t n = sable::format(line, sizeof line, "firmware: fatal: %s%s%s\n", what,
                           detail != nullptr ? ": " : "", detail != nullptr ? detail : "");
  board_console_write(line, n < sizeof line ? n : sizeof line - 1);
  board_exit(3);
}

void* allocate(std::size_t size) {
  void* p = std::malloc(size != 0 ? size : 1);
  if (p == nullptr) fatal("out of memory");
  return p;
}

}  // namespace

// ---- operator new/delete: malloc, and a fatal error instead of bad_alloc ----

void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return std::malloc(size != 0 ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return std::malloc(size != 0 ? size : 1);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

// ---- what libstdc++'s headers call where they would throw (bits/functexcept.h) ----

namespace std {

void __throw_bad_exception() {
  fatal("bad_exception");
}
void __throw_bad_alloc() {
  fatal("bad_alloc");
}
void __throw_bad_array_new_length() {
  fatal("bad_array_new_length");
}
void __throw_bad_cast() {
  fatal("bad_cast");
}
void __throw_bad_typeid() {
  fatal("bad_typeid");
}
void __throw_bad_function_call() {
  fatal("bad_function_call");
}
void __throw_logic_error(const char* what) {
  fatal("logic_error", what);
}
void __throw_domain_error(const char* what) {
  fatal("domain_error", what);
}
void __throw_invalid_argument(const char* what) {
  fatal("invalid_argument", what);
}
void __throw_length_error(const char* what) {
  fatal("length_error", what);
}
void __throw_out_of_range(const char* what) {
  fatal("out_of_range", what);
}
void __throw_out_of_range_fmt(const char* fmt, ...) {
  char what[96];
  va_list ap;
  va_start(ap, fmt);
  sable::vformat(what, sizeof what, fmt, ap);
  va_end(ap);
  fatal("out_of_range", what);
}
void __throw_runtime_error(const char* what) {
  fatal("runtime_error", what);
}
void __throw_range_error(const char* what) {
  fatal("range_error", what);
}
void __throw_overflow_error(const char* what) {
  fatal("overflow_error", what);
}
void __throw_underflow_error(const char* what) {
  fatal("underflow_error", what);
}
void __throw_system_error(int) {
  fatal("system_error");
}
void __throw_future_error(int) {
  fatal("future_error");
}

// Without RTTI, shared_ptr's make_shared control block asks this whether a
// type_info is its private tag (libstdc++'s version is in shared_ptr.o, with
// its mutex pool). Only the tag's own address can be it: no typeid exists here.
bool _Sp_make_shared_tag::_S_eq(const type_info& ti) noexcept {
  return &ti == &_S_ti();
}

}  // namespace std

extern "C" void __cxa_pure_virtual() {
  fatal("pure virtual function called");
}
