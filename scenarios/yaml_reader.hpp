// FieldReader: typed, located access to one YAML mapping, for every loader in kubesim.
//
// A loader asks for the fields it understands (string, integer, number, duration, child
// mapping or list). Each request marks the key as known; finish() then reports every key
// the loader never asked for as "unknown field", with a "did you mean" drawn from the known
// keys. So no field is ever silently ignored, and a typo points at its own line.
//
// Getters return std::nullopt both when a field is absent and when it is invalid; in the
// second case a Diagnostic with file:line:column has been added, so callers just skip it.
// Required fields that are absent are reported against the mapping's own location.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/diagnostics.hpp"
#include "sim/time.hpp"

namespace kubesim::models {
class ResourceList;  // models/resources.hpp
}

namespace kubesim::scenarios {

class FieldReader {
 public:
  // `node` must outlive the reader; `file` names the source in diagnostics.
  FieldReader(YAML::Node node, std::string path, std::string file, Diagnostics* diagnostics);

  // False (and a diagnostic) when the node is not a mapping.
  bool expect_map();

  bool has(std::string_view key) const;
  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                      bool required = false);
  std::optional<double> number(std::string_view key, double min, double max,
                               bool required = false);
  std::optional<bool> boolean(std::string_view key, bool required = false);
  // A Go/Kubernetes duration string ("30s", "1h30m"). REQUIRES min >= 0 for non-negative.
  std::optional<sim::Duration> duration(std::string_view key, sim::Duration min,
                                        bool required = false);
  // A Kubernetes quantity ("500m", "2", "16Gi", "1e3") in `resource`'s unit: milli-CPU for
  // cpu, bytes for memory and storage, whole units otherwise (models::parse_resource_value).
  std::optional<std::int64_t> quantity(std::string_view key, std::string_view resource,
                                       bool required = false);
  // A mapping of resource names to quantities ({cpu: 500m, memory: 1Gi}), each entry
  // checked where it stands (models::parse_resource_list). nullopt when absent; not a
  // mapping: reported, nullopt.
  std::optional<models::ResourceList> resource_list(std::string_view key);
  // One of `allowed`, with a did-you-mean for near misses.
  std::optional<std::string> one_of(std::string_view key, const std::vector<std::string>& allowed,
                                    bool required = false);
  // A child mapping, or nullopt (with a diagnostic if present but not a mapping).
  std::optional<FieldReader> map(std::string_view key, bool required = false);
  // A child sequence: one reader per element (elements must be mappings).
  std::optional<std::vector<FieldReader>> list_of_maps(std::string_view key,
                                                       bool required = false);
  // A list of strings (empty when absent). A non-list, or an item that is not a scalar, is
  // reported ("expected a list of strings" / "expected a string" at the item) and skipped.
  std::vector<std::string> string_list(std::string_view key);
  // The raw child node, marked known (for fields parsed elsewhere).
  std::optional<YAML::Node> raw(std::string_view key, bool required = false);

  // Reports the keys nobody asked for. Call once, after all getters.
  void finish();

  // Adds a diagnostic at `key` (or at the mapping itself if the key is absent).
  void error(std::string_view key, std::string message, std::string hint = {});
  void error_here(std::string message, std::string hint = {});

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  std::string path_of(std::string_view key) const;
  const YAML::Node& node() const { return node_; }
  Diagnostics* diagnostics() const { return diagnostics_; }

 private:
  std::optional<YAML::Node> get(std::string_view key, bool required, std::string_view expected);
  std::optional<std::string> scalar(std::string_view key, bool required, std::string_view expected);
  Diagnostic at(const YAML::Node& n, std::string path, std::string message,
                std::string hint) const;

  YAML::Node node_;
  std::string path_;
  std::string file_;
  Diagnostics* diagnostics_;
  std::vector<std::string> known_;
};

// Parses every document of `text`, as YAML::LoadAll does, but never throws and never hangs:
// a syntax error becomes a diagnostic at its line and column. Inputs that send yaml-cpp 0.7
// into unbounded allocation (a document whose first token is ',') are rejected before
// parsing. nullopt after a diagnostic.
std::optional<std::vector<YAML::Node>> load_yaml_documents(const std::string& text,
                                                           const std::string& file,
                                                           Diagnostics& diagnostics);

// Location of a node as 1-based (line, column); (0, 0) when yaml-cpp has none.
std::pair<int, int> location_of(const YAML::Node& node);

}  // namespace kubesim::scenarios
