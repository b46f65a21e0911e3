#pragma once
// What GET /health reports: healthy, or the problems an operator must see (one per line).
#include <string>
#include <vector>

namespace stagegate {

struct HealthReport {
  bool healthy = true;
  std::vector<std::string> problems;
};

}  // namespace stagegate
