#pragma once
// Result<T>: a value or a Refusal. Expected failures travel as values, not exceptions.
#include <cassert>
#include <utility>
#include <variant>

#include "stagegate/core/refusal.h"

namespace stagegate {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}              // NOLINT(implicit)
  Result(Refusal refusal) : state_(std::move(refusal)) {}    // NOLINT(implicit)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Refusal& refusal() const { assert(!ok()); return std::get<Refusal>(state_); }

 private:
  std::variant<T, Refusal> state_;
};

// For steps that produce nothing but may refuse.
struct Done {};
using Status = Result<Done>;
inline Status proceed() { return Done{}; }

inline Refusal refuse(Code code, std::string reason) { return Refusal{code, std::move(reason)}; }

}  // namespace stagegate
