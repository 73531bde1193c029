// Diagnostics: how kubesim reports bad input.
//
// Every problem in a scenario or manifest becomes one Diagnostic with the file, line and
// column (1-based), the field path ("spec.workloads[0].servers"), what was wrong and, when
// we can guess, a hint ("did you mean 'duration'?"). Loaders collect every diagnostic they
// find rather than stopping at the first, so a user fixes a file in one pass. Nothing here
// throws or aborts: parsing code returns diagnostics as values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kubesim::scenarios {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string path;
  std::string message;
  std::string hint;

  // "file:line:column: path: message (hint: ...)"
  std::string format() const;
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // One diagnostic per line.
  std::string format() const;

 private:
  std::vector<Diagnostic> items_;
};

// The candidate closest to `word` by edit distance, if close enough to be a likely typo
// (distance <= max(1, |word| / 3)); empty otherwise. Case differences count as half.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kubesim::scenarios
