// Reading probability distributions of durations (and plain numbers) from scenario YAML.
//
// A duration-valued field such as serviceTime accepts either a plain duration ("20ms",
// meaning always 20 ms) or a mapping naming a distribution, with parameters as durations:
//   {distribution: constant,    value: 20ms}
//   {distribution: exponential, mean: 20ms}
//   {distribution: lognormal,   p50: 20ms, p99: 200ms}
//   {distribution: normal,      mean: 20ms, stddev: 5ms}      (negative samples clamp to 0)
//   {distribution: uniform,     min: 10ms, max: 30ms}
//   {distribution: empirical,   values: [10ms, 20ms, 80ms], weights: [5, 4, 1]}
//   {distribution: empirical,   samples: [12ms, 15ms, 31ms]}    (interpolated between samples)
// The resulting Distribution samples seconds (doubles).
#pragma once

#include <optional>

#include "scenarios/yaml_reader.hpp"
#include "sim/random.hpp"

namespace kubesim::scenarios {

std::optional<sim::Distribution> read_duration_distribution(FieldReader& parent,
                                                            std::string_view key,
                                                            bool required = false);

// The same shapes for a plain number (token counts...): a scalar in [min, max] is a
// constant; the parameters of a distribution mapping are numbers in [min, max].
std::optional<sim::Distribution> read_number_distribution(FieldReader& parent,
                                                          std::string_view key, double min,
                                                          double max, bool required = false);

}  // namespace kubesim::scenarios
