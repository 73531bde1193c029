#include "experiments/knative_sks.hpp"

#include "experiments/service_traffic.hpp"

namespace kubesim::experiments {

scenarios::ActivatorSpec knative_activator_spec(const models::PodAutoscaler& pa) {
  scenarios::ActivatorSpec spec;
  spec.queue_depth = 10000;           // throttler.go breakerQueueDepth
  spec.timeout = 300 * sim::kSecond;  // config-defaults revision-timeout-seconds
  spec.container_concurrency = pa.spec.container_concurrency;  // 0: infinite breaker
  return spec;
}

KnativeSks::KnativeSks(ServiceTraffic& traffic, sim::MetricRegistry& metrics,
                       const models::PodAutoscaler& pa, SksMode initial, sim::Time now)
    : traffic_(traffic), mode_(initial), since_(now) {
  explicit_ = traffic.spec().activator.has_value();
  if (!traffic.spec().fluid) {
    traffic.enable_activator(metrics, knative_activator_spec(pa));  // no-op when explicit
    modelled_ = true;
  }
  traffic_.set_activator_in_path(mode_ == SksMode::kProxy);
}

void KnativeSks::set_mode(SksMode mode, sim::Time now) {
  if (mode == mode_) return;
  mode_ = mode;
  since_ = now;
  ++changes_;
  // serverlessservice.go: the public endpoints become the activator's (Proxy) or the pods'
  // (Serve; ServiceTraffic keeps the activator while there is no ready endpoint).
  traffic_.set_activator_in_path(mode_ == SksMode::kProxy);
}

}  // namespace kubesim::experiments
