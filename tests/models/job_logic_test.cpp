// Tests for models/job_logic: manageJob's create/delete counts, the pod-failure backoff,
// backoffLimit and activeDeadlineSeconds failures, completion through the interim
// conditions, suspension.
//
// Cases follow upstream v1.34 tests (black-box, cited per TEST_CASE):
//   pkg/controller/job/job_controller_test.go  TestControllerSyncJob (named cases)
//   pkg/controller/job/backoff_utils_test.go   TestGetRemainingBackoffTime,
//                                              TestNewBackoffRecord
// with the expected values re-derived by hand from job_controller.go.
#include "models/job_logic.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

namespace {

using namespace kubesim::models;
using kubesim::sim::Duration;
using kubesim::sim::minutes;
using kubesim::sim::seconds;
using kubesim::sim::Time;

Job make_job(std::optional<std::int32_t> parallelism, std::optional<std::int32_t> completions,
             std::int32_t backoff_limit = 6) {
  Job j;
  j.metadata.name = "batch";
  j.spec.parallelism = parallelism;
  j.spec.completions = completions;
  j.spec.backoff_limit = backoff_limit;
  j.spec.template_.spec.restart_policy = RestartPolicy::kNever;
  return j;
}

// Pods in the given phases; `ready` of the running ones are Ready.
struct PodSet {
  std::deque<Pod> pods;
  Pod& add(PodPhase phase, bool ready = false, Time created = 0) {
    Pod p;
    p.metadata.name = "p" + std::to_string(pods.size());
    p.metadata.creation_timestamp = created;
    p.spec.node_name = "n1";
    p.status.phase = phase;
    if (ready) {
      Condition c;
      c.type = std::string(kPodReady);
      c.status = ConditionStatus::kTrue;
      p.status.conditions.push_back(c);
    }
    pods.push_back(p);
    return pods.back();
  }
  std::vector<const Pod*> view() const {
    std::vector<const Pod*> v;
    for (const Pod& p : pods) v.push_back(&p);
    return v;
  }
};

const Condition* cond(const JobStatus& s, std::string_view type) {
  return find_condition(s.conditions, type);
}

}  // namespace

TEST_CASE("manageJob create and delete counts (TestControllerSyncJob cases)", "[job]") {
  struct Case {
    const char* name;
    std::optional<std::int32_t> parallelism, completions;
    int pending, running, succeeded;
    std::int32_t creates, deletes, active;
    bool complete;
  };
  const Case cases[] = {
      {"job start", 2, 5, 0, 0, 0, 2, 0, 2, false},
      {"WQ job start", 2, std::nullopt, 0, 0, 0, 2, 0, 2, false},
      {"pending pods", 2, 5, 2, 0, 0, 0, 0, 2, false},
      {"correct # of pods", 3, 5, 0, 2, 0, 1, 0, 3, false},
      {"too few active pods", 2, 5, 0, 1, 1, 1, 0, 2, false},
      {"too many active pods", 2, 5, 0, 3, 0, 0, 1, 2, false},
      {"job finish", 2, 5, 0, 0, 5, 0, 0, 0, true},
      {"WQ job finishing", 2, std::nullopt, 0, 1, 1, 0, 0, 1, false},
      {"WQ job all finished", 2, std::nullopt, 0, 0, 2, 0, 0, 0, true},
      {"more active pods than parallelism", 2, 5, 0, 10, 0, 0, 8, 2, false},
      {"more active pods than remaining completions", 3, 4, 0, 3, 2, 0, 1, 2, false},
      {"status change", 2, 5, 0, 2, 2, 0, 0, 2, false},
      {"parallelism unset defaults to 1", std::nullopt, 3, 0, 0, 0, 1, 0, 1, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Job job = make_job(c.parallelism, c.completions);
    PodSet ps;
    for (int i = 0; i < c.pending; ++i) ps.add(PodPhase::kPending);
    for (int i = 0; i < c.running; ++i) ps.add(PodPhase::kRunning, true);
    for (int i = 0; i < c.succeeded; ++i) ps.add(PodPhase::kSucceeded);
    const JobSyncResult r = sync_job(job, ps.view(), JobTally{c.succeeded, 0}, JobBackoff{}, 0);
    CHECK(r.creates == c.creates);
    CHECK(static_cast<std::int32_t>(r.deletes.size()) == c.deletes);
    CHECK(r.status.active == c.active);
    CHECK(r.status.succeeded == c.succeeded);
    CHECK(r.finished == c.complete);
    if (c.complete) {
      // SuccessCriteriaMet then Complete in the same sync: nothing is terminating.
      REQUIRE(cond(r.status, kJobSuccessCriteriaMet) != nullptr);
      REQUIRE(cond(r.status, kJobComplete) != nullptr);
      CHECK(cond(r.status, kJobComplete)->reason == kJobReasonCompletionsReached);
      CHECK(r.status.completion_time == Time{0});
    }
  }
}

TEST_CASE("extra pods deleted at completion delay Complete until they terminate", "[job]") {
  // completions 4, 4 succeeded, 1 still running (parallelism 2): want 0 -> delete it;
  // SuccessCriteriaMet now, Complete once the pod is gone.
  Job job = make_job(2, 4);
  PodSet ps;
  for (int i = 0; i < 4; ++i) ps.add(PodPhase::kSucceeded);
  Pod& extra = ps.add(PodPhase::kRunning, true);
  JobSyncResult r = sync_job(job, ps.view(), JobTally{4, 0}, JobBackoff{}, seconds(10));
  REQUIRE(r.deletes.size() == 1);
  CHECK(r.deletes[0] == &extra);
  CHECK(r.status.terminating == 1);
  CHECK(cond(r.status, kJobSuccessCriteriaMet) != nullptr);
  CHECK(cond(r.status, kJobComplete) == nullptr);
  CHECK_FALSE(r.finished);
  job.status = r.status;
  extra.metadata.deletion_timestamp = seconds(10);
  r = sync_job(job, ps.view(), JobTally{4, 0}, JobBackoff{}, seconds(11));
  CHECK(cond(r.status, kJobComplete) == nullptr);  // still terminating
  job.status = r.status;
  extra.status.phase = PodPhase::kFailed;  // killed; the runtime counts it failed
  r = sync_job(job, ps.view(), JobTally{4, 1}, JobBackoff{}, seconds(40));
  REQUIRE(cond(r.status, kJobComplete) != nullptr);
  CHECK(r.status.completion_time == seconds(40));
  CHECK(r.finished);
}

TEST_CASE("pod failure backoff doubles from 10 s and is capped at 10 minutes", "[job]") {
  CHECK(job_backoff_delay(0) == 0);
  CHECK(job_backoff_delay(1) == seconds(10));
  CHECK(job_backoff_delay(2) == seconds(20));
  CHECK(job_backoff_delay(6) == seconds(320));
  CHECK(job_backoff_delay(7) == seconds(600));  // 640 s capped
  CHECK(job_backoff_delay(30) == minutes(10));
  // The cap is a parameter: with the documented "six minutes" the 7th is 360 s.
  CHECK(job_backoff_delay(7, seconds(10), minutes(6)) == seconds(360));

  // backoff_utils_test.go TestGetRemainingBackoffTime (defaultBackoff 5 s, max 700 s).
  JobBackoff b;
  CHECK(remaining_backoff(b, seconds(100), seconds(5), seconds(700)) == 0);
  b.failures_after_last_success = 1;
  b.last_failure_time = seconds(100);
  CHECK(remaining_backoff(b, seconds(100), seconds(5), seconds(700)) == seconds(5));
  CHECK(remaining_backoff(b, seconds(101), seconds(5), seconds(700)) == seconds(4));
  b.failures_after_last_success = 2;
  CHECK(remaining_backoff(b, seconds(100), seconds(5), seconds(700)) == seconds(10));
  b.failures_after_last_success = 3;
  CHECK(remaining_backoff(b, seconds(101), seconds(5), seconds(700)) == seconds(19));
  b.failures_after_last_success = 20;
  CHECK(remaining_backoff(b, seconds(100), seconds(5), seconds(700)) == seconds(700));
  CHECK(remaining_backoff(b, seconds(900), seconds(5), seconds(700)) == 0);
}

TEST_CASE("backoff record counts failures after the last success", "[job]") {
  JobBackoff b;
  const std::vector<Time> none;
  const std::vector<Time> f1{seconds(10), seconds(30)};
  record_finished_pods(b, none, f1);
  CHECK(b.failures_after_last_success == 2);
  CHECK(b.last_failure_time == seconds(30));
  const std::vector<Time> f2{seconds(40)};
  record_finished_pods(b, none, f2);
  CHECK(b.failures_after_last_success == 3);
  // A success at 50 s with failures at 45 s and 60 s: only the one after it counts.
  const std::vector<Time> s{seconds(50)};
  const std::vector<Time> f3{seconds(45), seconds(60)};
  record_finished_pods(b, s, f3);
  CHECK(b.failures_after_last_success == 1);
  CHECK(b.last_failure_time == seconds(60));
  record_finished_pods(b, s, none);
  CHECK(b.failures_after_last_success == 0);
  CHECK_FALSE(b.last_failure_time.has_value());
}

TEST_CASE("a failed pod delays its replacement by the backoff", "[job]") {
  Job job = make_job(1, 1);
  PodSet ps;
  ps.add(PodPhase::kFailed);
  JobBackoff b;
  const std::vector<Time> failed{seconds(100)};
  record_finished_pods(b, {}, failed);
  JobSyncResult r = sync_job(job, ps.view(), JobTally{0, 1}, b, seconds(104));
  CHECK(r.creates == 0);
  REQUIRE(r.requeue_after.has_value());
  CHECK(*r.requeue_after == seconds(6));
  r = sync_job(job, ps.view(), JobTally{0, 1}, b, seconds(110));
  CHECK(r.creates == 1);
  CHECK(r.status.failed == 1);
}

TEST_CASE("backoffLimit exceeded: FailureTarget, active pods deleted, then Failed", "[job]") {
  // TestControllerSyncJob "too many job failures" with backoffLimit 0, one pod failed and
  // one still running.
  Job job = make_job(2, 5, 0);
  PodSet ps;
  ps.add(PodPhase::kFailed);
  Pod& running = ps.add(PodPhase::kRunning, true);
  JobSyncResult r = sync_job(job, ps.view(), JobTally{0, 1}, JobBackoff{}, seconds(20));
  REQUIRE(cond(r.status, kJobFailureTarget) != nullptr);
  CHECK(cond(r.status, kJobFailureTarget)->reason == kJobReasonBackoffLimitExceeded);
  CHECK(cond(r.status, kJobFailed) == nullptr);
  REQUIRE(r.deletes.size() == 1);
  CHECK(r.deletes[0] == &running);
  CHECK(r.creates == 0);
  CHECK(r.status.active == 0);
  CHECK(r.status.ready == 0);
  job.status = r.status;
  running.status.phase = PodPhase::kFailed;
  running.metadata.deletion_timestamp = seconds(20);
  r = sync_job(job, ps.view(), JobTally{0, 2}, JobBackoff{}, seconds(50));
  REQUIRE(cond(r.status, kJobFailed) != nullptr);
  CHECK(cond(r.status, kJobFailed)->reason == kJobReasonBackoffLimitExceeded);
  CHECK(cond(r.status, kJobFailed)->last_transition_time == seconds(50));
  CHECK_FALSE(r.status.completion_time.has_value());
  CHECK(r.finished);
  // backoffLimit 6 (default): 6 failures are not yet too many, 7 are.
  Job j6 = make_job(1, 1);
  CHECK(cond(sync_job(j6, {}, JobTally{0, 6}, JobBackoff{}, 0).status, kJobFailureTarget) ==
        nullptr);
  CHECK(cond(sync_job(j6, {}, JobTally{0, 7}, JobBackoff{}, 0).status, kJobFailureTarget) !=
        nullptr);
}

TEST_CASE("activeDeadlineSeconds: requeue until the deadline, then DeadlineExceeded", "[job]") {
  Job job = make_job(1, 1);
  job.spec.active_deadline_seconds = 30;
  job.status.start_time = seconds(100);
  PodSet ps;
  ps.add(PodPhase::kRunning, true);
  JobSyncResult r = sync_job(job, ps.view(), JobTally{}, JobBackoff{}, seconds(110));
  REQUIRE(r.requeue_after.has_value());
  CHECK(*r.requeue_after == seconds(20));
  CHECK(cond(r.status, kJobFailureTarget) == nullptr);
  r = sync_job(job, ps.view(), JobTally{}, JobBackoff{}, seconds(130));  // >= deadline
  REQUIRE(cond(r.status, kJobFailureTarget) != nullptr);
  CHECK(cond(r.status, kJobFailureTarget)->reason == kJobReasonDeadlineExceeded);
  CHECK(r.deletes.size() == 1);
  // A fresh Job gets its startTime on the first sync.
  Job fresh = make_job(1, 1);
  CHECK(sync_job(fresh, {}, JobTally{}, JobBackoff{}, seconds(7)).status.start_time == seconds(7));
}

TEST_CASE("suspending deletes active pods; resuming recreates them and resets startTime", "[job]") {
  // TestControllerSyncJob "suspending a job with satisfied expectations" and "resuming a
  // suspended job".
  Job job = make_job(2, 4);
  job.spec.suspend = true;
  job.status.start_time = seconds(1);
  PodSet ps;
  ps.add(PodPhase::kRunning, true);
  ps.add(PodPhase::kRunning, true);
  JobSyncResult r = sync_job(job, ps.view(), JobTally{}, JobBackoff{}, seconds(5));
  CHECK(r.deletes.size() == 2);
  CHECK(r.status.active == 0);
  REQUIRE(cond(r.status, kJobSuspended) != nullptr);
  CHECK(cond(r.status, kJobSuspended)->status == ConditionStatus::kTrue);
  job.status = r.status;
  job.spec.suspend = false;
  r = sync_job(job, {}, JobTally{}, JobBackoff{}, seconds(50));
  CHECK(r.creates == 2);
  CHECK(r.status.active == 2);
  CHECK(cond(r.status, kJobSuspended)->status == ConditionStatus::kFalse);
  CHECK(cond(r.status, kJobSuspended)->reason == kJobReasonResumed);
  CHECK(r.status.start_time == seconds(50));
}

TEST_CASE("finished jobs are left alone and creations are capped at 500", "[job]") {
  Job done = make_job(2, 2);
  Condition c;
  c.type = std::string(kJobComplete);
  c.status = ConditionStatus::kTrue;
  done.status.conditions.push_back(c);
  const JobSyncResult r = sync_job(done, {}, JobTally{}, JobBackoff{}, 0);
  CHECK(r.finished);
  CHECK(r.creates == 0);
  Job big = make_job(1000, 2000);
  CHECK(sync_job(big, {}, JobTally{}, JobBackoff{}, 0).creates == 500);
}
