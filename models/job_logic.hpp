// Job controller decisions (kube-controller-manager v1.34) for NonIndexed Jobs as pure
// functions: how many pods to create or delete, the pod-failure backoff before new pods,
// the backoff limit and active deadline, completion, suspension, and the status counts.
//
// Upstream sources reproduced (kubernetes/kubernetes v1.34, pkg/controller/job/):
//   job_controller.go   syncJob, manageJob (wantActive from parallelism and completions,
//                       MaxPodCreateDeletePerSync 500, slow-start creation batches),
//                       pastActiveDeadline, newFailureCondition / newSuccessCondition,
//                       enactJobFinished, delayTerminalCondition, deleteActivePods,
//                       ensureJobConditionStatus (Suspended / resumed),
//                       DefaultJobPodFailureBackOff 10 s, MaxJobPodFailureBackOff 10 min
//   backoff_utils.go    backoffRecord, newBackoffRecord, getRemainingTimeForFailuresCount
//
// Terminal conditions go through the interim ones, as v1.34 does (JobPodReplacementPolicy
// is GA, so delayTerminalCondition() is true): a failure first adds FailureTarget and
// deletes the active pods, Failed follows once no pod of the Job is terminating; success
// adds SuccessCriteriaMet (reason CompletionsReached) and Complete follows the same way.
//
// Counting: upstream tracks finished pods with finalizers so status.succeeded/failed are
// cumulative even after pods are deleted (a pod deleted before it finished counts as
// failed). The runtime keeps those cumulative counts and passes them in (JobTally); this
// file counts only what the present pods show (active, ready, terminating).
//
// Left out: Indexed completion mode, podFailurePolicy, successPolicy,
// backoffLimitPerIndex, podReplacementPolicy Failed, the OnFailure restart-count limit
// (pods carry no container restart counts), managedBy, ttlSecondsAfterFinished.
//
// The docs (concepts/workloads/controllers/job) say the backoff is "capped at six
// minutes"; the code caps it at MaxJobPodFailureBackOff = 10 minutes (10, 20, 40, 80, 160,
// 320, 600 s). We follow the code; the cap is a parameter.
//
// Thread-safety: pure functions over values the caller owns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

inline constexpr sim::Duration kDefaultJobPodFailureBackOff = sim::seconds(10);
inline constexpr sim::Duration kMaxJobPodFailureBackOff = sim::minutes(10);
inline constexpr std::int32_t kMaxPodCreateDeletePerSync = 500;
// upstream job_controller.go syncJobBatchPeriod: pod events and Job status updates sync the
// Job once, this long after the first of them.
inline constexpr sim::Duration kSyncJobBatchPeriod = sim::seconds(1);

inline constexpr std::string_view kJobReasonBackoffLimitExceeded = "BackoffLimitExceeded";
inline constexpr std::string_view kJobReasonDeadlineExceeded = "DeadlineExceeded";
inline constexpr std::string_view kJobReasonCompletionsReached = "CompletionsReached";
inline constexpr std::string_view kJobReasonSuspended = "JobSuspended";
inline constexpr std::string_view kJobReasonResumed = "JobResumed";

// parallelism, defaulted to 1.
std::int32_t job_parallelism(const Job& job);
// The Job has a Complete or Failed condition with status True.
bool job_finished(const Job& job);

// ---- Pod failure backoff ------------------------------------------------------------------

// upstream backoffRecord: failures since the last success and when the last one finished.
struct JobBackoff {
  std::int32_t failures_after_last_success = 0;
  std::optional<sim::Time> last_failure_time;
};

// upstream newBackoffRecord with the finish times of pods that finished since the last
// sync: without new successes, failures add up; with one, only failures after the latest
// success count.
void record_finished_pods(JobBackoff& backoff, std::span<const sim::Time> succeeded_finish_times,
                          std::span<const sim::Time> failed_finish_times);

// The delay after `failures` consecutive failures: base × 2^(failures-1), capped at `cap`;
// 0 for no failure.
sim::Duration job_backoff_delay(std::int32_t failures,
                                sim::Duration base = kDefaultJobPodFailureBackOff,
                                sim::Duration cap = kMaxJobPodFailureBackOff);
// upstream getRemainingTime: how long pod creation still waits at `now`.
sim::Duration remaining_backoff(const JobBackoff& backoff, sim::Time now,
                                sim::Duration base = kDefaultJobPodFailureBackOff,
                                sim::Duration cap = kMaxJobPodFailureBackOff);

// ---- Sync -----------------------------------------------------------------------------------

// The Job's cumulative finished pods (status.succeeded / status.failed plus the pods that
// finished, or were deleted unfinished, since they were last counted).
struct JobTally {
  std::int32_t succeeded = 0;
  std::int32_t failed = 0;
};

struct JobSyncResult {
  std::int32_t creates = 0;         // in slow-start batches (slow_start_batches)
  std::vector<const Pod*> deletes;  // active pods to delete, in deletion order
  JobStatus status;                 // the status to write (conditions included)
  // Sync again after this long: the remaining pod-failure backoff, or the time left to
  // activeDeadlineSeconds.
  std::optional<sim::Duration> requeue_after;
  bool finished = false;  // Complete or Failed is (now) set
};

// upstream syncJob + manageJob for a NonIndexed Job. `pods`: every pod the Job owns (any
// phase). REQUIRES: the Job's earlier creations and deletions have been observed (upstream
// expectations); the runtime holds the sync until then.
JobSyncResult sync_job(const Job& job, std::span<const Pod* const> pods, JobTally tally,
                       const JobBackoff& backoff, sim::Time now);

}  // namespace kubesim::models
