// A callback kept inline, without heap: the HCI layer's completion callbacks
// (CommandChannel, ControllerInit) and sinks (AclInbound) are small lambdas
// that capture `this` and a value or two. The captures are copied into a fixed
// buffer of kInlineCaptureSize octets and called through one function pointer;
// a lambda that captures more, or anything that is not trivially copyable (a
// std::string, a std::function), does not compile. Unlike std::function there
// is no manager (copy = copying the octets), so each lambda adds only its call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace sable::hci {

// `this` plus a 7-octet Address (or two pointers) on a 64-bit host.
inline constexpr size_t kInlineCaptureSize = 16;
inline constexpr size_t kInlineCaptureAlign = alignof(uint64_t);

template <typename Signature>
class InlineFunction;

template <typename R, typename... Args>
class InlineFunction<R(Args...)> {
 public:
  InlineFunction() = default;
  InlineFunction(std::nullptr_t) {}  // NOLINT: "no callback", as with std::function

  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineFunction>>>
  InlineFunction(F f) {  // NOLINT: lambdas convert implicitly, as to std::function
    static_assert(sizeof(F) <= kInlineCaptureSize,
                  "callback captures too much: capture `this` and look the rest up");
    static_assert(alignof(F) <= kInlineCaptureAlign);
    static_assert(std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F>,
                  "callback captures must be trivially copyable (pointers, ids, small values)");
    ::new (static_cast<void*>(storage_)) F(f);
    call_ = [](void* storage, Args... args) -> R {
      return (*std::launder(static_cast<F*>(storage)))(std::forward<Args>(args)...);
    };
  }

  explicit operator bool() const { return call_ != nullptr; }
  R operator()(Args... args) const { return call_(storage_, std::forward<Args>(args)...); }

 private:
  // Left uninitialised when empty: no memset at each call site passing `{}`.
  alignas(kInlineCaptureAlign) mutable unsigned char storage_[kInlineCaptureSize];
  R (*call_)(void*, Args...) = nullptr;
};

}  // namespace sable::hci
