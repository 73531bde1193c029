// Small text helpers shared by the run directory writers and the explain/sweep tables.
#pragma once

#include <string>
#include <vector>

namespace kubesim::experiments {

// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a
// line break; as is otherwise.
std::string csv_field(const std::string& s);

// Left-aligned columns separated by two spaces, each line prefixed by `indent`, trailing
// spaces trimmed, one line per row.
std::string format_columns(const std::vector<std::vector<std::string>>& rows,
                           const std::string& indent);

}  // namespace kubesim::experiments
