#pragma once
// A whole file as bytes, for tests and benchmarks (empty when it cannot be read).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace stagegate::test {

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace stagegate::test
