// Test support: load a scenario from YAML text, requiring success (with the diagnostics in
// the failure message) or requiring failure (returning the diagnostics to match against).
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "scenarios/manifests.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::testing {

inline scenarios::Scenario load_scenario_ok(const std::string& text) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_text(text, "inline.yaml", {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  return *s;
}

inline std::string load_scenario_error(const std::string& text) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_text(text, "inline.yaml", {}, diagnostics);
  CHECK_FALSE(s.has_value());
  return diagnostics.format();
}

// Kubernetes objects read from YAML text as `file`, whether or not reading succeeded (for
// bad-input tests, which look at the diagnostics).
struct ManifestsRead {
  bool ok = false;
  scenarios::Manifests m;
  scenarios::Diagnostics diagnostics;
};
inline ManifestsRead read_manifests(const std::string& yaml, const std::string& file) {
  ManifestsRead r;
  r.ok = scenarios::read_manifests_text(yaml, file, r.m, r.diagnostics);
  return r;
}

// Kubernetes objects from YAML text (a `kubectl get -o yaml` state), requiring success.
inline scenarios::Manifests read_manifests_ok(const std::string& text) {
  scenarios::Manifests manifests;
  scenarios::Diagnostics diagnostics;
  const bool ok = scenarios::read_manifests_text(text, "state.yaml", manifests, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(ok);
  return manifests;
}

}  // namespace kubesim::testing
