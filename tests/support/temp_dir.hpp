// Test support: a fresh directory under the system temp dir, removed with everything in it
// when the object goes out of scope. Names are unique per process, time and instance, so
// suites running in parallel never share one.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

namespace kubesim::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "kubesim-test") {
    static int counter = 0;
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(ticks) + "-" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory, or a path inside it.
  std::string str(const std::string& sub = "") const { return (path_ / sub).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace kubesim::testing
