#include "scenarios/autoscaling_spec.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {

AutoscalingSpec read_autoscaling_spec(FieldReader& r) {
  AutoscalingSpec s;
  if (auto m = r.map("metricsServer")) {
    if (auto d = m->duration("resolution", sim::kMillisecond)) s.metrics_server.resolution = *d;
    if (auto d = m->duration("delay", 0)) s.metrics_server.delay = *d;
    m->finish();
  }
  if (auto m = r.map("customMetrics")) {
    if (auto d = m->duration("interval", sim::kMillisecond)) s.custom_metrics.interval = *d;
    if (auto d = m->duration("window", sim::kMillisecond)) s.custom_metrics.window = *d;
    if (auto d = m->duration("delay", 0)) s.custom_metrics.delay = *d;
    if (s.custom_metrics.window < s.custom_metrics.interval) {
      m->error("window", "must be at least the scrape interval",
               "a rate needs two samples inside the window");
    }
    m->finish();
  }
  if (auto m = r.map("hpa")) {
    policies::HpaControllerOptions& o = s.hpa.options;
    if (auto d = m->duration("syncPeriod", sim::kMillisecond)) s.hpa.sync_period = *d;
    if (auto t = m->number("tolerance", 0, 1)) o.tolerance = *t;
    if (auto d = m->duration("cpuInitializationPeriod", 0)) o.cpu_initialization_period = *d;
    if (auto d = m->duration("initialReadinessDelay", 0)) o.initial_readiness_delay = *d;
    if (auto d = m->duration("downscaleStabilization", 0)) o.downscale_stabilization_window = *d;
    if (auto b = m->boolean("configurableTolerance")) o.configurable_tolerance = *b;
    m->finish();
  }
  r.finish();
  return s;
}

}  // namespace kubesim::scenarios
