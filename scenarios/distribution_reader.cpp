#include "scenarios/distribution_reader.hpp"

namespace kubesim::scenarios {
namespace {

std::optional<double> seconds_of(FieldReader& r, std::string_view key, bool required) {
  auto d = r.duration(key, 0, required);
  if (!d) return std::nullopt;
  return sim::to_seconds(*d);
}

std::optional<std::vector<double>> duration_list(FieldReader& r, std::string_view key,
                                                 bool required) {
  auto node = r.raw(key, required);
  if (!node) return std::nullopt;
  if (!node->IsSequence() || node->size() == 0) {
    r.error(key, "expected a non-empty list of durations");
    return std::nullopt;
  }
  std::vector<double> out;
  for (std::size_t i = 0; i < node->size(); ++i) {
    const YAML::Node item = (*node)[i];
    auto parsed = item.IsScalar() ? sim::parse_duration(item.Scalar())
                                  : sim::Result<sim::Duration>(sim::Status::invalid_argument(
                                        "expected a duration"));
    if (!parsed) {
      auto [line, column] = location_of(item);
      r.diagnostics()->add(Diagnostic{r.file(), line, column,
                                      r.path_of(key) + "[" + std::to_string(i) + "]",
                                      parsed.error(), ""});
      return std::nullopt;
    }
    out.push_back(sim::to_seconds(*parsed));
  }
  return out;
}

std::optional<std::vector<double>> number_list(FieldReader& r, std::string_view key) {
  auto node = r.raw(key, false);
  if (!node) return std::vector<double>{};
  if (!node->IsSequence()) {
    r.error(key, "expected a list of numbers");
    return std::nullopt;
  }
  std::vector<double> out;
  for (std::size_t i = 0; i < node->size(); ++i) {
    try {
      out.push_back((*node)[i].as<double>());
    } catch (const YAML::Exception&) {
      r.error(key, "item " + std::to_string(i) + " is not a number");
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

namespace {

// The shared reader: `value(reader, key, required)` reads one parameter and `list(reader,
// key, required)` a list of them, in the distribution's unit (seconds, or plain numbers).
template <typename ValueFn, typename ListFn>
std::optional<sim::Distribution> read_distribution(FieldReader& parent, std::string_view key,
                                                   bool required, ValueFn value, ListFn list) {
  if (!parent.has(key)) {
    parent.raw(key, required);  // marks known; reports if required
    return std::nullopt;
  }
  const YAML::Node node = parent.node()[std::string(key)];
  if (node.IsScalar()) {
    auto s = value(parent, key, required);
    if (!s) return std::nullopt;
    return sim::Distribution::constant(*s);
  }
  auto r = parent.map(key, required);
  if (!r) return std::nullopt;
  static const std::vector<std::string> kKinds = {"constant", "exponential", "lognormal",
                                                  "normal",   "uniform",     "empirical"};
  auto kind = r->one_of("distribution", kKinds, true);
  std::optional<sim::Distribution> result;
  auto take = [&](sim::Result<sim::Distribution> d) {
    if (d) {
      result = *d;
    } else {
      r->error_here(d.error());
    }
  };
  if (kind == "constant") {
    if (auto v = value(*r, "value", true)) result = sim::Distribution::constant(*v);
  } else if (kind == "exponential") {
    if (auto m = value(*r, "mean", true)) take(sim::Distribution::exponential(*m));
  } else if (kind == "lognormal") {
    auto p50 = value(*r, "p50", true);
    auto p99 = value(*r, "p99", true);
    if (p50 && p99) take(sim::Distribution::lognormal_from_p50_p99(*p50, *p99));
  } else if (kind == "normal") {
    auto mean = value(*r, "mean", true);
    auto sd = value(*r, "stddev", true);
    if (mean && sd) take(sim::Distribution::normal(*mean, *sd));
  } else if (kind == "uniform") {
    auto lo = value(*r, "min", true);
    auto hi = value(*r, "max", true);
    if (lo && hi) take(sim::Distribution::uniform(*lo, *hi));
  } else if (kind == "empirical") {
    if (r->has("samples")) {
      if (r->has("values")) {
        r->raw("values");  // known, so that it is not also reported as an unknown field
        r->error("values", "give either samples or values, not both");
      }
      if (auto samples = list(*r, "samples", true)) {
        take(sim::Distribution::empirical_continuous(*samples));
      }
    } else {
      auto values = list(*r, "values", true);
      auto weights = number_list(*r, "weights");
      if (values && weights) take(sim::Distribution::empirical(*values, *weights));
    }
  } else {
    // The kind is missing or unknown (already reported): accept every parameter name, so
    // that the parameters are not each reported as unknown fields as well.
    for (const char* param :
         {"value", "mean", "p50", "p99", "stddev", "min", "max", "values", "weights", "samples"}) {
      r->raw(param);
    }
  }
  r->finish();
  return result;
}

}  // namespace

std::optional<sim::Distribution> read_duration_distribution(FieldReader& parent,
                                                            std::string_view key,
                                                            bool required) {
  return read_distribution(parent, key, required, seconds_of, duration_list);
}

std::optional<sim::Distribution> read_number_distribution(FieldReader& parent,
                                                          std::string_view key, double min,
                                                          double max, bool required) {
  auto value = [min, max](FieldReader& r, std::string_view k, bool req) {
    return r.number(k, min, max, req);
  };
  auto list = [](FieldReader& r, std::string_view k, bool req) -> std::optional<std::vector<double>> {
    if (!r.has(k)) {
      r.raw(k, req);
      return std::nullopt;
    }
    auto values = number_list(r, k);
    if (values && values->empty()) {
      r.error(k, "expected a non-empty list of numbers");
      return std::nullopt;
    }
    return values;
  };
  return read_distribution(parent, key, required, value, list);
}

}  // namespace kubesim::scenarios
