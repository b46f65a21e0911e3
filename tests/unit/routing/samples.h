#pragma once
// The sample documents of ops/samples, as the routing tests start from them.
#include <fstream>
#include <sstream>
#include <string>

namespace stagegate::test {

inline std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(STAGEGATE_SAMPLES) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace stagegate::test
