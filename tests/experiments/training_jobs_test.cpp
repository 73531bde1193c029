// trainingJobs end to end (experiments/training_jobs.hpp): gang-scheduled training Jobs on a
// small multi-GPU cluster through the full control plane. The gang guarantee is the
// Coscheduling plugin's (kubernetes-sigs/scheduler-plugins pkg/coscheduling: Permit holds a
// group's pods until minMember are assumed, PostFilter/Unreserve reject the rest): a job's
// workers are bound all together or not at all. Each case is checked against a control run
// without Coscheduling, where the same jobs do run partially — so the assertions can fail.
#include "experiments/training_jobs.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "experiments/scenario_run.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"

namespace kubesim::experiments {
namespace {

constexpr const char* kCoscheduling =
    "  controlPlane:\n    scheduler:\n      config:\n"
    "        apiVersion: kubescheduler.config.k8s.io/v1\n"
    "        kind: KubeSchedulerConfiguration\n"
    "        profiles:\n        - schedulerName: default-scheduler\n"
    "          plugins:\n"
    "            queueSort: {enabled: [{name: Coscheduling}], disabled: [{name: '*'}]}\n"
    "            multiPoint: {enabled: [{name: Coscheduling}]}\n";

// Two nodes with 8 GPUs each; `workload` is the trainingJobs entry's fields.
scenarios::Scenario load(const std::string& workload, bool gang, const std::string& duration) {
  const std::string text =
      "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: gang}\nspec:\n"
      "  seed: 3\n  duration: " +
      duration +
      "\n  sampleInterval: 10s\n"
      "  cluster:\n    nodePools:\n"
      "    - {name: gpu, count: 2, cpu: \"96\", memory: 768Gi,"
      " gpu: {model: A100, count: 8}}\n" +
      std::string(gang ? kCoscheduling : "") +
      "  workloads:\n  - name: train\n    type: trainingJobs\n" + workload;
  scenarios::Diagnostics d;
  auto s = scenarios::load_scenario_text(text, "gang.yaml", {}, d);
  INFO(d.format());
  REQUIRE(s);
  return *s;
}

const TrainingJobs& training(const ScenarioRun& run) {
  auto all = run.training_jobs();
  REQUIRE(all.size() == 1);
  return *all[0];
}

}  // namespace

TEST_CASE("a gang larger than the free GPUs never runs partially", "[training_jobs]") {
  // 3 workers × 8 GPUs = 24 GPUs on a 16-GPU cluster.
  const std::string workload =
      "    jobs: 1\n    arrivals: {rate: 1}\n    workers: 3\n    gpusPerWorker: 8\n"
      "    runTime: 1m\n    cpuPerGpu: 1\n    memoryPerGpu: 8Gi\n";
  SECTION("with Coscheduling, no worker is ever bound") {
    ScenarioRun run(load(workload, true, "10m"));
    run.run();
    const TrainingJobs& t = training(run);
    REQUIRE(t.jobs().size() == 1);
    const auto& job = t.jobs()[0];
    CHECK(job.submitted >= 0);
    CHECK(job.existing == 3);  // the Job controller made all workers
    CHECK(job.max_bound == 0);
    CHECK_FALSE(job.started);
    CHECK(t.started() == 0);
    CHECK(t.gpus_allocated() == 0);
    check_invariants(run);
  }
  SECTION("control: without Coscheduling two of the three workers run") {
    ScenarioRun run(load(workload, false, "10m"));
    run.run();
    const auto& job = training(run).jobs()[0];
    CHECK(job.max_bound == 2);
    check_invariants(run);
  }
}

TEST_CASE("a gang waits for the GPUs another holds and starts when it completes",
          "[training_jobs]") {
  // Two jobs of 2 workers × 8 GPUs, arriving within about a second of each other: each needs
  // the whole cluster.
  const std::string workload =
      "    jobs: 2\n    arrivals: {rate: 2}\n    workers: 2\n    gpusPerWorker: 8\n"
      "    runTime: 5m\n    cpuPerGpu: 1\n    memoryPerGpu: 8Gi\n";
  ScenarioRun run(load(workload, true, "20m"));
  run.run();
  const TrainingJobs& t = training(run);
  REQUIRE(t.jobs().size() == 2);
  CHECK(t.submitted() == 2);
  CHECK(t.started() == 2);
  CHECK(t.completed() == 2);
  const auto& a = t.jobs()[0];
  const auto& b = t.jobs()[1];
  REQUIRE(a.started);
  REQUIRE(a.completed);
  REQUIRE(b.started);
  REQUIRE(b.completed);
  // The first job gets the cluster at once (image pull and start: seconds, not minutes).
  CHECK(*a.started - a.submitted < 30 * sim::kSecond);
  // The second waits: it starts only after the first completed and freed its GPUs.
  CHECK(*b.started >= *a.completed);
  CHECK(*b.started - b.submitted >= 5 * sim::kMinute);
  // A job completes its run time after its last worker started: each worker runs 5 m from
  // its own start (kubesim.io/run-duration), so completion − start is 5 m plus the spread
  // of the workers' starts.
  for (const auto* j : {&a, &b}) {
    CHECK(*j->completed - *j->started >= 5 * sim::kMinute - 5 * sim::kSecond);
    CHECK(*j->completed - *j->started <= 5 * sim::kMinute + 5 * sim::kSecond);
    // Bound all together: a partial binding lasts only for the binding API round trips.
    CHECK(j->max_bound == 2);
    CHECK(j->longest_partial < sim::kSecond);
  }
  // Both finished: no GPU is left allocated.
  CHECK(t.gpus_allocated() == 0);
  check_invariants(run);

  SECTION("the run is deterministic") {
    ScenarioRun again(load(workload, true, "20m"));
    again.run();
    CHECK(again.simulation().fingerprint() == run.simulation().fingerprint());
    const auto& t2 = training(again);
    CHECK(*t2.jobs()[1].started == *b.started);
    CHECK(*t2.jobs()[1].completed == *b.completed);
  }
}

TEST_CASE("control: without Coscheduling two competing jobs run partially", "[training_jobs]") {
  // The same two jobs, but without gang scheduling the default scheduler spreads the four
  // workers over the two nodes as they come: both jobs hold one node each (partial) until
  // the first completes — the deadlock-prone placement gang scheduling exists to avoid.
  const std::string workload =
      "    jobs: 2\n    arrivals: {rate: 2}\n    workers: 2\n    gpusPerWorker: 8\n"
      "    runTime: 5m\n    cpuPerGpu: 1\n    memoryPerGpu: 8Gi\n";
  ScenarioRun run(load(workload, false, "20m"));
  run.run();
  const TrainingJobs& t = training(run);
  sim::Duration longest = 0;
  for (const auto& j : t.jobs()) longest = std::max(longest, j.longest_partial);
  CHECK(longest > sim::kSecond);
  check_invariants(run);
}

TEST_CASE("the Philly training example runs its gangs whole", "[training_jobs]") {
  scenarios::Diagnostics d;
  auto s = scenarios::load_scenario_file(
      std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/philly-training.yaml",
      {"spec.duration=20m", "spec.workloads[0].jobs=150"}, d);
  INFO(d.format());
  REQUIRE(s);
  ScenarioRun run(*s);
  run.run();
  const TrainingJobs& t = training(run);
  CHECK(t.submitted() == 150);
  std::int64_t multi_worker = 0;
  for (std::size_t i = 0; i < t.jobs().size(); ++i) {
    const auto& j = t.jobs()[i];
    const auto& p = t.plan()[i];
    if (p.workers > 1) ++multi_worker;
    CHECK(j.longest_partial < sim::kSecond);
    if (j.started) CHECK(j.max_bound == p.workers);
    if (j.completed) CHECK(j.started);
  }
  CHECK(multi_worker > 0);
  // Started jobs are those whose every worker reached Running.
  CHECK(t.started() <= t.submitted());
  CHECK(t.completed() <= t.started());
  check_invariants(run);
}

TEST_CASE("from: philly alone runs the built-in Philly job mix on the Philly machine list",
          "[training_jobs]") {
  // No sizes, run times or rate: the built-in Philly distributions (docs/traces.md). 60 jobs
  // at 100× compression arrive at ~0.99 jobs/s (2,490 GPUs × 3.98e-6 × 100) and run a
  // median 164 s, so most finish within 30 simulated minutes.
  const std::string machines =
      std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/traces/philly/cluster_machine_list";
  const std::string text =
      "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: philly}\nspec:\n"
      "  seed: 5\n  duration: 30m\n  sampleInterval: 30s\n"
      "  cluster:\n    nodesFrom:\n    - {format: philly, path: " +
      machines + "}\n" + kCoscheduling +
      "  workloads:\n  - name: train\n    type: trainingJobs\n"
      "    from: {format: philly, path: " +
      machines +
      "}\n    jobs: 60\n    timeCompression: 100\n"
      // The machine list gives GPUs only (no CPU or memory), as in philly-training.yaml.
      "    cpuPerGpu: \"0\"\n    memoryPerGpu: \"0\"\n";
  scenarios::Diagnostics d;
  auto s = scenarios::load_scenario_text(text, "philly.yaml", {}, d);
  INFO(d.format());
  REQUIRE(s);
  ScenarioRun run(*s);
  run.run();
  const TrainingJobs& t = training(run);
  CHECK(t.submitted() == 60);
  for (std::size_t i = 0; i < t.jobs().size(); ++i) {
    const auto& p = t.plan()[i];
    const std::int32_t gpus = p.workers * p.gpus_per_worker;
    CHECK((gpus == 1 || gpus == 2 || gpus == 4 || gpus == 8));
    CHECK(p.workers == 1);  // at most 8 GPUs: one worker on one machine
    const auto& j = t.jobs()[i];
    CHECK(j.longest_partial < sim::kSecond);
    if (j.started) CHECK(j.max_bound == p.workers);
  }
  CHECK(t.completed() > 30);
  CHECK(t.completed() <= t.started());
  check_invariants(run);
}

}  // namespace kubesim::experiments
