// Internal to kubesim explain for autoscalers: the pieces explain_autoscalers.cpp (HPAs)
// shares with explain_serverless.cpp (KEDA, KPA, predictive). Not a public API; include it
// from those two files only (it pulls in nlohmann/json).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/explain_autoscalers.hpp"

namespace kubesim::experiments::detail {

using json = nlohmann::ordered_json;

// The object whose annotations are read, for error messages ("ScaledObject shop/web").
struct AnnotationSubject {
  std::string who;
  const models::Labels* annotations = nullptr;
};

sim::Status bad_annotation(const AnnotationSubject& subject, std::string_view key,
                           const std::string& what);
// An annotation holding a JSON list; nullopt when absent.
sim::Result<std::optional<json>> annotation_list(const AnnotationSubject& subject,
                                                 std::string_view key);
// A history entry's "time" (RFC 3339) as simulation time.
sim::Result<sim::Time> entry_time(const AnnotationSubject& subject, std::string_view key,
                                  const json& entry, std::int64_t origin);
// A quantity (string or number) in milli-units.
sim::Result<std::int64_t> quantity_milli(const AnnotationSubject& subject, std::string_view key,
                                         const json& v);
// The HPA controller's memory from kubesim.io/recommendations and kubesim.io/scale-events.
sim::Result<policies::HpaState> history(const AnnotationSubject& subject, std::int64_t origin);

std::optional<ScaleTarget> builtin_target(const scenarios::Manifests& state, const std::string& ns,
                                          const std::string& kind, const std::string& name);

struct HpaReconcileExtras {
  // Replaces kubesim.io/metric-values: the External metrics (KEDA's adapter).
  std::optional<std::vector<policies::HpaExternalMetric>> external_metrics;
  // Replaces the target's spec.replicas (KEDA: after the operator's write).
  std::optional<std::int32_t> current_replicas;
};

// One HPA reconcile of `hpa` in `state` (the body of explain_autoscalers for one HPA).
sim::Result<ExplainAutoscaler> reconcile_hpa(const scenarios::Manifests& state,
                                             const models::HorizontalPodAutoscaler& hpa,
                                             const AnnotationSubject& subject, sim::Time now,
                                             std::int64_t origin,
                                             const AutoscalerExplainOptions& options,
                                             const HpaReconcileExtras& extras);

// Append one ExplainAutoscaler per object of that kind to `out` (explain_serverless.cpp).
sim::Status explain_keda(const scenarios::Manifests& state, AutoscalerExplanation& out,
                         std::int64_t origin, const AutoscalerExplainOptions& options);
sim::Status explain_kpa(const scenarios::Manifests& state, AutoscalerExplanation& out,
                        std::int64_t origin, const AutoscalerExplainOptions& options);
sim::Status explain_predictive(const scenarios::Manifests& state, AutoscalerExplanation& out,
                               std::int64_t origin, const AutoscalerExplainOptions& options);

// JSON members and table lines of the kinds above (empty for an HPA).
void add_serverless_json(const ExplainAutoscaler& a, json& out);
std::string serverless_table_lines(const ExplainAutoscaler& a);

std::string fmt_number(double v);

}  // namespace kubesim::experiments::detail
