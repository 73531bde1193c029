#include "scenarios/yaml_reader.hpp"

#include "models/resources.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace kubesim::scenarios {

std::pair<int, int> location_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {0, 0};
  return {mark.line + 1, mark.column + 1};
}

FieldReader::FieldReader(YAML::Node node, std::string path, std::string file,
                         Diagnostics* diagnostics)
    : node_(std::move(node)),
      path_(std::move(path)),
      file_(std::move(file)),
      diagnostics_(diagnostics) {}

std::string FieldReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Diagnostic FieldReader::at(const YAML::Node& n, std::string path, std::string message,
                           std::string hint) const {
  auto [line, column] = location_of(n);
  if (line == 0) std::tie(line, column) = location_of(node_);
  return Diagnostic{file_, line, column, std::move(path), std::move(message), std::move(hint)};
}

bool FieldReader::expect_map() {
  if (node_.IsMap()) return true;
  if (node_.IsNull()) {
    diagnostics_->add(at(node_, path_, "is empty; expected a mapping of fields", ""));
  } else {
    diagnostics_->add(at(node_, path_, "expected a mapping of fields", ""));
  }
  return false;
}

bool FieldReader::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined();
}

void FieldReader::error(std::string_view key, std::string message, std::string hint) {
  YAML::Node child = node_.IsMap() ? node_[std::string(key)] : YAML::Node();
  diagnostics_->add(at(child.IsDefined() ? child : node_, path_of(key), std::move(message),
                       std::move(hint)));
}

void FieldReader::error_here(std::string message, std::string hint) {
  diagnostics_->add(at(node_, path_, std::move(message), std::move(hint)));
}

std::optional<YAML::Node> FieldReader::get(std::string_view key, bool required,
                                           std::string_view expected) {
  known_.emplace_back(key);
  if (!node_.IsMap()) return std::nullopt;
  // Looked up through a const reference: yaml-cpp's non-const operator[] allocates a
  // placeholder node for every missing key, which costs more than the whole parse on large
  // manifests.
  const YAML::Node& map = node_;
  YAML::Node child = map[std::string(key)];
  if (!child.IsDefined() || child.IsNull()) {
    if (required) {
      diagnostics_->add(at(node_, path_of(key),
                           "required field is missing (expected " + std::string(expected) + ")",
                           ""));
    }
    return std::nullopt;
  }
  return child;
}

std::optional<std::string> FieldReader::scalar(std::string_view key, bool required,
                                               std::string_view expected) {
  auto child = get(key, required, expected);
  if (!child) return std::nullopt;
  if (!child->IsScalar()) {
    diagnostics_->add(at(*child, path_of(key), "expected " + std::string(expected) +
                                                    ", got a " +
                                                    (child->IsMap() ? "mapping" : "list"),
                         ""));
    return std::nullopt;
  }
  return child->Scalar();
}

std::optional<std::string> FieldReader::string(std::string_view key, bool required) {
  return scalar(key, required, "a string");
}

std::optional<std::int64_t> FieldReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max, bool required) {
  auto text = scalar(key, required, "an integer");
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) {
    error(key, "expected an integer, got \"" + *text + "\"");
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                   ", got " + std::to_string(value));
    return std::nullopt;
  }
  return value;
}

std::optional<double> FieldReader::number(std::string_view key, double min, double max,
                                          bool required) {
  auto text = scalar(key, required, "a number");
  if (!text) return std::nullopt;
  double value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    error(key, "expected a number, got \"" + *text + "\"");
    return std::nullopt;
  }
  if (value < min || value > max) {
    std::ostringstream msg;
    msg << "must be between " << min << " and " << max << ", got " << value;
    error(key, msg.str());
    return std::nullopt;
  }
  return value;
}

std::optional<bool> FieldReader::boolean(std::string_view key, bool required) {
  auto text = scalar(key, required, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  error(key, "expected true or false, got \"" + *text + "\"");
  return std::nullopt;
}

std::optional<sim::Duration> FieldReader::duration(std::string_view key, sim::Duration min,
                                                   bool required) {
  auto text = scalar(key, required, "a duration such as 30s, 5m or 1h30m");
  if (!text) return std::nullopt;
  auto parsed = sim::parse_duration(*text);
  if (!parsed) {
    std::string hint;
    if (!text->empty() && std::all_of(text->begin(), text->end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
      hint = "durations need a unit: write " + *text + "s for seconds";
    }
    error(key, parsed.error(), hint);
    return std::nullopt;
  }
  if (*parsed < min) {
    error(key, "must be at least " + sim::format_duration(min) + ", got " + *text);
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::int64_t> FieldReader::quantity(std::string_view key, std::string_view resource,
                                                  bool required) {
  auto text = string(key, required);
  if (!text) return std::nullopt;
  auto value = models::parse_resource_value(resource, *text);
  if (!value.ok()) {
    error(key, value.status().message(), "quantities look like 500m, 2, 1.5, 16Gi, 1e3");
    return std::nullopt;
  }
  return value.value();
}

std::optional<models::ResourceList> FieldReader::resource_list(std::string_view key) {
  auto node = raw(key);
  if (!node) return std::nullopt;
  if (!node->IsMap()) {
    error(key, "expected a mapping of resource names to quantities",
          "e.g. {cpu: 500m, memory: 1Gi}");
    return std::nullopt;
  }
  models::ResourceList out;
  for (const auto& entry : *node) {
    const std::string name = entry.first.Scalar();
    const std::string path = path_of(key) + "." + name;
    if (!entry.second.IsScalar()) {
      diagnostics_->add(at(entry.second, path, "expected a quantity such as 500m, 2 or 1Gi", ""));
      continue;
    }
    auto one = models::parse_resource_list({{name, entry.second.Scalar()}});
    if (!one) {
      diagnostics_->add(at(entry.second, path, one.error(), ""));
      continue;
    }
    out.set(name, one->get(name));
  }
  return out;
}

std::optional<std::string> FieldReader::one_of(std::string_view key,
                                               const std::vector<std::string>& allowed,
                                               bool required) {
  std::string expected = "one of ";
  for (std::size_t i = 0; i < allowed.size(); ++i) expected += (i ? ", " : "") + allowed[i];
  auto text = scalar(key, required, expected);
  if (!text) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) return text;
  const std::string guess = did_you_mean(*text, allowed);
  error(key, "\"" + *text + "\" is not " + expected,
        guess.empty() ? "" : "did you mean '" + guess + "'?");
  return std::nullopt;
}

std::optional<FieldReader> FieldReader::map(std::string_view key, bool required) {
  auto child = get(key, required, "a mapping");
  if (!child) return std::nullopt;
  FieldReader reader(*child, path_of(key), file_, diagnostics_);
  if (!reader.expect_map()) return std::nullopt;
  return reader;
}

std::optional<std::vector<FieldReader>> FieldReader::list_of_maps(std::string_view key,
                                                                  bool required) {
  auto child = get(key, required, "a list");
  if (!child) return std::nullopt;
  if (!child->IsSequence()) {
    diagnostics_->add(at(*child, path_of(key), "expected a list (items start with '- ')", ""));
    return std::nullopt;
  }
  std::vector<FieldReader> items;
  for (std::size_t i = 0; i < child->size(); ++i) {
    FieldReader item((*child)[i], path_of(key) + "[" + std::to_string(i) + "]", file_,
                     diagnostics_);
    if (item.expect_map()) items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> FieldReader::string_list(std::string_view key) {
  std::vector<std::string> out;
  auto node = raw(key);
  if (!node) return out;
  if (!node->IsSequence()) {
    error(key, "expected a list of strings");
    return out;
  }
  for (std::size_t i = 0; i < node->size(); ++i) {
    const YAML::Node item = (*node)[i];
    if (!item.IsScalar()) {
      if (diagnostics_ != nullptr) {
        diagnostics_->add(at(item, path_of(key) + "[" + std::to_string(i) + "]",
                             "expected a string", ""));
      }
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::optional<YAML::Node> FieldReader::raw(std::string_view key, bool required) {
  return get(key, required, "a value");
}

void FieldReader::finish() {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const std::string guess = did_you_mean(key, known_);
    std::string hint = guess.empty() ? "" : "did you mean '" + guess + "'?";
    if (hint.empty() && !known_.empty()) {
      std::vector<std::string> sorted = known_;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      hint = "known fields here:";
      for (const auto& k : sorted) hint += " " + k;
    }
    diagnostics_->add(at(entry.first, path_of(key), "unknown field", hint));
  }
}

namespace {

// The first content token of each document: yaml-cpp 0.7's parser loops allocating when it
// is ',' (e.g. ",a: 1" or "--- ,"), so those are found here first. Returns (line, column),
// 1-based, of such a comma, or nothing.
std::optional<std::pair<int, int>> leading_comma(const std::string& text) {
  bool at_start = true;  // no content yet in the current document
  int line = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view l(text.data() + pos, end - pos);
    ++line;
    std::size_t i = l.find_first_not_of(" \t\r");
    if (l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r')) {
      at_start = true;
      i = l.find_first_not_of(" \t\r", 3);
    } else if (l.substr(0, 3) == "...") {
      at_start = true;
      i = std::string_view::npos;
    } else if (at_start && !l.empty() && l[0] == '%') {
      i = std::string_view::npos;  // a directive
    }
    if (at_start && i != std::string_view::npos && l[i] != '#') {
      if (l[i] == ',') return std::pair(line, static_cast<int>(i) + 1);
      at_start = false;
    }
    if (end == text.size()) break;
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<YAML::Node>> load_yaml_documents(const std::string& text,
                                                           const std::string& file,
                                                           Diagnostics& diagnostics) {
  if (auto comma = leading_comma(text)) {
    diagnostics.add(Diagnostic{file, comma->first, comma->second, "",
                               "YAML syntax error: a document cannot start with ','",
                               "quote the value if the comma is meant to be text"});
    return std::nullopt;
  }
  try {
    return YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    diagnostics.add(Diagnostic{file, e.mark.line + 1, e.mark.column + 1, "",
                               "YAML syntax error: " + e.msg, ""});
  } catch (const YAML::Exception& e) {
    diagnostics.add(Diagnostic{file, 0, 0, "", "YAML error: " + e.msg, ""});
  }
  return std::nullopt;
}

}  // namespace kubesim::scenarios
