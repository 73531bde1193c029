// Tests of the AIService custom resource and its operator (models/aiservice.hpp,
// experiments/aiservice_operator.hpp, docs/aiservice.md): the CustomResourceDefinition
// gate ("no matches for kind" before the CRD, as kubectl), the Deployment and Service the
// operator reconciles (fields and ownerReference), status following the Deployment, the
// rps policy (hand-computed clamp(ceil(rps / target), min, max)), the /scale subresource,
// changes and deletion (garbage collection by ownerReference), an HPA scaling an AIService
// through /scale (upstream's HPA rules: zero utilization → minReplicas after the 5-minute
// scale-down stabilization), and bad input with file:line:column. Cluster invariants are checked at the end of every run.
#include "experiments/aiservice_operator.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"
#include "scenarios/manifests.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"

namespace kubesim::experiments {
namespace {

using sim::kSecond;

scenarios::Scenario load(const std::string& text) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_text(text, "inline.yaml", {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  return *s;
}

// The CRD as shipped (scenarios/examples/crds/aiservice-crd.yaml), trimmed to what the
// reader uses.
const std::string kCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: aiservices.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: aiservices, singular: aiservice, kind: AIService, shortNames: [aisvc]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas,
              labelSelectorPath: .status.selector}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [modelUri]
            properties:
              modelUri: {type: string}
              replicas: {type: integer}
)";

// Three H100 nodes (8 GPUs each, labelled pool=h100) and one CPU node; the CRD, then
// `objects` (AIServices).
std::string scenario(const std::string& duration, const std::string& objects) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: aiservice-test}
spec:
  seed: 7
  duration: )" +
         duration + R"(
  sampleInterval: 10s
  cluster:
    nodePools:
    - name: h100
      count: 3
      cpu: "96"
      memory: 1024Gi
      labels: {pool: h100}
      gpu: {model: NVIDIA-H100-80GB-HBM3, count: 8}
    - name: cpu
      count: 1
      cpu: "16"
      memory: 64Gi
---
)" + kCrd +
         objects;
}

std::string aiservice(const std::string& extra_meta, const std::string& replicas_line,
                      const std::string& image, int max_replicas) {
  return R"(---
apiVersion: stable.example.com/v1
kind: AIService
metadata:
  name: llama
  namespace: default
)" + extra_meta +
         R"(spec:
  modelUri: s3://models/llama-3-8b
)" + replicas_line +
         R"(  image: )" + image + R"(
  resources:
    requests: {cpu: "8", memory: 64Gi}
  nodeSelector: {pool: h100}
  scaling:
    policy: rps
    targetRPSPerReplica: 100
    minReplicas: 1
    maxReplicas: )" +
         std::to_string(max_replicas) + R"(
    gpusPerReplica: 2
    modelSize: 16Gi
)";
}

const std::string kBasic = aiservice("", "  replicas: 4\n", "vllm/vllm-openai:v0.6.0", 8);

struct PodCounts {
  int total = 0;
  int running_ready = 0;
  int on_h100 = 0;
};

PodCounts pods_of(models::Cluster& cluster, const std::string& app) {
  PodCounts c;
  for (const auto& p : cluster.api().pods().list()) {
    const std::string* a = p->metadata.labels.find("app");
    if (a == nullptr || *a != app) continue;
    ++c.total;
    if (p->status.phase == models::PodPhase::kRunning && p->ready()) ++c.running_ready;
    if (p->bound() && p->spec.node_name.rfind("h100", 0) == 0) ++c.on_h100;
  }
  return c;
}

const models::Condition& require_condition(const models::AIService& ai, std::string_view type) {
  const models::Condition* c = models::find_condition(ai.status.conditions, type);
  INFO("condition " << type);
  REQUIRE(c != nullptr);
  return *c;
}

}  // namespace

TEST_CASE("rps policy: clamp(ceil(rps / target), min, max) in exact milli-units", "[aiservice]") {
  models::AIServiceScaling s;
  s.target_rps_per_replica_milli = 100000;  // 100 RPS per replica
  s.min_replicas = 1;
  s.max_replicas = 8;
  // 950 / 100 = 9.5 → 10 → clamped to 8.
  CHECK(AIServiceOperator::rps_desired_replicas(950000, s) == 8);
  s.max_replicas = 20;
  CHECK(AIServiceOperator::rps_desired_replicas(950000, s) == 10);
  CHECK(AIServiceOperator::rps_desired_replicas(1000000, s) == 10);  // exactly 10, no rounding up
  CHECK(AIServiceOperator::rps_desired_replicas(1000001, s) == 11);  // 1000.001 RPS → 11
  CHECK(AIServiceOperator::rps_desired_replicas(0, s) == 1);         // min
  s.min_replicas = 0;
  CHECK(AIServiceOperator::rps_desired_replicas(0, s) == 0);     // scale to zero allowed
  s.target_rps_per_replica_milli = 500;                          // 0.5 RPS per replica
  CHECK(AIServiceOperator::rps_desired_replicas(1200, s) == 3);  // ceil(2.4)
}

TEST_CASE("the operator creates an owned Deployment and Service and reports readiness",
          "[aiservice][cluster]") {
  const scenarios::Scenario sc = load(scenario("3m", kBasic));
  REQUIRE(sc.manifests.aiservices.size() == 1);
  REQUIRE(sc.manifests.custom_resource_definitions.size() == 1);
  ScenarioRun run(sc);
  AIServiceOperator* op = run.aiservice_operator();
  REQUIRE(op != nullptr);
  int calls = 0;
  op->set_rps_source([&](const std::string& ns, const std::string& svc) -> std::optional<double> {
    CHECK(ns == "default");
    CHECK(svc == "llama");
    ++calls;
    return std::nullopt;  // no reading: replicas stay at spec.replicas
  });
  run.run();
  CHECK(calls == 12);  // every 15 s for 3 minutes
  models::ApiServer& api = run.cluster()->api();

  auto ai = api.aiservices().get("default", "llama");
  REQUIRE(ai != nullptr);
  auto dep = api.deployments().get("default", "llama");
  REQUIRE(dep != nullptr);
  CHECK(dep->spec.replicas == 4);
  CHECK(*dep->metadata.labels.find("app") == "llama");
  CHECK(*dep->spec.selector.match_labels.find("app") == "llama");
  REQUIRE(dep->metadata.controller_ref() != nullptr);
  const models::OwnerReference& ref = *dep->metadata.controller_ref();
  CHECK(ref.kind == "AIService");
  CHECK(ref.api_version == "stable.example.com/v1");
  CHECK(ref.name == "llama");
  CHECK(ref.uid == ai->metadata.uid);
  CHECK(ref.block_owner_deletion);
  const models::PodTemplateSpec& t = dep->spec.template_;
  CHECK(*t.metadata.labels.find("app") == "llama");
  CHECK(*t.metadata.annotations.find(std::string(kModelUriAnnotation)) == "s3://models/llama-3-8b");
  CHECK(*t.metadata.annotations.find(std::string(kModelSizeAnnotation)) ==
        std::to_string(16LL << 30));
  // Cold start: 20 s server start-up + 16 GiB (17,179,869,184 bytes) at 1 GB/s.
  REQUIRE(t.metadata.annotations.find("kubesim.io/ready-after") != nullptr);
  CHECK(*t.metadata.annotations.find("kubesim.io/ready-after") == "37.179869184s");
  REQUIRE(t.spec.containers.size() == 1);
  const models::Container& c = t.spec.containers[0];
  CHECK(c.name == "model-server");
  CHECK(c.image == "vllm/vllm-openai:v0.6.0");
  CHECK(c.requests.cpu_milli == 8000);
  CHECK(c.requests.memory == 64LL << 30);
  CHECK(c.requests.gpu == 2);  // gpusPerReplica, as request and limit
  CHECK(c.limits.gpu == 2);
  REQUIRE(c.ports.size() == 1);
  CHECK(c.ports[0].container_port == 8080);
  CHECK(*t.spec.node_selector.find("pool") == "h100");

  auto svc = api.services().get("default", "llama");
  REQUIRE(svc != nullptr);
  CHECK(*svc->spec.selector.find("app") == "llama");
  REQUIRE(svc->spec.ports.size() == 1);
  CHECK(svc->spec.ports[0].port == 80);
  CHECK(svc->spec.ports[0].target_port == "8080");
  REQUIRE(svc->metadata.controller_ref() != nullptr);
  CHECK(svc->metadata.controller_ref()->uid == ai->metadata.uid);

  // Four pods, Ready, each on an H100 node with its two GPUs.
  const PodCounts pods = pods_of(*run.cluster(), "llama");
  CHECK(pods.total == 4);
  CHECK(pods.running_ready == 4);
  CHECK(pods.on_h100 == 4);

  // Status follows the Deployment.
  CHECK(ai->status.replicas == 4);
  CHECK(ai->status.ready_replicas == 4);
  CHECK(ai->status.selector == "app=llama");
  CHECK(ai->status.observed_generation == ai->metadata.generation);
  CHECK_FALSE(ai->status.observed_rps_milli.has_value());
  const models::Condition& ready = require_condition(*ai, models::kAIServiceReady);
  CHECK(ready.status == models::ConditionStatus::kTrue);
  CHECK(ready.reason == "AllReplicasReady");
  CHECK(ready.message == "4/4 replicas ready");
  const models::Condition& scaling = require_condition(*ai, models::kAIServiceScalingActive);
  CHECK(scaling.status == models::ConditionStatus::kFalse);
  CHECK(scaling.reason == "FailedGetMetric");
  CHECK(require_condition(*ai, models::kAIServiceProgressing).status ==
        models::ConditionStatus::kTrue);

  // The /scale subresource.
  auto scale = op->get_scale("default", "llama");
  REQUIRE(scale.has_value());
  CHECK(scale->spec_replicas == 4);
  CHECK(scale->status_replicas == 4);
  CHECK(*scale->selector.match_labels.find("app") == "llama");
  CHECK_FALSE(op->get_scale("default", "nope").has_value());
  check_invariants(run);
}

TEST_CASE("rps policy scales spec.replicas and the Deployment with the observed load",
          "[aiservice][cluster]") {
  ScenarioRun run(load(scenario("4m", kBasic)));
  AIServiceOperator* op = run.aiservice_operator();
  REQUIRE(op != nullptr);
  sim::Simulation& sim = run.simulation();
  models::ApiServer& api = run.cluster()->api();
  std::vector<std::pair<sim::Time, std::int32_t>> seen;  // (time, spec.replicas) per reading
  op->set_rps_source([&](const std::string&, const std::string&) -> std::optional<double> {
    auto ai = api.aiservices().get("default", "llama");
    seen.emplace_back(sim.now(), ai && ai->spec.replicas ? *ai->spec.replicas : -1);
    // 950 RPS for the first two minutes, then 250 RPS.
    return sim.now() < 120 * kSecond ? 950.0 : 250.0;
  });
  run.run();
  // First reading at 15 s: spec.replicas was still 4 (the rps policy had not written);
  // 950 / 100 → 10, clamped to maxReplicas 8. From 120 s: 250 / 100 → 3.
  REQUIRE(seen.size() == 16);
  CHECK(seen[0] == std::make_pair(15 * kSecond, 4));
  CHECK(seen[1].second == 8);
  CHECK(seen[7] == std::make_pair(120 * kSecond, 8));
  CHECK(seen[8].second == 3);
  auto ai = api.aiservices().get("default", "llama");
  REQUIRE(ai != nullptr);
  CHECK(ai->spec.replicas == 3);
  CHECK(ai->status.observed_rps_milli == 250000);
  CHECK(op->rescales() == 2);  // 4 → 8 and 8 → 3
  // Generation: 1 at creation, +1 per /scale write.
  CHECK(ai->metadata.generation == 3);
  CHECK(ai->status.observed_generation == 3);
  const models::Condition& scaling = require_condition(*ai, models::kAIServiceScalingActive);
  CHECK(scaling.status == models::ConditionStatus::kTrue);
  CHECK(scaling.reason == "ValidMetric");
  CHECK(scaling.message ==
        "observed 250 RPS at a target of 100 per replica: 3 replicas (bounds 1..8)");
  auto dep = api.deployments().get("default", "llama");
  REQUIRE(dep != nullptr);
  CHECK(dep->spec.replicas == 3);
  // Scale-down finished: 3 pods left, all Ready; the AIService reports them.
  const PodCounts pods = pods_of(*run.cluster(), "llama");
  CHECK(pods.total == 3);
  CHECK(pods.running_ready == 3);
  CHECK(ai->status.ready_replicas == 3);
  CHECK(require_condition(*ai, models::kAIServiceReady).status == models::ConditionStatus::kTrue);
  // The timeseries (10 s samples): spec.replicas 8 from the first reading on, 3 after 120 s;
  // observed RPS as read.
  const sim::Sampler& sampler = run.sampler();
  const auto replicas_col = sampler.column_index("aiservice.default.llama.replicas");
  const auto rps_col = sampler.column_index("aiservice.default.llama.observed_rps");
  const auto ready_col = sampler.column_index("aiservice.default.llama.ready_replicas");
  REQUIRE(replicas_col.has_value());
  REQUIRE(rps_col.has_value());
  REQUIRE(ready_col.has_value());
  for (std::size_t r = 0; r < sampler.row_count(); ++r) {
    const sim::Time t = sampler.times()[r];
    INFO("t = " << sim::to_seconds(t));
    if (t >= 30 * kSecond && t < 120 * kSecond) {
      CHECK(sampler.value(r, *replicas_col) == 8);
      CHECK(sampler.value(r, *rps_col) == 950);
    }
    if (t >= 140 * kSecond) {
      CHECK(sampler.value(r, *replicas_col) == 3);
      CHECK(sampler.value(r, *rps_col) == 250);
    }
  }
  CHECK(sampler.value(sampler.row_count() - 1, *ready_col) == 3);
  // The 8-replica peak fitted: 16 of the 24 GPUs.
  const sim::Counter* created = run.metrics().find_counter("controllers.pods_created");
  REQUIRE(created != nullptr);
  CHECK(created->value() == 8);
  check_invariants(run);
}

TEST_CASE("changing an AIService rolls its Deployment; deleting it collects what it owns",
          "[aiservice][cluster]") {
  // Version 2 at 60 s: a new image and 2 replicas (kubectl apply of the changed object).
  const std::string v2 = aiservice("  annotations: {kubesim.io/apply-at: 60s}\n", "  replicas: 2\n",
                                   "vllm/vllm-openai:v0.7.0", 8);
  ScenarioRun run(load(scenario("5m", kBasic + v2)));
  AIServiceOperator* op = run.aiservice_operator();
  REQUIRE(op != nullptr);
  op->set_rps_source([](const std::string&, const std::string&) { return std::nullopt; });
  models::ApiServer& api = run.cluster()->api();
  sim::Simulation& sim = run.simulation();
  models::ApiClient& kubectl = api.make_client("kubectl", models::ClientRateLimit{1e6, 1000000});
  // At 240 s: check the change took (each new pod serves 37.2 s after it starts: 20 s
  // server start-up + 16Gi at 1 GB/s; the rollout replaces them one at a time); then
  // kubectl delete aiservice llama.
  bool checked = false;
  sim.schedule_at(240 * kSecond, [&] {
    auto dep = api.deployments().get("default", "llama");
    REQUIRE(dep != nullptr);
    CHECK(dep->spec.replicas == 2);
    CHECK(dep->spec.template_.spec.containers[0].image == "vllm/vllm-openai:v0.7.0");
    auto ai = api.aiservices().get("default", "llama");
    REQUIRE(ai != nullptr);
    CHECK(ai->metadata.generation == 2);
    CHECK(ai->status.observed_generation == 2);
    CHECK(ai->status.ready_replicas == 2);
    const PodCounts pods = pods_of(*run.cluster(), "llama");
    CHECK(pods.total == 2);
    CHECK(pods.running_ready == 2);
    int images_new = 0;
    for (const auto& p : api.pods().list()) {
      if (!p->spec.containers.empty() && p->spec.containers[0].image == "vllm/vllm-openai:v0.7.0") {
        ++images_new;
      }
    }
    CHECK(images_new == 2);
    checked = true;
    api.remove<models::AIService>(kubectl, "default", "llama");
  });
  run.run();
  CHECK(checked);
  CHECK(api.aiservices().get("default", "llama") == nullptr);
  CHECK(api.deployments().get("default", "llama") == nullptr);
  CHECK(api.services().get("default", "llama") == nullptr);
  CHECK(api.replicasets().size() == 0);
  CHECK(pods_of(*run.cluster(), "llama").total == 0);
  // Deployment + Service, then the ReplicaSets (two revisions), then the two pods left.
  // Deployment + Service, the two ReplicaSets (both revisions), the two pods left; one
  // more when the operator, whose AIService informer had not yet seen the delete,
  // re-created the Deployment after the collector removed it (the race upstream's
  // collector resolves the same way: the new Deployment's owner is gone, so it goes too).
  CHECK(op->garbage_collector().deletions() >= 6);
  check_invariants(run);
}

TEST_CASE("the /scale subresource writes spec.replicas for an autoscaler", "[aiservice][cluster]") {
  ScenarioRun run(load(scenario("2m", kBasic)));
  AIServiceOperator* op = run.aiservice_operator();
  REQUIRE(op != nullptr);
  op->set_rps_source([](const std::string&, const std::string&) { return std::nullopt; });
  sim::Simulation& sim = run.simulation();
  std::vector<sim::Status> results;
  sim.schedule_at(30 * kSecond, [&] {
    op->set_scale("default", "llama", 6, [&](const sim::Status& s) { results.push_back(s); });
    op->set_scale("default", "llama", -1, [&](const sim::Status& s) { results.push_back(s); });
    op->set_scale("default", "gone", 2, [&](const sim::Status& s) { results.push_back(s); });
  });
  run.run();
  REQUIRE(results.size() == 3);
  // The invalid value is refused at once (upstream ValidateScale); the others commit.
  CHECK(results[0].code() == sim::Status::Code::kInvalidArgument);
  int ok = 0, not_found = 0;
  for (std::size_t i = 1; i < results.size(); ++i) {
    ok += results[i].ok() ? 1 : 0;
    not_found += results[i].code() == sim::Status::Code::kNotFound ? 1 : 0;
  }
  CHECK(ok == 1);
  CHECK(not_found == 1);
  auto scale = op->get_scale("default", "llama");
  REQUIRE(scale.has_value());
  CHECK(scale->spec_replicas == 6);
  CHECK(scale->status_replicas == 6);
  CHECK(pods_of(*run.cluster(), "llama").running_ready == 6);
  check_invariants(run);
}

TEST_CASE("an AIService without a scaling section keeps spec.replicas", "[aiservice][cluster]") {
  const std::string plain = R"(---
apiVersion: stable.example.com/v1
kind: AIService
metadata: {name: small}
spec:
  modelUri: hf://org/small
  resources:
    requests: {cpu: "1", memory: 2Gi}
)";
  ScenarioRun run(load(scenario("90s", plain)));
  run.run();
  models::ApiServer& api = run.cluster()->api();
  auto ai = api.aiservices().get("default", "small");
  REQUIRE(ai != nullptr);
  auto dep = api.deployments().get("default", "small");
  REQUIRE(dep != nullptr);
  CHECK(dep->spec.replicas == 1);  // spec.replicas unset, no scaling: 1
  CHECK(dep->spec.template_.spec.containers[0].image == "kubesim.io/model-server:v1");
  CHECK(dep->spec.template_.spec.containers[0].requests.gpu == 0);
  CHECK(ai->status.ready_replicas == 1);
  const models::Condition& scaling = require_condition(*ai, models::kAIServiceScalingActive);
  CHECK(scaling.reason == "ScalingDisabled");
  check_invariants(run);
}

// ---- reading: the CRD gate and bad input ------------------------------------------------------

namespace {

struct Read {
  scenarios::Manifests manifests;
  scenarios::Diagnostics diagnostics;
  bool ok = false;
};

Read read(const std::string& text) {
  Read r;
  r.ok = scenarios::read_manifests_text(text, "m.yaml", r.manifests, r.diagnostics);
  return r;
}

// The one diagnostic, at line:column, whose message contains `message`.
void expect_one(const Read& r, int line, int column, const std::string& message) {
  INFO(r.diagnostics.format());
  CHECK_FALSE(r.ok);
  REQUIRE(r.diagnostics.size() == 1);
  const scenarios::Diagnostic& d = r.diagnostics.items()[0];
  CHECK(d.file == "m.yaml");
  CHECK(d.line == line);
  CHECK(d.column == column);
  CHECK((d.path + ": " + d.message).find(message) != std::string::npos);
}

const std::string kMinimal = R"(apiVersion: stable.example.com/v1
kind: AIService
metadata: {name: m}
spec:
  modelUri: s3://m
)";

}  // namespace

TEST_CASE("the shipped CRD reads as the AIService definition", "[aiservice][manifests]") {
  scenarios::Manifests m;
  scenarios::Diagnostics diagnostics;
  const std::string path =
      std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/crds/aiservice-crd.yaml";
  REQUIRE(scenarios::read_manifests_path(path, m, diagnostics));
  REQUIRE(m.custom_resource_definitions.size() == 1);
  const models::CustomResourceDefinition& crd = m.custom_resource_definitions[0];
  CHECK(crd.metadata.name == "aiservices.stable.example.com");
  CHECK(crd.group == "stable.example.com");
  CHECK(crd.names.kind == "AIService");
  CHECK(crd.names.plural == "aiservices");
  CHECK(crd.names.short_names == std::vector<std::string>{"aisvc"});
  CHECK(crd.namespaced);
  REQUIRE(crd.versions.size() == 1);
  const auto& v = crd.versions[0];
  CHECK(v.served);
  CHECK(v.storage);
  CHECK(v.has_status_subresource);
  REQUIRE(v.scale.has_value());
  CHECK(v.scale->spec_replicas_path == ".spec.replicas");
  CHECK(v.scale->status_replicas_path == ".status.replicas");
  CHECK(v.scale->label_selector_path == ".status.selector");
  CHECK(v.spec_required == std::vector<std::string>{"modelUri"});
  CHECK(m.object_count() == 1);
  // additionalPrinterColumns: accepted and reported as not modelled.
  REQUIRE(m.ignored.size() == 1);
  CHECK(m.ignored[0].path.find("additionalPrinterColumns") != std::string::npos);
}

TEST_CASE("an AIService needs its CRD first, as kubectl does", "[aiservice][manifests]") {
  SECTION("no CRD at all") {
    // kubectl: no matches for kind "AIService" in version "stable.example.com/v1"
    expect_one(read(kMinimal), 2, 7,
               "no matches for kind \"AIService\" in version \"stable.example.com/v1\"");
  }
  SECTION("the CRD after the AIService") {
    const Read r = read(kMinimal + "---\n" + kCrd);
    expect_one(r, 2, 7, "no matches for kind \"AIService\"");
    CHECK(r.manifests.aiservices.empty());
    CHECK(r.manifests.custom_resource_definitions.size() == 1);
  }
  SECTION("a version the CRD does not serve") {
    std::string text = kMinimal;
    text.replace(text.find("/v1"), 3, "/v2");
    expect_one(read(kCrd + "---\n" + text), 28, 7,
               "no matches for kind \"AIService\" in version \"stable.example.com/v2\"");
  }
  SECTION("the CRD first: accepted, defaults applied") {
    const Read r = read(kCrd + "---\n" + kMinimal);
    INFO(r.diagnostics.format());
    REQUIRE(r.ok);
    REQUIRE(r.manifests.aiservices.size() == 1);
    const models::AIService& a = r.manifests.aiservices[0];
    CHECK(a.metadata.namespace_ == "default");
    CHECK(a.spec.model_uri == "s3://m");
    CHECK_FALSE(a.spec.replicas.has_value());
    CHECK_FALSE(a.spec.scaling.has_value());
    CHECK(a.desired_replicas() == 1);
    CHECK(r.manifests.object_count() == 2);
  }
  SECTION("other CRDs' kinds are accepted and ignored") {
    std::string crd = kCrd;
    for (const auto& [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"aiservices.stable", "widgets.stable"},
                                                          {"plural: aiservices", "plural: widgets"},
                                                          {"kind: AIService", "kind: Widget"}}) {
      crd.replace(crd.find(from), from.size(), to);
    }
    const Read r = read(crd +
                        "---\napiVersion: stable.example.com/v1\nkind: Widget\n"
                        "metadata: {name: w}\n");
    INFO(r.diagnostics.format());
    CHECK(r.ok);
    REQUIRE(r.manifests.ignored.size() == 1);
    CHECK(r.manifests.ignored[0].reason.find("custom resource kind Widget") != std::string::npos);
  }
}

TEST_CASE("bad AIService input is reported at its line", "[aiservice][manifests]") {
  // kCrd is 25 lines and "---" is line 26: the AIService starts at line 27 (kind at 28,
  // metadata 29, spec 30, its first field 31).
  auto with_crd = [](const std::string& object) { return read(kCrd + "---\n" + object); };
  SECTION("missing modelUri") {
    expect_one(with_crd("apiVersion: stable.example.com/v1\nkind: AIService\nmetadata: {name: m}\n"
                        "spec:\n  replicas: 2\n"),
               31, 3, "spec.modelUri: required field is missing");
  }
  SECTION("replicas of the wrong type") {
    expect_one(with_crd(kMinimal + "  replicas: three\n"), 32, 13,
               "spec.replicas: expected an integer");
  }
  SECTION("a misspelt field gets a did-you-mean") {
    const Read r = with_crd(
        "apiVersion: stable.example.com/v1\nkind: AIService\n"
        "metadata: {name: m}\nspec:\n  modelURI: s3://m\n");
    INFO(r.diagnostics.format());
    CHECK_FALSE(r.ok);
    CHECK(r.diagnostics.format().find("modelUri") != std::string::npos);
    bool at_typo = false;
    for (const auto& d : r.diagnostics.items())
      at_typo = at_typo || (d.line == 31 && d.hint.find("modelUri") != std::string::npos);
    CHECK(at_typo);
  }
  SECTION("rps policy without a target") {
    expect_one(with_crd(kMinimal + "  scaling:\n    maxReplicas: 4\n"), 33, 5,
               "targetRPSPerReplica is required");
  }
  SECTION("an unknown policy") {
    const Read r = with_crd(kMinimal +
                            "  scaling:\n    policy: rsp\n    maxReplicas: 4\n"
                            "    targetRPSPerReplica: 10\n");
    CHECK_FALSE(r.ok);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics.items()[0].line == 33);
    CHECK(r.diagnostics.items()[0].message ==
          "\"rsp\" is not one of rps, hpa, kpa, keda, predictive");
  }
  SECTION("minReplicas above maxReplicas") {
    expect_one(with_crd(kMinimal + "  scaling:\n    targetRPSPerReplica: 10\n    minReplicas: 5\n"
                                   "    maxReplicas: 4\n"),
               35, 18, "must be greater than or equal to `minReplicas`");
  }
  SECTION("a name that cannot be a Service name") {
    std::string text = kMinimal;
    text.replace(text.find("name: m"), 7, "name: 1m");
    const Read r = with_crd(text);
    CHECK_FALSE(r.ok);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics.items()[0].line == 29);
    CHECK(r.diagnostics.items()[0].message.find("invalid name \"1m\"") != std::string::npos);
  }
  SECTION("a CRD whose name is not plural.group") {
    std::string crd = kCrd;
    crd.replace(crd.find("aiservices.stable"), 17, "aiservice.stable");
    const Read r = read(crd);
    CHECK_FALSE(r.ok);
    CHECK(r.diagnostics.format().find("must be spec.names.plural+\".\"+spec.group") !=
          std::string::npos);
  }
  SECTION("a CRD with a scale path outside .spec") {
    std::string crd = kCrd;
    crd.replace(crd.find("specReplicasPath: .spec.replicas"), 32, "specReplicasPath: .replicas");
    const Read r = read(crd);
    CHECK_FALSE(r.ok);
    CHECK(r.diagnostics.format().find("should be a json path under .spec") != std::string::npos);
  }
}

}  // namespace kubesim::experiments

namespace kubesim::experiments {

TEST_CASE("rps_from_cumulative: the counter's rate between two readings", "[aiservice]") {
  sim::Simulation sim;
  std::uint64_t sent = 0;
  bool known = true;
  auto rps = rps_from_cumulative(
      sim, [&](const std::string&, const std::string& svc) -> std::optional<std::uint64_t> {
        if (!known || svc != "web") return std::nullopt;
        return sent;
      });
  CHECK_FALSE(rps("default", "web").has_value());  // first reading: no rate yet
  sim.run_until(15 * sim::kSecond);
  sent = 1500;
  const std::optional<double> first = rps("default", "web");
  REQUIRE(first.has_value());
  CHECK(*first == Approx(100.0));                  // 1500 requests in 15 s
  CHECK_FALSE(rps("default", "web").has_value());  // same instant again: no interval
  sim.run_until(40 * sim::kSecond);
  sent = 2000;
  const std::optional<double> second = rps("default", "web");
  REQUIRE(second.has_value());
  CHECK(*second == Approx(20.0));  // 500 requests in the 25 s since the last call
  CHECK_FALSE(rps("default", "other").has_value());
  known = false;
  CHECK_FALSE(rps("default", "web").has_value());
}

TEST_CASE("a registered policy drives spec.replicas for its policy name", "[aiservice][cluster]") {
  const std::string kpa = R"(---
apiVersion: stable.example.com/v1
kind: AIService
metadata: {name: llama}
spec:
  modelUri: s3://m
  replicas: 1
  resources:
    requests: {cpu: "1", memory: 2Gi}
  scaling: {policy: kpa, minReplicas: 1, maxReplicas: 5}
)";
  SECTION("unregistered: the operator leaves replicas to an outside autoscaler") {
    ScenarioRun run(load(scenario("1m", kpa)));
    run.run();
    auto ai = run.cluster()->api().aiservices().get("default", "llama");
    REQUIRE(ai != nullptr);
    CHECK(ai->spec.replicas == 1);
    const models::Condition& c = require_condition(*ai, models::kAIServiceScalingActive);
    CHECK(c.status == models::ConditionStatus::kUnknown);
    CHECK(c.reason == "ExternalAutoscaler");
    check_invariants(run);
  }
  SECTION("registered: its answer is written through /scale") {
    ScenarioRun run(load(scenario("1m", kpa)));
    AIServiceOperator* op = run.aiservice_operator();
    REQUIRE(op != nullptr);
    op->set_rps_source([](const std::string&, const std::string&) { return 42.0; });
    std::vector<double> readings;
    op->register_policy(
        "kpa",
        [&](const models::AIService& ai, std::optional<double> rps) -> std::optional<std::int32_t> {
          CHECK(ai.metadata.name == "llama");
          readings.push_back(rps.value_or(-1));
          return 3;
        });
    run.run();
    CHECK(readings == std::vector<double>{42.0, 42.0, 42.0, 42.0});  // 15, 30, 45, 60 s
    auto ai = run.cluster()->api().aiservices().get("default", "llama");
    REQUIRE(ai != nullptr);
    CHECK(ai->spec.replicas == 3);
    CHECK(ai->status.ready_replicas == 3);
    CHECK(require_condition(*ai, models::kAIServiceScalingActive).reason == "PolicyEvaluated");
    check_invariants(run);
  }
}

}  // namespace kubesim::experiments

namespace kubesim::experiments {

TEST_CASE("an HPA targets an AIService through its /scale subresource", "[aiservice][hpa]") {
  // policy: hpa — the operator leaves spec.replicas to the HPA. The pods use no CPU
  // (no usage annotation, no traffic): utilization 0 % against a 50 % target gives
  // ceil(0 × 4) = 0, clamped to minReplicas 2 (upstream replica_calculator.go); without
  // spec.behavior the scale-down waits out the 5-minute stabilization window
  // (horizontal.go stabilizeRecommendation), so 4 replicas stay until 5 min after the
  // first recommendation and 2 remain at the end.
  const std::string objects = R"(---
apiVersion: stable.example.com/v1
kind: AIService
metadata: {name: llama}
spec:
  modelUri: s3://m
  replicas: 4
  resources:
    requests: {cpu: "2", memory: 4Gi}
  scaling: {policy: hpa, minReplicas: 2, maxReplicas: 6}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: llama}
spec:
  scaleTargetRef: {apiVersion: stable.example.com/v1, kind: AIService, name: llama}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
)";
  ScenarioRun run(load(scenario("8m", objects)));
  REQUIRE(run.aiservice_operator() != nullptr);
  std::map<sim::Time, std::int32_t> replicas;
  models::ApiServer& api = run.cluster()->api();
  for (int s = 30; s <= 480; s += 30) {
    run.simulation().schedule_at(s * kSecond, [&, s] {
      auto ai = api.aiservices().get("default", "llama");
      replicas[s * kSecond] = ai ? ai->desired_replicas() : -1;
    });
  }
  run.run();
  CHECK(replicas[60 * kSecond] == 4);
  CHECK(replicas[240 * kSecond] == 4);
  CHECK(replicas[480 * kSecond] == 2);
  auto ai = api.aiservices().get("default", "llama");
  REQUIRE(ai != nullptr);
  CHECK(ai->spec.replicas == 2);
  CHECK(ai->status.ready_replicas == 2);
  auto dep = api.deployments().get("default", "llama");
  REQUIRE(dep != nullptr);
  CHECK(dep->spec.replicas == 2);
  CHECK(require_condition(*ai, models::kAIServiceScalingActive).reason == "ExternalAutoscaler");
  check_invariants(run);
}

}  // namespace kubesim::experiments
