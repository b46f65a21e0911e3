#include "stagegate/routing/normalize.h"

namespace stagegate::routing {

// The national algorithm for ИИН/БИН: weights 1..11, and when the remainder is 10 a second
// pass with weights 3..11,1,2; a second 10 means no number may end this way.
bool valid_iin_bin(std::string_view digits) {
  if (digits.size() != 12) return false;
  for (const char c : digits)
    if (c < '0' || c > '9') return false;
  const auto weighted = [&](const int (&weights)[11]) {
    int sum = 0;
    for (int i = 0; i < 11; ++i) sum += (digits[static_cast<std::size_t>(i)] - '0') * weights[i];
    return sum % 11;
  };
  static constexpr int kFirst[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  static constexpr int kSecond[11] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};
  int check = weighted(kFirst);
  if (check == 10) check = weighted(kSecond);
  if (check == 10) return false;
  return digits[11] - '0' == check;
}

}  // namespace stagegate::routing
