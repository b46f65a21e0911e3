#pragma once
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace stagegate::cli {

// Reads a whole file, or standard input for "-". Throws std::runtime_error on failure.
inline std::string read_file(const std::string& path) {
  std::ostringstream content;
  if (path == "-") {
    content << std::cin.rdbuf();
    return content.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  content << in.rdbuf();
  return content.str();
}

}  // namespace stagegate::cli
