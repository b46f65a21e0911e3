#pragma once
// tests/data/attacks/MANIFEST.tsv: each stored attack file and the verifier's expected result.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace stagegate::test {

inline std::filesystem::path attacks_dir() { return std::filesystem::path(STAGEGATE_TEST_DATA) / "attacks"; }

// file name -> expected code ("OK" when it verifies); generated attacks are not listed.
inline std::map<std::string, std::string> attack_manifest() {
  std::map<std::string, std::string> expected;
  std::ifstream in(attacks_dir() / "MANIFEST.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() == '#' || line.front() == '(') continue;
    std::istringstream fields(line);
    std::string file, code;
    std::getline(fields, file, '\t');
    std::getline(fields, code, '\t');
    expected[file] = code;
  }
  return expected;
}

}  // namespace stagegate::test
