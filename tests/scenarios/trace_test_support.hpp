// Helpers shared by the trace importer tests (tests/scenarios/trace_*_test.cpp).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "scenarios/traces.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::scenarios::traces::testing {

// Load-time limits are checked only in optimised builds without sanitizers (make asan runs
// the same tests about 20 times slower).
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
inline constexpr bool kTimingChecks = true;
#else
inline constexpr bool kTimingChecks = false;
#endif

// A file of the shipped traces: ../shared/traces/<rel>.
inline std::string shipped(const std::string& rel) {
  return std::string(KUBESIM_SHARED_DIR) + "/traces/" + rel;
}

inline std::string write_file(const kubesim::testing::TempDir& dir, const std::string& name,
                              const std::string& text) {
  const std::string path = dir.str(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

struct ClusterLoad {
  std::optional<ClusterTrace> trace;
  Diagnostics diagnostics;
};
struct RequestLoad {
  std::optional<RequestTrace> trace;
  Diagnostics diagnostics;
};

inline ClusterLoad load_cluster(const std::string& format, const std::vector<std::string>& paths,
                                const TraceOptions& options = {}) {
  ClusterLoad r;
  r.trace = load_cluster_trace(format, paths, options, r.diagnostics);
  return r;
}

inline RequestLoad load_requests(const std::string& format, const std::vector<std::string>& paths,
                                 const TraceOptions& options = {}) {
  RequestLoad r;
  r.trace = load_request_trace(format, paths, options, r.diagnostics);
  return r;
}

inline TraceOptions skipping() {
  TraceOptions o;
  o.skip_bad_rows = true;
  return o;
}

}  // namespace kubesim::scenarios::traces::testing
