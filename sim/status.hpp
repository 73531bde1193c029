// Status and Result<T>: cheap values for expected failures (bad user input, rejected
// requests, unschedulable pods), in the style of LevelDB's util/status.h.
//
// A Status is either ok() or carries a code and a human-readable message. Result<T> holds
// either a value or a non-ok Status. Neither throws; value() on an error Result is a
// programming error and asserts.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kubesim::sim {

class Status {
 public:
  // Codes mirror the Kubernetes API's failure reasons where they exist (in brackets).
  enum class Code {
    kOk,
    kInvalidArgument,    // [Invalid 422, BadRequest 400]
    kNotFound,           // [NotFound 404]
    kAlreadyExists,      // [AlreadyExists 409]
    kConflict,           // [Conflict 409]: a resourceVersion precondition failed
    kGone,               // [Gone / Expired 410]: a watch from a compacted resourceVersion
    kTooManyRequests,    // [TooManyRequests 429]
    kUnavailable,        // [ServiceUnavailable 503, timeouts]: retry later
    kResourceExhausted,  // e.g. etcd's database space exceeded
    kOutOfRange,
    kInternal,
  };

  Status() = default;
  static Status ok_status() { return Status(); }
  static Status invalid_argument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status not_found(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status already_exists(std::string msg) {
    return Status(Code::kAlreadyExists, std::move(msg));
  }
  static Status out_of_range(std::string msg) { return Status(Code::kOutOfRange, std::move(msg)); }
  static Status internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status gone(std::string msg) { return Status(Code::kGone, std::move(msg)); }
  static Status too_many_requests(std::string msg) {
    return Status(Code::kTooManyRequests, std::move(msg));
  }
  static Status unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status resource_exhausted(std::string msg) {
    return Status(Code::kResourceExhausted, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok() && "Result needs a non-ok Status or a value");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  const T& value() const& {
    assert(ok());
    return std::get<T>(data_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(data_));
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  // The error; ok_status() when the Result holds a value.
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }
  const std::string& error() const {
    static const std::string kEmpty;
    return ok() ? kEmpty : std::get<Status>(data_).message();
  }

 private:
  std::variant<T, Status> data_;
};

}  // namespace kubesim::sim
