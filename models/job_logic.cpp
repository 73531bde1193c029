#include "models/job_logic.hpp"

#include <algorithm>
#include <string>

#include "models/replicaset_logic.hpp"

namespace kubesim::models {

std::int32_t job_parallelism(const Job& job) { return job.spec.parallelism.value_or(1); }

namespace {

const Condition* true_condition(const Job& job, std::string_view type) {
  const Condition* c = find_condition(job.status.conditions, type);
  return c != nullptr && c->status == ConditionStatus::kTrue ? c : nullptr;
}

Condition job_condition(std::string_view type, ConditionStatus status, std::string_view reason,
                        std::string_view message, sim::Time now) {
  Condition c;
  c.type = std::string(type);
  c.status = status;
  c.reason = std::string(reason);
  c.message = std::string(message);
  c.last_transition_time = now;
  c.last_heartbeat_time = now;  // lastProbeTime
  return c;
}

// upstream ensureJobConditionStatus: replace when status, reason or message differ; add
// only when the status is not False. Returns whether the list changed.
bool ensure_condition(std::vector<Condition>& list, std::string_view type, ConditionStatus status,
                      std::string_view reason, std::string_view message, sim::Time now) {
  for (Condition& c : list) {
    if (c.type != type) continue;
    if (c.status != status || c.reason != reason || c.message != message) {
      c = job_condition(type, status, reason, message, now);
      return true;
    }
    return false;
  }
  if (status == ConditionStatus::kFalse) return false;
  list.push_back(job_condition(type, status, reason, message, now));
  return true;
}

}  // namespace

bool job_finished(const Job& job) {
  return true_condition(job, kJobComplete) != nullptr || true_condition(job, kJobFailed) != nullptr;
}

// ---- Backoff --------------------------------------------------------------------------------

void record_finished_pods(JobBackoff& backoff, std::span<const sim::Time> succeeded,
                          std::span<const sim::Time> failed) {
  if (succeeded.empty()) {
    if (failed.empty()) return;
    backoff.failures_after_last_success += static_cast<std::int32_t>(failed.size());
    backoff.last_failure_time = *std::max_element(failed.begin(), failed.end());
    return;
  }
  const sim::Time last_success = *std::max_element(succeeded.begin(), succeeded.end());
  backoff.failures_after_last_success = 0;
  backoff.last_failure_time.reset();
  for (sim::Time t : failed) {
    if (t <= last_success) continue;  // upstream counts only failures after the success
    ++backoff.failures_after_last_success;
    if (!backoff.last_failure_time || t > *backoff.last_failure_time) backoff.last_failure_time = t;
  }
}

sim::Duration job_backoff_delay(std::int32_t failures, sim::Duration base, sim::Duration cap) {
  if (failures <= 0) return 0;
  sim::Duration d = base;
  for (std::int32_t i = 1; i < failures; ++i) {
    d *= 2;
    if (d >= cap) return cap;
  }
  return d;
}

sim::Duration remaining_backoff(const JobBackoff& backoff, sim::Time now, sim::Duration base,
                                sim::Duration cap) {
  if (backoff.failures_after_last_success == 0 || !backoff.last_failure_time) return 0;
  const sim::Duration d = job_backoff_delay(backoff.failures_after_last_success, base, cap);
  const sim::Duration elapsed = now - *backoff.last_failure_time;
  return d < elapsed ? 0 : d - elapsed;
}

// ---- Sync -----------------------------------------------------------------------------------

JobSyncResult sync_job(const Job& job, std::span<const Pod* const> pods, JobTally tally,
                       const JobBackoff& backoff, sim::Time now) {
  JobSyncResult r;
  r.status = job.status;
  if (job_finished(job)) {
    r.finished = true;
    return r;
  }
  std::vector<const Pod*> active_pods;
  std::int32_t terminating = 0;
  for (const Pod* p : pods) {
    if (is_pod_active(*p)) active_pods.push_back(p);
    if (is_pod_terminating(*p)) ++terminating;
  }
  auto active = static_cast<std::int32_t>(active_pods.size());
  std::int32_t ready = 0;
  for (const Pod* p : active_pods) ready += p->ready() ? 1 : 0;
  JobStatus& s = r.status;
  s.succeeded = tally.succeeded;
  s.failed = tally.failed;
  const bool suspended = job.spec.suspend;
  if (!s.start_time && !suspended) s.start_time = now;

  auto requeue = [&r](sim::Duration d) {
    if (!r.requeue_after || d < *r.requeue_after) r.requeue_after = d;
  };

  // The terminal condition this sync heads for, if any.
  std::optional<Condition> interim;  // FailureTarget / SuccessCriteriaMet to add now
  std::optional<Condition> terminal;
  if (const Condition* ft = true_condition(job, kJobFailureTarget)) {
    terminal = job_condition(kJobFailed, ConditionStatus::kTrue, ft->reason, ft->message, now);
  } else if (const Condition* sc = true_condition(job, kJobSuccessCriteriaMet)) {
    terminal = job_condition(kJobComplete, ConditionStatus::kTrue, sc->reason, sc->message, now);
  } else if (s.failed > job.spec.backoff_limit) {
    interim =
        job_condition(kJobFailureTarget, ConditionStatus::kTrue, kJobReasonBackoffLimitExceeded,
                      "Job has reached the specified backoff limit", now);
  } else if (job.spec.active_deadline_seconds && s.start_time && !suspended &&
             now - *s.start_time >= sim::seconds(*job.spec.active_deadline_seconds)) {
    interim = job_condition(kJobFailureTarget, ConditionStatus::kTrue, kJobReasonDeadlineExceeded,
                            "Job was active longer than specified deadline", now);
  } else if (job.spec.active_deadline_seconds && s.start_time && !suspended) {
    requeue(*s.start_time + sim::seconds(*job.spec.active_deadline_seconds) - now);
  }
  if (interim) {
    terminal =
        job_condition(kJobFailed, ConditionStatus::kTrue, interim->reason, interim->message, now);
  }

  auto delete_pods = [&](std::vector<const Pod*> victims) {
    for (const Pod* p : victims) ready -= p->ready() ? 1 : 0;
    const auto n = static_cast<std::int32_t>(victims.size());
    active -= n;
    terminating += n;  // upstream: *jobCtx.terminating += deleted
    r.deletes = std::move(victims);
  };

  if (terminal) {
    // upstream deleteActivePods: every active pod goes, no per-sync cap.
    delete_pods(active_pods);
  } else {
    // manageJob
    if (suspended) {
      std::vector<const Pod*> victims = order_active_pods(active_pods);
      if (victims.size() > static_cast<std::size_t>(kMaxPodCreateDeletePerSync)) {
        victims.resize(static_cast<std::size_t>(kMaxPodCreateDeletePerSync));
      }
      delete_pods(std::move(victims));
    } else {
      const std::int32_t parallelism = job_parallelism(job);
      std::int32_t want = 0;
      if (!job.spec.completions) {
        // Work-queue Job: once a pod succeeded, let the running ones finish.
        want = s.succeeded > 0 ? active : parallelism;
      } else {
        want = std::clamp(*job.spec.completions - s.succeeded, 0, parallelism);
      }
      const std::int32_t excess = std::max(active - want, 0);
      if (excess > 0) {
        std::vector<const Pod*> victims = order_active_pods(active_pods);
        victims.resize(static_cast<std::size_t>(std::min(excess, kMaxPodCreateDeletePerSync)));
        delete_pods(std::move(victims));
      } else if (const std::int32_t diff = want - active; diff > 0) {
        const sim::Duration wait = remaining_backoff(backoff, now);
        if (wait > 0) {
          requeue(wait);
        } else {
          r.creates = std::min(diff, kMaxPodCreateDeletePerSync);
          active += r.creates;
        }
      }
    }
    const bool complete = job.spec.completions ? s.succeeded >= *job.spec.completions && active == 0
                                               : s.succeeded > 0 && active == 0;
    if (complete) {
      interim = job_condition(kJobSuccessCriteriaMet, ConditionStatus::kTrue,
                              kJobReasonCompletionsReached,
                              "Reached expected number of succeeded pods", now);
      terminal = job_condition(kJobComplete, ConditionStatus::kTrue, kJobReasonCompletionsReached,
                               "Reached expected number of succeeded pods", now);
    } else if (suspended) {
      ensure_condition(s.conditions, kJobSuspended, ConditionStatus::kTrue, kJobReasonSuspended,
                       "Job suspended", now);
    } else if (ensure_condition(s.conditions, kJobSuspended, ConditionStatus::kFalse,
                                kJobReasonResumed, "Job resumed", now)) {
      s.start_time = now;  // resumed: the active deadline counts from now
    }
  }

  if (interim) s.conditions.push_back(*interim);
  // v1.34 delays the terminal condition until no pod of the Job is terminating.
  if (terminal && terminating == 0) {
    ensure_condition(s.conditions, terminal->type, ConditionStatus::kTrue, terminal->reason,
                     terminal->message, now);
    if (terminal->type == kJobComplete) s.completion_time = now;
    r.finished = true;
  }
  s.active = active;
  s.ready = ready;
  s.terminating = terminating;
  return r;
}

}  // namespace kubesim::models
