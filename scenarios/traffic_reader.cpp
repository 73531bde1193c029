#include "scenarios/traffic_reader.hpp"

#include <algorithm>
#include <limits>

#include "scenarios/distribution_reader.hpp"
#include "scenarios/manifests.hpp"
#include "scenarios/trace_workload.hpp"
#include "scenarios/traces.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {
namespace {

constexpr double kMaxRate = 1e9;
constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

// The `traffic:` mapping → TrafficSpec. Kind names are camelCase spellings of
// models::traffic_kind_name.
// traffic.from: a request trace file replayed as records (traceRequests) or as a rate
// series (traceRates: one named series, or the sum of all of them).
bool read_traffic_trace(FieldReader& t, const std::string& kind, const std::string& base_dir,
                        models::TrafficSpec& s, std::vector<std::string>& paths) {
  auto from = t.map("from");
  if (!from) return true;
  if (kind != "traceRequests" && kind != "traceRates") {
    t.error("from", "a trace file feeds kind traceRequests or traceRates",
            "set kind: traceRequests (request records) or traceRates (a rate series)");
    from->finish();
    return false;
  }
  auto series_name = from->string("series");
  auto src = read_trace_source(*from, base_dir, true);
  from->finish();
  if (!src) return false;
  auto trace = traces::load_request_trace(src->format, src->paths, src->options, *t.diagnostics());
  if (!trace) return false;
  paths = src->paths;
  if (kind == "traceRequests") {
    if (trace->requests.empty()) {
      t.error("from", "the " + src->format + " trace has no request records",
              "a per-interval trace (rates) is replayed with kind: traceRates");
      return false;
    }
    if (!s.records.empty()) {
      t.error("records", "give records or from, not both");
      return false;
    }
    for (const auto& r : trace->requests) {
      models::Request q;
      q.at = r.at;
      q.input_tokens =
          static_cast<std::int32_t>(std::min<std::int64_t>(r.input_tokens, 1'000'000'000));
      q.output_tokens =
          static_cast<std::int32_t>(std::min<std::int64_t>(r.output_tokens, 1'000'000'000));
      s.records.push_back(q);
    }
    std::stable_sort(
        s.records.begin(), s.records.end(),
        [](const models::Request& a, const models::Request& b) { return a.at < b.at; });
    return true;
  }
  if (trace->series.empty()) {
    t.error("from", "the " + src->format + " trace has no rate series",
            "request records are replayed with kind: traceRequests");
    return false;
  }
  if (!s.per_second.empty()) {
    t.error("perSecond", "give perSecond or from, not both");
    return false;
  }
  // The chosen series, or the sum of every series on a common grid.
  std::vector<const traces::RateSeries*> chosen;
  for (const auto& r : trace->series) {
    if (!series_name || r.name == *series_name) chosen.push_back(&r);
  }
  if (chosen.empty()) {
    std::string names;
    for (const auto& r : trace->series) names += (names.empty() ? "" : ", ") + r.name;
    t.error("from", "no series \"" + *series_name + "\" in the trace",
            "series: " + names.substr(0, 300));
    return false;
  }
  const sim::Duration step = chosen.front()->step;
  sim::Time start = chosen.front()->start;
  sim::Time end = start;
  for (const auto* r : chosen) {
    if (r->step != step) {
      t.error("from", "the trace's series have different steps; pick one with series: NAME");
      return false;
    }
    start = std::min(start, r->start);
    end = std::max(end, r->start + step * static_cast<sim::Duration>(r->per_second.size()));
  }
  s.rate_step = step;
  s.per_second.assign(static_cast<std::size_t>((end - start) / step), 0.0);
  for (const auto* r : chosen) {
    const auto first = static_cast<std::size_t>((r->start - start) / step);
    for (std::size_t i = 0; i < r->per_second.size(); ++i)
      s.per_second[first + i] += r->per_second[i];
  }
  return true;
}

std::optional<models::TrafficSpec> read_traffic_spec(FieldReader& t, const std::string& name,
                                                     const std::string& base_dir,
                                                     std::vector<std::string>& trace_paths) {
  models::TrafficSpec s;
  s.name = name;
  bool ok = true;
  const std::size_t errors_before = t.diagnostics()->size();
  static const std::vector<std::string> kKinds = {
      "constant", "poisson", "diurnal", "onOff", "steps", "spikes", "traceRequests", "traceRates"};
  const auto kind = t.one_of("kind", kKinds, true);
  if (!kind) ok = false;
  static const models::TrafficKind kKindValues[] = {
      models::TrafficKind::kConstant,      models::TrafficKind::kPoisson,
      models::TrafficKind::kDiurnal,       models::TrafficKind::kOnOff,
      models::TrafficKind::kSteps,         models::TrafficKind::kSpikes,
      models::TrafficKind::kTraceRequests, models::TrafficKind::kTraceRates};
  for (std::size_t i = 0; kind && i < kKinds.size(); ++i) {
    if (*kind == kKinds[i]) s.kind = kKindValues[i];
  }
  const bool needs_rate = kind && (*kind == "constant" || *kind == "poisson" || *kind == "spikes");
  if (auto v = t.duration("start", 0)) s.start = *v;
  if (auto v = t.duration("end", 0)) s.end = *v;
  if (auto v = t.number("rate", 0, kMaxRate, needs_rate))
    s.rate = *v;
  else if (needs_rate)
    ok = false;
  if (auto v = t.duration("period", 1)) s.period = *v;
  const bool diurnal = kind && *kind == "diurnal";
  if (auto v = t.number("peak", 0, kMaxRate, diurnal))
    s.peak = *v;
  else if (diurnal)
    ok = false;
  if (auto v = t.number("trough", 0, kMaxRate)) s.trough = *v;
  if (auto v = t.duration("phase", 0)) s.phase = *v;
  if (auto v = t.number("noise", 0, 10)) s.noise = *v;
  if (auto v = t.duration("noiseInterval", 1)) s.noise_interval = *v;
  const bool on_off = kind && *kind == "onOff";
  if (auto v = t.number("onRate", 0, kMaxRate, on_off))
    s.on_rate = *v;
  else if (on_off)
    ok = false;
  if (auto v = t.number("offRate", 0, kMaxRate)) s.off_rate = *v;
  if (auto v = t.duration("onDuration", 1)) s.on_duration = *v;
  if (auto v = t.duration("offDuration", 1)) s.off_duration = *v;
  if (auto steps = t.list_of_maps("steps", kind && *kind == "steps")) {
    for (auto& st : *steps) {
      auto at = st.duration("at", 0, true);
      auto rate = st.number("rate", 0, kMaxRate, true);
      if (at && rate)
        s.steps.push_back({*at, *rate});
      else
        ok = false;
      st.finish();
    }
  }
  if (auto spikes = t.list_of_maps("spikes")) {
    for (auto& sp : *spikes) {
      auto at = sp.duration("at", 0, true);
      auto magnitude = sp.number("magnitude", 0, kMaxRate, true);
      auto duration = sp.duration("duration", 1, true);
      if (at && magnitude && duration)
        s.spikes.push_back({*at, *magnitude, *duration});
      else
        ok = false;
      sp.finish();
    }
  }
  if (auto v = t.boolean("deterministic")) s.deterministic = *v;
  const bool from_file = t.has("from");
  if (auto records = t.list_of_maps("records", kind && *kind == "traceRequests" && !from_file)) {
    for (auto& rec : *records) {
      models::Request r;
      if (auto at = rec.duration("at", 0, true))
        r.at = *at;
      else
        ok = false;
      r.input_tokens =
          static_cast<std::int32_t>(rec.integer("inputTokens", 0, 1'000'000'000).value_or(0));
      r.output_tokens =
          static_cast<std::int32_t>(rec.integer("outputTokens", 0, 1'000'000'000).value_or(0));
      s.records.push_back(r);
      rec.finish();
    }
  }
  if (auto v = t.duration("rateStep", 1)) s.rate_step = *v;
  if (auto node = t.raw("perSecond", kind && *kind == "traceRates" && !from_file)) {
    if (!node->IsSequence()) {
      t.error("perSecond", "expected a list of rates (requests/s)");
      ok = false;
    } else {
      for (std::size_t i = 0; i < node->size(); ++i) {
        try {
          const double v = (*node)[i].as<double>();
          if (!(v >= 0)) throw YAML::Exception(YAML::Mark(), "negative");
          s.per_second.push_back(v);
        } catch (const YAML::Exception&) {
          t.error("perSecond", "item " + std::to_string(i) + " is not a rate >= 0");
          ok = false;
        }
      }
    }
  }
  if (kind && !read_traffic_trace(t, *kind, base_dir, s, trace_paths)) ok = false;
  if (auto v = t.number("timeScale", 1e-9, 1e9)) s.time_scale = *v;
  if (auto v = t.duration("offset", 0)) s.offset = *v;
  if (auto v = t.boolean("loop")) s.loop = *v;
  if (auto v = t.duration("duration", 0)) s.duration = *v;
  if (auto d = read_number_distribution(t, "inputTokens", 0, 1e9)) s.input_tokens = *d;
  if (auto d = read_number_distribution(t, "outputTokens", 0, 1e9)) s.output_tokens = *d;
  t.finish();
  // A field was invalid (already reported): validate() would only repeat it.
  if (!ok || t.diagnostics()->size() != errors_before) return std::nullopt;
  if (const sim::Status st = models::validate(s); !st.ok()) {
    t.error_here("invalid traffic: " + st.message());
    return std::nullopt;
  }
  return s;
}

std::optional<models::InferenceServerConfig> read_server(FieldReader& r, const std::string& name) {
  models::InferenceServerConfig c;
  c.name = name;
  bool ok = true;
  if (auto m = r.one_of("model", {"llm", "cpu"})) {
    c.model = *m == "cpu" ? models::ServiceModel::kCpu : models::ServiceModel::kLlm;
  }
  if (auto g = r.string("gpu")) {
    auto profile = models::gpu_profile(*g);
    if (profile) {
      c.gpu = *profile;
    } else {
      r.error("gpu", profile.error(), "built-in profiles: H100, A100, L4, T4");
      ok = false;
    }
  }
  if (auto v = r.integer("concurrency", 1, 1'000'000)) c.concurrency = static_cast<int>(*v);
  if (auto v = r.integer("queueLimit", -1, kMaxInt)) c.queue_limit = *v;
  if (auto v = r.duration("queueTimeout", 0)) c.queue_timeout = *v;
  if (auto v = r.duration("requestTimeout", 0)) c.request_timeout = *v;
  if (auto v = r.number("modelSizeGB", 0, 1e6)) c.model_size_gb = *v;
  if (auto v = r.number("loadGBps", 0, 1e6)) c.load_gb_per_s = *v;
  if (auto v = r.duration("startupDelay", 0)) c.startup_delay = *v;
  if (auto d = read_duration_distribution(r, "serviceTime")) c.service_time = *d;
  r.finish();
  if (!ok) return std::nullopt;
  if (const sim::Status st = models::validate(c); !st.ok()) {
    r.error_here("invalid server: " + st.message());
    return std::nullopt;
  }
  return c;
}

// The ingress fields of a traffic workload: the request mix (host and path, or routes) and
// the ingress controller. They are errors without ingress.
void read_ingress_fields(FieldReader& w, const std::string& name, TrafficWorkloadSpec& s) {
  const bool ingress = w.has("ingress");
  for (const char* key : {"host", "path", "routes", "ingressController"}) {
    if (!ingress && w.has(key)) {
      w.error(key, std::string(key) + " applies to traffic through an Ingress",
              "set ingress: NS/NAME (and not service) to route requests by host and path");
      w.raw(key);
    }
  }
  if (!ingress) return;
  auto check_path = [](FieldReader& r, const std::string& path) {
    if (!path.starts_with("/")) r.error("path", "a request path begins with '/'", "e.g. /api/v1");
  };
  const bool single = w.has("host") || w.has("path");
  if (single && w.has("routes")) {
    w.error("routes", "give host/path or routes, not both",
            "routes: [{host, path, weight}] is a weighted mix of requests");
    w.raw("routes");
  } else if (auto routes = w.list_of_maps("routes")) {
    if (routes->empty()) w.error("routes", "needs at least one route");
    for (auto& r : *routes) {
      IngressRouteSpec route;
      route.host = r.string("host").value_or("");
      route.path = r.string("path").value_or("/");
      check_path(r, route.path);
      if (auto v = r.number("weight", 0, 1e12)) route.weight = *v;
      r.finish();
      s.routes.push_back(std::move(route));
    }
    double total = 0;
    for (const auto& r : s.routes) total += r.weight;
    if (!s.routes.empty() && !(total > 0)) {
      w.error("routes", "the route weights sum to 0", "give at least one route a weight > 0");
    }
  }
  if (!w.has("routes") || single) {
    IngressRouteSpec route;
    route.host = w.string("host").value_or("");
    route.path = w.string("path").value_or("/");
    check_path(w, route.path);
    s.routes.assign(1, std::move(route));
  }
  auto c = w.map("ingressController", true);
  if (!c) return;
  IngressControllerSpec& ic = s.ingress_controller;
  if (auto svc = c->string("service", true)) {
    const std::size_t slash = svc->find('/');
    ic.service_namespace = slash == std::string::npos ? "default" : svc->substr(0, slash);
    ic.service_name = slash == std::string::npos ? *svc : svc->substr(slash + 1);
    if (ic.service_name.empty() || ic.service_namespace.empty() ||
        ic.service_name.find('/') != std::string::npos) {
      c->error("service", "expected namespace/name of a Service, got \"" + *svc + "\"",
               "e.g. ingress-nginx/ingress-nginx-controller");
    }
  }
  if (auto v = c->integer("concurrency", 1, 1'000'000)) ic.concurrency = static_cast<int>(*v);
  if (auto v = c->integer("queueLimit", -1, kMaxInt)) ic.queue_limit = *v;
  if (auto d = read_duration_distribution(*c, "proxyTime")) ic.proxy_time = *d;
  c->finish();
  (void)name;
}

}  // namespace

models::InferenceServerConfig IngressControllerSpec::server(const std::string& name) const {
  models::InferenceServerConfig c;
  c.name = name;
  c.model = models::ServiceModel::kCpu;
  c.concurrency = concurrency;
  c.queue_limit = queue_limit;
  c.service_time = proxy_time;
  c.model_size_gb = 0;
  return c;
}

void check_reference(const std::vector<std::string>& present, const std::string& wanted,
                     std::string_view kind, std::string_view kinds, std::string_view role,
                     const std::string& field, const std::string& file, Diagnostics& diagnostics) {
  if (std::find(present.begin(), present.end(), wanted) != present.end()) return;
  std::string hint;
  if (present.empty()) {
    hint = "the scenario has no " + std::string(kind) + " manifest";
  } else {
    hint = std::string(kinds) + " in the scenario:";
    for (const std::string& key : present) hint += " " + key;
  }
  diagnostics.add(Diagnostic{file, 0, 0, field,
                             "no " + std::string(kind) + " \"" + wanted + "\"" + std::string(role) +
                                 " in the scenario's manifests",
                             std::move(hint)});
}

void check_ingress_references(const TrafficWorkloadSpec& t, const Manifests& m,
                              const std::string& file, Diagnostics& diagnostics) {
  std::vector<std::string> ingresses, services;
  for (const auto& i : m.ingresses)
    ingresses.push_back(i.metadata.namespace_ + "/" + i.metadata.name);
  for (const auto& svc : m.services) {
    services.push_back(svc.metadata.namespace_ + "/" + svc.metadata.name);
  }
  const IngressControllerSpec& c = t.ingress_controller;
  check_reference(ingresses, t.ingress_namespace + "/" + t.ingress_name, "Ingress", "Ingresses", "",
                  t.path + ".ingress", file, diagnostics);
  check_reference(services, c.service_namespace + "/" + c.service_name, "Service", "Services",
                  " (the ingress controller's)", t.path + ".ingressController.service", file,
                  diagnostics);
}

void mark_traffic_fields(FieldReader& w) {
  for (const char* k : {"service", "traffic", "server", "loadBalancing", "endpointDelay",
                        "onEndpointGone", "podUsage", "slo", "mode", "fluidInterval", "kubeProxy",
                        "ingress", "host", "path", "routes", "ingressController", "activator"}) {
    w.raw(k);
  }
}

std::optional<TrafficWorkloadSpec> read_traffic_workload(FieldReader& w, const std::string& name,
                                                         const std::string& base_dir) {
  TrafficWorkloadSpec s;
  s.name = name;
  s.path = w.path();
  const std::size_t errors_before = w.diagnostics()->size();
  // namespace/name of a Service or an Ingress ("name" alone is in default).
  auto object_ref = [](FieldReader& r, std::string_view key, const std::string& what,
                       std::string& ns, std::string& name) {
    auto text = r.string(key);
    if (!text) return;
    const std::size_t slash = text->find('/');
    ns = slash == std::string::npos ? "default" : text->substr(0, slash);
    name = slash == std::string::npos ? *text : text->substr(slash + 1);
    if (name.empty() || ns.empty() || name.find('/') != std::string::npos) {
      r.error(key, "expected namespace/name of " + what + ", got \"" + *text + "\"",
              what == "a Service" ? "e.g. default/llm" : "e.g. default/web");
    }
  };
  object_ref(w, "service", "a Service", s.service_namespace, s.service_name);
  object_ref(w, "ingress", "an Ingress", s.ingress_namespace, s.ingress_name);
  if (w.has("service") == w.has("ingress")) {
    w.error(w.has("service") ? "ingress" : "service",
            "a traffic workload needs exactly one of service and ingress",
            "service: NS/NAME sends to a Service's pods; ingress: NS/NAME through an Ingress");
  }
  read_ingress_fields(w, name, s);
  if (auto t = w.map("traffic", true)) {
    if (auto spec = read_traffic_spec(*t, name, base_dir, s.trace_paths)) {
      s.traffic = std::move(*spec);
    }
  }
  if (auto r = w.map("server")) {
    if (auto c = read_server(*r, name)) s.server = std::move(*c);
  }
  if (auto lb = w.one_of("loadBalancing", {"random", "roundRobin", "leastConnections"})) {
    s.load_balancing = *lb == "random"       ? models::LbMode::kRandom
                       : *lb == "roundRobin" ? models::LbMode::kRoundRobin
                                             : models::LbMode::kLeastConnections;
  }
  if (auto d = w.duration("endpointDelay", 0)) s.endpoint_delay = *d;
  if (auto kp = w.map("kubeProxy")) {
    if (auto d = kp->duration("minSyncPeriod", 0)) s.kube_proxy_min_sync_period = *d;
    if (auto d = read_duration_distribution(*kp, "syncDuration")) {
      if (d->kind() != sim::Distribution::Kind::kConstant || d->mean() > 0) {
        s.kube_proxy_sync_duration = *d;
      }
    }
    if (auto d = kp->duration("syncPeriod", 0)) {
      if (*d <= 0) {
        kp->error("syncPeriod", "must be greater than 0", "kube-proxy's default is 30s");
      } else {
        s.kube_proxy_sync_period = *d;
      }
    }
    kp->finish();
  }
  if (auto g = w.one_of("onEndpointGone", {"fail", "retry"})) {
    s.on_endpoint_gone = *g == "retry" ? EndpointGone::kRetry : EndpointGone::kFail;
  }
  if (auto u = w.map("podUsage")) {
    if (auto v = u->quantity("idleCpu", "cpu")) s.usage.idle_cpu_milli = *v;
    if (auto v = u->quantity("busyCpu", "cpu")) s.usage.busy_cpu_milli = *v;
    if (auto v = u->quantity("memory", "memory")) s.usage.memory_bytes = *v;
    if (s.usage.busy_cpu_milli && *s.usage.busy_cpu_milli < s.usage.idle_cpu_milli) {
      u->error("busyCpu", "must be at least idleCpu",
               "busyCpu is the pod's CPU when its server is busy all the time");
    }
    u->finish();
  }
  if (auto mode = w.one_of("mode", {"request", "fluid"})) s.fluid = *mode == "fluid";
  if (auto d = w.duration("fluidInterval", sim::kMillisecond)) s.fluid_interval = *d;
  if (s.fluid && (s.traffic.kind == models::TrafficKind::kOnOff ||
                  s.traffic.kind == models::TrafficKind::kTraceRequests)) {
    w.error("mode",
            "fluid mode needs a traffic kind with a rate (constant, poisson, diurnal, "
            "steps, spikes or traceRates)",
            "replay request records with mode: request, or their rates with kind: traceRates");
  }
  if (auto a = w.map("activator")) {
    ActivatorSpec spec;
    if (auto v = a->integer("queueDepth", 0, kMaxInt)) spec.queue_depth = *v;
    if (auto v = a->duration("timeout", 1)) spec.timeout = *v;
    if (auto v = a->integer("containerConcurrency", 0, 1000)) spec.container_concurrency = *v;
    if (auto d = read_duration_distribution(*a, "hopLatency")) {
      // A hop is a network round through one more proxy: its mean must be far below the
      // request timeout (durations below 0 are refused by the distribution reader); an
      // explicit 0 is the default (no hop modelled).
      if (d->mean() >= sim::to_seconds(spec.timeout)) {
        a->error("hopLatency",
                 "mean " + sim::format_duration(sim::from_seconds(d->mean())) +
                     " is not below the activator's timeout " + sim::format_duration(spec.timeout),
                 "the activator's hop adds about a millisecond; give e.g. hopLatency: 2ms");
      } else if (d->kind() != sim::Distribution::Kind::kConstant || d->mean() > 0) {
        spec.hop_latency = *d;
      }
    }
    a->finish();
    s.activator = spec;
    if (s.fluid) {
      w.error("activator", "the activator buffers single requests: it needs mode: request",
              "remove activator, or use mode: request");
    }
  }
  if (s.fluid && s.via_ingress()) {
    w.error("mode", "fluid mode is not supported for traffic through an Ingress",
            "use mode: request with ingress, or send fluid traffic to a Service");
  }
  if (auto slo = w.map("slo")) {
    s.slo.e2e = slo->duration("e2e", 1);
    s.slo.ttft = slo->duration("ttft", 1);
    if (!slo->has("e2e") && !slo->has("ttft")) {
      slo->error_here("an SLO needs a latency target", "set e2e, ttft or both, e.g. e2e: 500ms");
    }
    slo->finish();
  }
  if (w.diagnostics()->size() != errors_before) return std::nullopt;
  return s;
}

}  // namespace kubesim::scenarios
