// Errors are values: a small std::expected-like Result for a core built with
// -fno-exceptions. Accessing the wrong alternative is a programming error and
// traps (no exception is thrown).
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

namespace sable {

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

template <class E>
constexpr Unexpected<E> fail(E e) {
  return Unexpected<E>{std::move(e)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  constexpr Result(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u.error)) {}

  constexpr bool ok() const { return v_.index() == 0; }
  constexpr explicit operator bool() const { return ok(); }

  constexpr T& value() & { return check_value(), *std::get_if<0>(&v_); }
  constexpr const T& value() const& { return check_value(), *std::get_if<0>(&v_); }
  constexpr T&& value() && { return check_value(), std::move(*std::get_if<0>(&v_)); }
  constexpr const E& error() const { return check_error(), *std::get_if<1>(&v_); }

  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }

 private:
  constexpr void check_value() const {
    if (!ok()) __builtin_trap();
  }
  constexpr void check_error() const {
    if (ok()) __builtin_trap();
  }
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  constexpr Result() = default;
  constexpr Result(Unexpected<E> u) : has_error_(true), error_(std::move(u.error)) {}
  constexpr bool ok() const { return !has_error_; }
  constexpr explicit operator bool() const { return ok(); }
  constexpr const E& error() const {
    if (!has_error_) __builtin_trap();
    return error_;
  }

 private:
  bool has_error_ = false;
  E error_{};
};

}  // namespace sable
