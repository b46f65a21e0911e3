#pragma once
#include <filesystem>
#include <random>
#include <string>

namespace stagegate::test {

// A fresh directory under the system temp dir, removed with its content on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "stagegate-test") {
    std::random_device entropy;
    path_ = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(entropy()) + std::to_string(entropy()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace stagegate::test
