// TrainingJobs: the runtime of one trainingJobs workload (scenarios/training_jobs.hpp) —
// creates each planned job's PodGroup and Job at its arrival time and follows its workers.
//
// At a job's arrival the PodGroup is registered in the run's RuntimePodGroups (kubesim
// keeps scheduling.x-k8s.io PodGroups outside the API server: the Coscheduling plugin reads
// them through PluginContext::pod_group, which consults RuntimePodGroups), then the Job is
// created through the cluster's applier client (like `kubectl apply`), one pending arrival
// event at a time. The Job controller creates the workers; Coscheduling holds them at Permit
// until minMember (= workers) are assumed, then lets all bind.
//
// RuntimePodGroups also counts, per group, the pods carrying its label that exist (any
// phase): upstream core.go PreFilter lists them with the pod lister; the count is kept from
// a watch on the pod store (synchronous with the write, so never behind the scheduler's
// informer).
//
// Per job it records: submitted (the Job create was sent), started (the last of its workers
// reached Running; queueing delay = started − submitted), completed (every worker
// Succeeded), failed (a worker Failed). Metrics (docs/metrics.md), with <name> the
// workload's name:
//   <name>.jobs_submitted / jobs_started / jobs_completed / jobs_failed     counters
//   <name>.queueing_delay        histogram, seconds: submit → the last worker Running
//   <name>.job_completion_time   histogram, seconds: submit → all workers Succeeded
//   <name>.gpus_allocated        gauge: GPUs requested by bound, non-terminal workers
// and timeseries.csv columns <name>.jobs_submitted, .jobs_pending (submitted, not started),
// .jobs_running, .jobs_completed, .gpus_allocated.
//
// Not thread-safe. Owned by the run; destroy before the cluster (it watches the pod store).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/cluster.hpp"
#include "policies/registry.hpp"
#include "scenarios/training_jobs.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::experiments {

// PodGroups created while the run goes on, by namespace/name.
class RuntimePodGroups {
 public:
  using Info = policies::PluginContext::PodGroupInfo;
  // Registers (or replaces) a group; its member count starts at 0.
  void add(const models::PodGroup& group);
  // The pods with the group's label that exist now.
  void set_members(std::string_view namespace_, std::string_view name, std::int32_t members);
  std::optional<Info> find(std::string_view namespace_, std::string_view name) const;
  std::size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, Info, std::less<>> by_key_;
};

class TrainingJobs {
 public:
  struct JobRecord {
    sim::Time submitted = -1;  // -1: not yet
    std::optional<sim::Time> started;
    std::optional<sim::Time> completed;
    std::optional<sim::Time> failed;
    std::int32_t existing = 0;      // worker pods that exist (any phase)
    std::int32_t bound = 0;         // bound and not terminal
    std::int32_t running = 0;       // phase Running
    std::int32_t ever_running = 0;  // workers that have reached Running (or finished)
    std::int32_t succeeded = 0;
    std::int32_t max_bound = 0;  // most workers bound at once
    // Longest time the job spent with 0 < bound < workers before all its workers were bound
    // (binding in flight): a gang binds its members back to back, so this stays at the API
    // round trips.
    sim::Duration longest_partial = 0;
    std::optional<sim::Time> partial_since;
  };

  TrainingJobs(sim::Simulation& sim, sim::MetricRegistry& metrics, models::Cluster& cluster,
               sim::Sampler* sampler, const scenarios::TrainingJobsSpec& spec,
               std::vector<scenarios::PlannedTrainingJob> plan,
               std::shared_ptr<RuntimePodGroups> groups);
  ~TrainingJobs();
  TrainingJobs(const TrainingJobs&) = delete;
  TrainingJobs& operator=(const TrainingJobs&) = delete;

  const scenarios::TrainingJobsSpec& spec() const { return spec_; }
  const std::vector<scenarios::PlannedTrainingJob>& plan() const { return plan_; }
  const std::vector<JobRecord>& jobs() const { return jobs_; }
  std::int64_t submitted() const { return submitted_n_; }
  std::int64_t started() const { return started_n_; }
  std::int64_t completed() const { return completed_n_; }
  std::int64_t running() const { return running_jobs_; }
  std::int64_t gpus_allocated() const { return gpus_allocated_; }

 private:
  struct PodRecord {
    std::uint32_t job = 0;
    bool bound = false;
    bool running = false;
    bool ever_running = false;
    bool succeeded = false;
    bool failed = false;
  };
  void next_arrival();
  void on_pod(const models::WatchEvent<models::Pod>& e);
  void update_partial(JobRecord& job, std::int32_t workers);

  sim::Simulation& sim_;
  models::Cluster& cluster_;
  const scenarios::TrainingJobsSpec& spec_;
  std::vector<scenarios::PlannedTrainingJob> plan_;
  std::shared_ptr<RuntimePodGroups> groups_;
  std::vector<JobRecord> jobs_;
  std::map<std::string, std::uint32_t, std::less<>> job_by_name_;
  std::map<std::string, PodRecord, std::less<>> pods_;  // by pod key
  std::size_t arrived_ = 0;
  std::uint64_t watch_ = 0;
  std::int64_t submitted_n_ = 0;
  std::int64_t started_n_ = 0;
  std::int64_t completed_n_ = 0;
  std::int64_t running_jobs_ = 0;  // started, not completed or failed
  std::int64_t gpus_allocated_ = 0;
  sim::Counter& submitted_c_;
  sim::Counter& started_c_;
  sim::Counter& completed_c_;
  sim::Counter& failed_c_;
  sim::Histogram& queueing_delay_;
  sim::Histogram& completion_time_;
  sim::Gauge& gpus_allocated_g_;
};

}  // namespace kubesim::experiments
