#include "experiments/training_jobs.hpp"

#include <utility>

#include "models/object_store.hpp"

namespace kubesim::experiments {

void RuntimePodGroups::add(const models::PodGroup& group) {
  Info info = policies::pod_group_info(group);
  info.members = 0;
  by_key_[models::object_key(group.metadata.namespace_, group.metadata.name)] = info;
}

void RuntimePodGroups::set_members(std::string_view namespace_, std::string_view name,
                                   std::int32_t members) {
  auto it = by_key_.find(models::object_key(namespace_, name));
  if (it != by_key_.end()) it->second.members = members;
}

std::optional<RuntimePodGroups::Info> RuntimePodGroups::find(std::string_view namespace_,
                                                             std::string_view name) const {
  auto it = by_key_.find(models::object_key(namespace_, name));
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

TrainingJobs::TrainingJobs(sim::Simulation& sim, sim::MetricRegistry& metrics,
                           models::Cluster& cluster, sim::Sampler* sampler,
                           const scenarios::TrainingJobsSpec& spec,
                           std::vector<scenarios::PlannedTrainingJob> plan,
                           std::shared_ptr<RuntimePodGroups> groups)
    : sim_(sim),
      cluster_(cluster),
      spec_(spec),
      plan_(std::move(plan)),
      groups_(std::move(groups)),
      jobs_(plan_.size()),
      submitted_c_(metrics.counter(spec.name + ".jobs_submitted")),
      started_c_(metrics.counter(spec.name + ".jobs_started")),
      completed_c_(metrics.counter(spec.name + ".jobs_completed")),
      failed_c_(metrics.counter(spec.name + ".jobs_failed")),
      queueing_delay_(metrics.histogram(spec.name + ".queueing_delay")),
      completion_time_(metrics.histogram(spec.name + ".job_completion_time")),
      gpus_allocated_g_(metrics.gauge(spec.name + ".gpus_allocated")) {
  for (std::uint32_t i = 0; i < plan_.size(); ++i) job_by_name_.emplace(plan_[i].name, i);
  const std::string& workload = spec_.name;
  const std::string& ns = spec_.namespace_;
  auto filter = [workload, ns](const models::Pod& p) {
    const std::string* w = p.metadata.labels.find(scenarios::kTrainingWorkloadLabel);
    return p.metadata.namespace_ == ns && w != nullptr && *w == workload;
  };
  auto watched = cluster_.api().pods().watch(
      0, filter, [this](const models::WatchEvent<models::Pod>& e) { on_pod(e); });
  watch_ = watched.ok() ? watched.value() : 0;
  if (sampler != nullptr) {
    const std::string& n = spec_.name;
    sampler->add_column(n + ".jobs_submitted",
                        [this] { return static_cast<double>(submitted_n_); });
    sampler->add_column(n + ".jobs_pending",
                        [this] { return static_cast<double>(submitted_n_ - started_n_); });
    sampler->add_column(n + ".jobs_running", [this] { return static_cast<double>(running_jobs_); });
    sampler->add_column(n + ".jobs_completed",
                        [this] { return static_cast<double>(completed_n_); });
    sampler->add_column(n + ".gpus_allocated",
                        [this] { return static_cast<double>(gpus_allocated_); });
  }
  next_arrival();
}

TrainingJobs::~TrainingJobs() {
  if (watch_ != 0) cluster_.api().pods().cancel_watch(watch_);
}

void TrainingJobs::next_arrival() {
  if (arrived_ >= plan_.size()) return;
  sim_.schedule_at(std::max(sim_.now(), plan_[arrived_].arrival), [this] {
    const std::size_t i = arrived_++;
    const scenarios::PlannedTrainingJob& p = plan_[i];
    // The PodGroup first, so the Job's pods find it (kubectl apply of a gang: PodGroup, then
    // the workload).
    groups_->add(scenarios::training_pod_group(spec_, p));
    groups_->set_members(spec_.namespace_, p.name, jobs_[i].existing);
    jobs_[i].submitted = sim_.now();
    ++submitted_n_;
    submitted_c_.add();
    cluster_.apply_now(scenarios::training_job(spec_, p));
    next_arrival();
  });
}

void TrainingJobs::update_partial(JobRecord& job, std::int32_t workers) {
  // Only on the way up: once every worker was bound, workers finishing one by one is not a
  // partial gang.
  const bool partial = job.bound > 0 && job.bound < workers && job.max_bound < workers;
  if (partial && !job.partial_since) job.partial_since = sim_.now();
  if (!partial && job.partial_since) {
    job.longest_partial = std::max(job.longest_partial, sim_.now() - *job.partial_since);
    job.partial_since.reset();
  }
}

void TrainingJobs::on_pod(const models::WatchEvent<models::Pod>& e) {
  const models::Pod& pod = *e.object;
  const std::string* group = pod.metadata.labels.find(models::kPodGroupLabel);
  if (group == nullptr) return;
  auto j = job_by_name_.find(*group);
  if (j == job_by_name_.end()) return;
  const std::uint32_t index = j->second;
  JobRecord& job = jobs_[index];
  const scenarios::PlannedTrainingJob& plan = plan_[index];
  const std::string key = models::object_key(pod.metadata.namespace_, pod.metadata.name);
  auto it = pods_.find(key);
  if (it == pods_.end()) {
    if (e.type == models::WatchEventType::kDeleted) return;
    it = pods_.emplace(key, PodRecord{index}).first;
    ++job.existing;
  }
  PodRecord& rec = it->second;
  const bool deleted = e.type == models::WatchEventType::kDeleted;
  const bool bound = !deleted && pod.bound() && !pod.terminal();
  const bool running = !deleted && pod.status.phase == models::PodPhase::kRunning;
  const bool succeeded = !deleted && pod.status.phase == models::PodPhase::kSucceeded;
  const bool failed = !deleted && pod.status.phase == models::PodPhase::kFailed;
  if (bound != rec.bound) {
    job.bound += bound ? 1 : -1;
    gpus_allocated_ += (bound ? 1 : -1) * static_cast<std::int64_t>(plan.gpus_per_worker);
    gpus_allocated_g_.set(static_cast<double>(gpus_allocated_));
    job.max_bound = std::max(job.max_bound, job.bound);
  }
  if (running != rec.running) job.running += running ? 1 : -1;
  // A worker with a short run time may finish before its last sibling starts: reaching
  // Running or Succeeded both count as having started.
  if ((running || succeeded) && !rec.ever_running) {
    rec.ever_running = true;
    ++job.ever_running;
  }
  if (succeeded && !rec.succeeded) ++job.succeeded;
  rec.bound = bound;
  rec.running = running;
  rec.succeeded = rec.succeeded || succeeded;
  const bool newly_failed = failed && !rec.failed;
  rec.failed = rec.failed || failed;
  update_partial(job, plan.workers);

  const sim::Time now = sim_.now();
  if (!job.started && job.ever_running == plan.workers) {
    job.started = now;
    ++started_n_;
    ++running_jobs_;
    started_c_.add();
    queueing_delay_.record_duration(now - job.submitted);
  }
  if (!job.completed && !job.failed && job.succeeded == plan.workers) {
    job.completed = now;
    ++completed_n_;
    if (job.started) --running_jobs_;
    completed_c_.add();
    completion_time_.record_duration(now - job.submitted);
  }
  if (newly_failed && !job.failed && !job.completed) {
    job.failed = now;
    if (job.started) --running_jobs_;
    failed_c_.add();
  }
  if (deleted) {
    pods_.erase(it);
    --job.existing;
  }
  groups_->set_members(pod.metadata.namespace_, *group, job.existing);
}

}  // namespace kubesim::experiments
