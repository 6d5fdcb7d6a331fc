#include "sable/error.hpp"

#include <cstring>

#include "common/format.hpp"

namespace sable {

// Not delegating: the firmware then links only this constructor.
ErrorMessage::ErrorMessage(const char* text) {
  append(text != nullptr ? text : "");
}

ErrorMessage::ErrorMessage(std::string_view text) {
  append(text);
}

ErrorMessage ErrorMessage::format(const char* fmt, ...) {
  ErrorMessage m;
  va_list ap;
  va_start(ap, fmt);
  m.vappend(fmt, ap);
  va_end(ap);
  return m;
}

ErrorMessage& ErrorMessage::append(std::string_view text) {
  size_t room = kCapacity - size_;
  size_t n = text.size() < room ? text.size() : room;
  std::memcpy(text_ + size_, text.data(), n);
  size_ = uint8_t(size_ + n);
  text_[size_] = '\0';
  if (n < text.size()) cut();
  return *this;
}

ErrorMessage& ErrorMessage::append_format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vappend(fmt, ap);
  va_end(ap);
  return *this;
}

void ErrorMessage::vappend(const char* fmt, va_list ap) {
  // vformat writes at most the room left and says how long the whole output is.
  size_t room = kCapacity - size_;
  size_t whole = vformat(text_ + size_, room + 1, fmt, ap);
  size_ = uint8_t(size_ + (whole < room ? whole : room));
  if (whole > room) cut();
}

// The buffer is full and more text was given: end with "..." so that nobody
// takes the cut line for the whole message.
void ErrorMessage::cut() {
  truncated_ = true;
  std::memcpy(text_ + kCapacity - 3, "...", 3);
  text_[kCapacity] = '\0';
}

}  // namespace sable
