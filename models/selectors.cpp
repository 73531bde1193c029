#include "models/selectors.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {

namespace {

using sim::Result;
using sim::Status;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status invalid(std::string msg) { return Status::invalid_argument(std::move(msg)); }

// Prefixes a non-ok status's message with a location ("matchExpressions[1]: ...").
Status at(const std::string& where, const Status& s) {
  return Status::invalid_argument(where + ": " + s.message());
}

bool has_value(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

void sort_unique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

}  // namespace

// =======================================================================================
// SelectorOperator and LabelRequirement. upstream: apimachinery/pkg/labels/selector.go

std::string_view to_string(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "in";
    case SelectorOperator::kNotIn:
      return "notin";
    case SelectorOperator::kEquals:
      return "=";
    case SelectorOperator::kDoubleEquals:
      return "==";
    case SelectorOperator::kNotEquals:
      return "!=";
    case SelectorOperator::kExists:
      return "exists";
    case SelectorOperator::kDoesNotExist:
      return "!";
    case SelectorOperator::kGreaterThan:
      return "gt";
    case SelectorOperator::kLessThan:
      return "lt";
  }
  return "?";
}

Result<LabelRequirement> LabelRequirement::create(std::string key, SelectorOperator op,
                                                  std::vector<std::string> values) {
  // upstream NewRequirement; it aggregates every error, here the first one is returned
  // (key first, then the operator's arity, then each value).
  if (Status s = validate_label_key(key); !s.ok()) return s;
  auto fail = [&](const std::string& why) { return invalid("key " + quoted(key) + ": " + why); };
  LabelRequirement r;
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) return fail("for 'in', 'notin' operators, values set can't be empty");
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) return fail("exact-match compatibility requires one single value");
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        return fail("values set must be empty for exists and does not exist");
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      if (values.size() != 1) {
        return fail("for 'Gt', 'Lt' operators, exactly one value is required");
      }
      std::optional<std::int64_t> bound = parse_go_int64(values[0]);
      if (!bound) {
        return fail("for 'Gt', 'Lt' operators, the value must be an integer (got " +
                    quoted(values[0]) + ")");
      }
      r.bound_ = *bound;
      break;
    }
  }
  for (const std::string& v : values) {
    if (Status s = validate_label_value(v); !s.ok()) return fail(s.message());
  }
  r.key_ = std::move(key);
  r.op_ = op;
  r.values_ = std::move(values);
  return r;
}

bool LabelRequirement::matches(const Labels& labels) const {
  const std::string* value = labels.find(key_);
  switch (op_) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
      return value != nullptr && has_value(values_, *value);
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return value == nullptr || !has_value(values_, *value);
    case SelectorOperator::kExists:
      return value != nullptr;
    case SelectorOperator::kDoesNotExist:
      return value == nullptr;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      if (value == nullptr) return false;
      std::optional<std::int64_t> actual = parse_go_int64(*value);
      if (!actual) return false;  // upstream logs the ParseInt failure and does not match
      return op_ == SelectorOperator::kGreaterThan ? *actual > bound_ : *actual < bound_;
    }
  }
  return false;
}

std::string LabelRequirement::to_string() const {
  std::string out;
  if (op_ == SelectorOperator::kDoesNotExist) out += '!';
  out += key_;
  switch (op_) {
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      return out;
    case SelectorOperator::kEquals:
      out += '=';
      break;
    case SelectorOperator::kDoubleEquals:
      out += "==";
      break;
    case SelectorOperator::kNotEquals:
      out += "!=";
      break;
    case SelectorOperator::kIn:
      out += " in (";
      break;
    case SelectorOperator::kNotIn:
      out += " notin (";
      break;
    case SelectorOperator::kGreaterThan:
      out += '>';
      break;
    case SelectorOperator::kLessThan:
      out += '<';
      break;
  }
  std::vector<std::string> sorted = values_;  // upstream safeSort: sorted on output only
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out += ',';
    out += sorted[i];
  }
  if (op_ == SelectorOperator::kIn || op_ == SelectorOperator::kNotIn) out += ')';
  return out;
}

// =======================================================================================
// LabelMatcher

LabelMatcher LabelMatcher::nothing() {
  LabelMatcher m;
  m.nothing_ = true;
  return m;
}

LabelMatcher LabelMatcher::from_set(const Labels& set) {
  // upstream SelectorFromValidatedSet: builds the requirements without validation.
  LabelMatcher m;
  m.requirements_.reserve(set.size());
  for (const auto& [key, value] : set) {
    LabelRequirement r;
    r.key_ = key;
    r.op_ = SelectorOperator::kEquals;
    r.values_ = {value};
    m.requirements_.push_back(std::move(r));  // Labels iterates in key order: stays sorted
  }
  return m;
}

Result<LabelMatcher> LabelMatcher::from_set_validated(const Labels& set) {
  LabelMatcher m;
  for (const auto& [key, value] : set) {
    auto r = LabelRequirement::create(key, SelectorOperator::kEquals, {value});
    if (!r.ok()) return r.status();
    m.requirements_.push_back(std::move(r).value());
  }
  return m;
}

void LabelMatcher::add(LabelRequirement requirement) {
  if (nothing_) return;  // upstream nothingSelector.Add returns itself
  // Insert after every requirement whose key is <= the new key: sorted and stable.
  auto it = std::upper_bound(
      requirements_.begin(), requirements_.end(), requirement.key(),
      [](const std::string& key, const LabelRequirement& r) { return key < r.key(); });
  requirements_.insert(it, std::move(requirement));
}

bool LabelMatcher::matches(const Labels& labels) const {
  if (nothing_) return false;
  for (const LabelRequirement& r : requirements_) {
    if (!r.matches(labels)) return false;
  }
  return true;
}

std::optional<std::string_view> LabelMatcher::requires_exact_match(std::string_view key) const {
  for (const LabelRequirement& r : requirements_) {
    if (r.key() != key) continue;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
      case SelectorOperator::kIn:
        if (r.values().size() == 1) return std::string_view(r.values()[0]);
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string LabelMatcher::to_string() const {
  std::string out;
  for (const LabelRequirement& r : requirements_) {
    if (!out.empty()) out += ',';
    out += r.to_string();
  }
  return out;
}

// =======================================================================================
// The label selector string syntax. upstream: labels/selector.go Lexer and Parser. The
// structure follows upstream's closely so that the accepted language is the same,
// including its corners ("x in ()" is In {""}, "x=" is Equals "", "in" and "notin" are
// plain words where a value is expected).

namespace {

enum class Tok : std::uint8_t {
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,  // !
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Token {
  Tok tok;
  std::string_view literal;
  std::size_t offset;
};

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_special(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// What the user typed at a token, for error messages.
std::string describe(const Token& t) {
  if (t.tok == Tok::kEnd) return "end of string";
  return "'" + std::string(t.literal) + "'";
}

// The whole input is scanned up front, as upstream's Parser.scan does.
Result<std::vector<Token>> scan(std::string_view s) {
  std::vector<Token> tokens;
  std::size_t pos = 0;
  while (true) {
    while (pos < s.size() && is_whitespace(s[pos])) ++pos;
    if (pos == s.size()) {
      tokens.push_back({Tok::kEnd, {}, pos});
      return tokens;
    }
    char c = s[pos];
    if (c == '\0') {
      // Upstream's lexer uses byte 0 as its end marker, so a NUL in the input silently
      // truncates or splits the selector. We reject it instead.
      return invalid("at offset " + std::to_string(pos) + ": unexpected NUL byte");
    }
    if (is_special(c)) {
      // Longest match: "==" and "!=" are the only two-character operators; every other
      // special character is a token on its own ("<=" is '<' then '=').
      if (pos + 1 < s.size() && s[pos + 1] == '=' && (c == '=' || c == '!')) {
        tokens.push_back({c == '=' ? Tok::kDoubleEquals : Tok::kNotEquals, s.substr(pos, 2), pos});
        pos += 2;
        continue;
      }
      Tok t = Tok::kEquals;
      switch (c) {
        case '=':
          t = Tok::kEquals;
          break;
        case '!':
          t = Tok::kDoesNotExist;
          break;
        case '(':
          t = Tok::kOpenPar;
          break;
        case ')':
          t = Tok::kClosedPar;
          break;
        case ',':
          t = Tok::kComma;
          break;
        case '>':
          t = Tok::kGreaterThan;
          break;
        case '<':
          t = Tok::kLessThan;
          break;
      }
      tokens.push_back({t, s.substr(pos, 1), pos});
      ++pos;
      continue;
    }
    std::size_t start = pos;
    while (pos < s.size() && !is_special(s[pos]) && !is_whitespace(s[pos]) && s[pos] != '\0') {
      ++pos;
    }
    std::string_view word = s.substr(start, pos - start);
    Tok t = word == "in" ? Tok::kIn : word == "notin" ? Tok::kNotIn : Tok::kIdentifier;
    tokens.push_back({t, word, start});
  }
}

// The parser's two contexts (upstream ParserContext): in kValues, "in" and "notin" are
// identifiers.
enum class Context { kKeyAndOperator, kValues };

class SelectorParser {
 public:
  explicit SelectorParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<std::vector<LabelRequirement>> parse() {
    std::vector<LabelRequirement> requirements;
    while (true) {
      Token t = lookahead(Context::kValues);
      switch (t.tok) {
        case Tok::kIdentifier:
        case Tok::kDoesNotExist: {
          auto r = parse_requirement();
          if (!r.ok()) return r.status();
          requirements.push_back(std::move(r).value());
          Token next = consume(Context::kValues);
          if (next.tok == Tok::kEnd) return requirements;
          if (next.tok != Tok::kComma) {
            return error(next, "found " + describe(next) + ", expected: ',' or end of string");
          }
          Token after = lookahead(Context::kValues);
          if (after.tok != Tok::kIdentifier && after.tok != Tok::kDoesNotExist) {
            return error(after, "found " + describe(after) + ", expected: identifier after ','");
          }
          break;
        }
        case Tok::kEnd:
          return requirements;
        default:
          return error(t, "found " + describe(t) + ", expected: !, identifier, or end of string");
      }
    }
  }

 private:
  static Token in_context(Token t, Context context) {
    if (context == Context::kValues && (t.tok == Tok::kIn || t.tok == Tok::kNotIn)) {
      t.tok = Tok::kIdentifier;
    }
    return t;
  }
  Token lookahead(Context context) const { return in_context(tokens_[position_], context); }
  Token consume(Context context) {
    Token t = tokens_[position_];
    if (t.tok != Tok::kEnd) ++position_;  // kEnd is the last token; stay on it
    return in_context(t, context);
  }
  static Status error(const Token& at_token, const std::string& what) {
    return invalid("at offset " + std::to_string(at_token.offset) + ": " + what);
  }

  Result<LabelRequirement> parse_requirement() {
    // upstream parseKeyAndInferOperator
    std::optional<SelectorOperator> op;
    Token t = consume(Context::kValues);
    if (t.tok == Tok::kDoesNotExist) {
      op = SelectorOperator::kDoesNotExist;
      t = consume(Context::kValues);
    }
    if (t.tok != Tok::kIdentifier) {
      return error(t, "found " + describe(t) + ", expected: identifier");
    }
    const Token key = t;
    if (Status s = validate_label_key(key.literal); !s.ok()) return error(key, s.message());
    Token next = lookahead(Context::kValues);
    if ((next.tok == Tok::kEnd || next.tok == Tok::kComma) && !op) {
      op = SelectorOperator::kExists;
    }
    if (op) return make(key, *op, {});

    // upstream parseOperator
    Token op_token = consume(Context::kKeyAndOperator);
    switch (op_token.tok) {
      case Tok::kIn:
        op = SelectorOperator::kIn;
        break;
      case Tok::kNotIn:
        op = SelectorOperator::kNotIn;
        break;
      case Tok::kEquals:
        op = SelectorOperator::kEquals;
        break;
      case Tok::kDoubleEquals:
        op = SelectorOperator::kDoubleEquals;
        break;
      case Tok::kNotEquals:
        op = SelectorOperator::kNotEquals;
        break;
      case Tok::kGreaterThan:
        op = SelectorOperator::kGreaterThan;
        break;
      case Tok::kLessThan:
        op = SelectorOperator::kLessThan;
        break;
      default:
        return error(op_token,
                     "found " + describe(op_token) + ", expected: in, notin, =, ==, !=, gt, lt");
    }
    Result<std::vector<std::string>> values =
        (*op == SelectorOperator::kIn || *op == SelectorOperator::kNotIn) ? parse_values()
                                                                          : parse_exact_value();
    if (!values.ok()) return values.status();
    std::vector<std::string> v = std::move(values).value();
    sort_unique(v);  // upstream collects values in a sets.String
    return make(key, *op, std::move(v));
  }

  static Result<LabelRequirement> make(const Token& key, SelectorOperator op,
                                       std::vector<std::string> values) {
    auto r = LabelRequirement::create(std::string(key.literal), op, std::move(values));
    if (!r.ok()) return error(key, r.error());
    return r;
  }

  // upstream parseValues: "(" [list] ")"
  Result<std::vector<std::string>> parse_values() {
    Token open = consume(Context::kValues);
    if (open.tok != Tok::kOpenPar) {
      return error(open, "found " + describe(open) + ", expected: '('");
    }
    Token t = lookahead(Context::kValues);
    switch (t.tok) {
      case Tok::kIdentifier:
      case Tok::kComma: {
        auto list = parse_identifiers_list();
        if (!list.ok()) return list;
        Token close = consume(Context::kValues);
        if (close.tok != Tok::kClosedPar) {
          return error(close, "found " + describe(close) + ", expected: ')'");
        }
        return list;
      }
      case Tok::kClosedPar:  // "()" is the set {""}
        consume(Context::kValues);
        return std::vector<std::string>{""};
      default:
        return error(t, "found " + describe(t) + ", expected: ',', ')' or identifier");
    }
  }

  // upstream parseIdentifiersList: a possibly empty list of possibly empty identifiers.
  Result<std::vector<std::string>> parse_identifiers_list() {
    std::vector<std::string> out;
    while (true) {
      Token t = consume(Context::kValues);
      switch (t.tok) {
        case Tok::kIdentifier: {
          out.emplace_back(t.literal);
          Token next = lookahead(Context::kValues);
          if (next.tok == Tok::kComma) continue;
          if (next.tok == Tok::kClosedPar) return out;
          return error(next, "found " + describe(next) + ", expected: ',' or ')'");
        }
        case Tok::kComma: {
          if (out.empty()) out.emplace_back();  // "(,"
          Token next = lookahead(Context::kValues);
          if (next.tok == Tok::kClosedPar) {
            out.emplace_back();  // ",)"
            return out;
          }
          if (next.tok == Tok::kComma) out.emplace_back();  // ",,"
          break;
        }
        default:
          return error(t, "found " + describe(t) + ", expected: ',', or identifier");
      }
    }
  }

  // upstream parseExactValue: one identifier, or nothing (the empty value).
  Result<std::vector<std::string>> parse_exact_value() {
    Token t = lookahead(Context::kValues);
    if (t.tok == Tok::kEnd || t.tok == Tok::kComma) return std::vector<std::string>{""};
    t = consume(Context::kValues);
    if (t.tok == Tok::kIdentifier) return std::vector<std::string>{std::string(t.literal)};
    return error(t, "found " + describe(t) + ", expected: identifier");
  }

  std::vector<Token> tokens_;
  std::size_t position_ = 0;
};

Result<std::vector<LabelRequirement>> parse_requirements(std::string_view text) {
  auto fail = [&](const Status& s) {
    return invalid("invalid label selector " + quoted(text) + ": " + s.message());
  };
  auto tokens = scan(text);
  if (!tokens.ok()) return fail(tokens.status());
  auto requirements = SelectorParser(std::move(tokens).value()).parse();
  if (!requirements.ok()) return fail(requirements.status());
  return requirements;
}

}  // namespace

Result<LabelMatcher> parse_label_selector(std::string_view text) {
  auto requirements = parse_requirements(text);
  if (!requirements.ok()) return requirements.status();
  LabelMatcher m;
  // Upstream sorts by key with sort.Sort, which is not stable; add() is, so requirements
  // on the same key keep their textual order.
  for (LabelRequirement& r : std::move(requirements).value()) m.add(std::move(r));
  return m;
}

// =======================================================================================
// metav1.LabelSelector. upstream: apimachinery/pkg/apis/meta/v1/helpers.go

std::string_view to_string(LabelSelectorOperator op) {
  switch (op) {
    case LabelSelectorOperator::kIn:
      return "In";
    case LabelSelectorOperator::kNotIn:
      return "NotIn";
    case LabelSelectorOperator::kExists:
      return "Exists";
    case LabelSelectorOperator::kDoesNotExist:
      return "DoesNotExist";
  }
  return "?";
}

Result<LabelSelectorOperator> parse_label_selector_operator(std::string_view text) {
  for (auto op : {LabelSelectorOperator::kIn, LabelSelectorOperator::kNotIn,
                  LabelSelectorOperator::kExists, LabelSelectorOperator::kDoesNotExist}) {
    if (text == to_string(op)) return op;
  }
  return invalid(quoted(text) +
                 " is not a valid label selector operator (expected In, NotIn, Exists or "
                 "DoesNotExist)");
}

Result<LabelMatcher> label_selector_as_matcher(const LabelSelector* selector) {
  if (selector == nullptr) return LabelMatcher::nothing();
  if (selector->empty()) return LabelMatcher::everything();
  LabelMatcher m;
  for (const auto& [key, value] : selector->match_labels) {
    auto r = LabelRequirement::create(key, SelectorOperator::kEquals, {value});
    if (!r.ok()) return at("matchLabels", r.status());
    m.add(std::move(r).value());
  }
  for (std::size_t i = 0; i < selector->match_expressions.size(); ++i) {
    const LabelSelectorRequirement& e = selector->match_expressions[i];
    SelectorOperator op = SelectorOperator::kIn;
    switch (e.op) {
      case LabelSelectorOperator::kIn:
        op = SelectorOperator::kIn;
        break;
      case LabelSelectorOperator::kNotIn:
        op = SelectorOperator::kNotIn;
        break;
      case LabelSelectorOperator::kExists:
        op = SelectorOperator::kExists;
        break;
      case LabelSelectorOperator::kDoesNotExist:
        op = SelectorOperator::kDoesNotExist;
        break;
    }
    auto r = LabelRequirement::create(e.key, op, e.values);
    if (!r.ok()) return at("matchExpressions[" + std::to_string(i) + "]", r.status());
    m.add(std::move(r).value());
  }
  return m;
}

Result<LabelMatcher> label_selector_as_matcher(const std::optional<LabelSelector>& selector) {
  return label_selector_as_matcher(selector ? &*selector : nullptr);
}

Result<LabelSelector> parse_to_label_selector(std::string_view text) {
  auto requirements = parse_requirements(text);
  if (!requirements.ok()) return requirements.status();
  // upstream ParseToRequirements sorts by key too.
  std::vector<LabelRequirement> reqs = std::move(requirements).value();
  std::stable_sort(
      reqs.begin(), reqs.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key() < b.key(); });
  LabelSelector out;
  for (const LabelRequirement& r : reqs) {
    LabelSelectorOperator op = LabelSelectorOperator::kIn;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
        out.match_labels.set(r.key(), r.values()[0]);
        continue;
      case SelectorOperator::kIn:
        op = LabelSelectorOperator::kIn;
        break;
      case SelectorOperator::kNotIn:
        op = LabelSelectorOperator::kNotIn;
        break;
      case SelectorOperator::kExists:
        op = LabelSelectorOperator::kExists;
        break;
      case SelectorOperator::kDoesNotExist:
        op = LabelSelectorOperator::kDoesNotExist;
        break;
      case SelectorOperator::kGreaterThan:
      case SelectorOperator::kLessThan:
        return invalid("label selector " + quoted(text) + ": " + quoted(to_string(r.op())) +
                       " isn't supported in label selectors");
      case SelectorOperator::kNotEquals:
        return invalid("label selector " + quoted(text) + ": " + quoted(to_string(r.op())) +
                       " is not a valid label selector operator");
    }
    std::vector<std::string> values = r.values();
    sort_unique(values);
    out.match_expressions.push_back({r.key(), op, std::move(values)});
  }
  return out;
}

// =======================================================================================
// Field selectors. upstream: apimachinery/pkg/fields/selector.go

FieldSelector FieldSelector::one_term_equal(std::string field, std::string value) {
  FieldSelector s;
  s.add({std::move(field), FieldOperator::kEquals, std::move(value)});
  return s;
}

FieldSelector FieldSelector::one_term_not_equal(std::string field, std::string value) {
  FieldSelector s;
  s.add({std::move(field), FieldOperator::kNotEquals, std::move(value)});
  return s;
}

std::optional<std::string_view> FieldSelector::requires_exact_match(std::string_view field) const {
  for (const FieldRequirement& r : requirements_) {
    if (r.field == field && r.op == FieldOperator::kEquals) return std::string_view(r.value);
  }
  return std::nullopt;
}

Status FieldSelector::check_supported(std::span<const std::string_view> supported) const {
  for (const FieldRequirement& r : requirements_) {
    if (std::find(supported.begin(), supported.end(), r.field) == supported.end()) {
      return invalid("field label not supported: " + r.field);
    }
  }
  return Status();
}

std::string FieldSelector::to_string() const {
  std::string out;
  for (const FieldRequirement& r : requirements_) {
    if (!out.empty()) out += ',';
    out += r.field;
    out += r.op == FieldOperator::kEquals ? "=" : "!=";
    out += escape_field_value(r.value);
  }
  return out;
}

std::string escape_field_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

namespace {

// upstream UnescapeValue, with the offset of the problem within `escaped`.
Result<std::string> unescape_at(std::string_view escaped, std::size_t base) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '\\') {
      if (i + 1 == escaped.size()) {
        return invalid("invalid escape sequence: \\ at offset " + std::to_string(base + i) +
                       " (a trailing backslash escapes nothing)");
      }
      char next = escaped[i + 1];
      if (next != '\\' && next != ',' && next != '=') {
        return invalid("invalid escape sequence: \\" + std::string(1, next) + " at offset " +
                       std::to_string(base + i) + " (only \\\\, \\, and \\= are escapes)");
      }
      out += next;
      ++i;
      continue;
    }
    if (c == ',' || c == '=') {
      return invalid("unescaped '" + std::string(1, c) + "' in value at offset " +
                     std::to_string(base + i) + " (write \\" + std::string(1, c) + ")");
    }
    out += c;
  }
  return out;
}

}  // namespace

Result<std::string> unescape_field_value(std::string_view escaped) {
  auto r = unescape_at(escaped, 0);
  if (!r.ok()) return invalid("invalid field selector value " + quoted(escaped) + ": " + r.error());
  return r;
}

Result<FieldSelector> parse_field_selector(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return invalid("invalid field selector " + quoted(text) + ": " + why);
  };
  struct Term {
    std::string_view raw;
    FieldRequirement requirement;
  };
  std::vector<Term> terms;
  // upstream splitTerms: split on commas not escaped by a backslash.
  std::size_t start = 0;
  bool escaped = false;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size()) {
      char c = text[i];
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c == '\\') {
        escaped = true;
        continue;
      }
      if (c != ',') continue;
    }
    std::string_view raw = text.substr(start, i - start);
    std::size_t raw_offset = start;
    start = i + 1;
    if (raw.empty()) continue;
    // upstream splitTerm: the first position where "!=", "==" or "=" begins.
    std::size_t op_pos = std::string_view::npos;
    std::size_t op_len = 0;
    FieldOperator op = FieldOperator::kEquals;
    for (std::size_t j = 0; j < raw.size() && op_pos == std::string_view::npos; ++j) {
      std::string_view rest = raw.substr(j);
      if (rest.starts_with("!=")) {
        op = FieldOperator::kNotEquals;
        op_len = 2;
      } else if (rest.starts_with("==")) {
        op_len = 2;
      } else if (rest.starts_with("=")) {
        op_len = 1;
      } else {
        continue;
      }
      op_pos = j;
    }
    if (op_pos == std::string_view::npos) {
      return fail("can't understand " + quoted(raw) + " at offset " + std::to_string(raw_offset) +
                  " (expected <field>=<value>, <field>==<value> or <field>!=<value>)");
    }
    auto value = unescape_at(raw.substr(op_pos + op_len), raw_offset + op_pos + op_len);
    if (!value.ok()) return fail(value.error());
    terms.push_back({raw, {std::string(raw.substr(0, op_pos)), op, std::move(value).value()}});
  }
  // upstream sorts the raw terms before parsing them; the order shows in to_string() and
  // in which term requires_exact_match finds first.
  std::stable_sort(terms.begin(), terms.end(),
                   [](const Term& a, const Term& b) { return a.raw < b.raw; });
  FieldSelector s;
  for (Term& t : terms) s.add(std::move(t.requirement));
  return s;
}

// =======================================================================================
// Node affinity. upstream: component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go

std::string_view to_string(NodeSelectorOperator op) {
  switch (op) {
    case NodeSelectorOperator::kIn:
      return "In";
    case NodeSelectorOperator::kNotIn:
      return "NotIn";
    case NodeSelectorOperator::kExists:
      return "Exists";
    case NodeSelectorOperator::kDoesNotExist:
      return "DoesNotExist";
    case NodeSelectorOperator::kGt:
      return "Gt";
    case NodeSelectorOperator::kLt:
      return "Lt";
  }
  return "?";
}

Result<NodeSelectorOperator> parse_node_selector_operator(std::string_view text) {
  for (auto op : {NodeSelectorOperator::kIn, NodeSelectorOperator::kNotIn,
                  NodeSelectorOperator::kExists, NodeSelectorOperator::kDoesNotExist,
                  NodeSelectorOperator::kGt, NodeSelectorOperator::kLt}) {
    if (text == to_string(op)) return op;
  }
  return invalid(quoted(text) +
                 " is not a valid node selector operator (expected In, NotIn, Exists, "
                 "DoesNotExist, Gt or Lt)");
}

namespace {
constexpr std::string_view kObjectNameField = "metadata.name";

SelectorOperator to_selector_operator(NodeSelectorOperator op) {
  switch (op) {
    case NodeSelectorOperator::kIn:
      return SelectorOperator::kIn;
    case NodeSelectorOperator::kNotIn:
      return SelectorOperator::kNotIn;
    case NodeSelectorOperator::kExists:
      return SelectorOperator::kExists;
    case NodeSelectorOperator::kDoesNotExist:
      return SelectorOperator::kDoesNotExist;
    case NodeSelectorOperator::kGt:
      return SelectorOperator::kGreaterThan;
    case NodeSelectorOperator::kLt:
      return SelectorOperator::kLessThan;
  }
  return SelectorOperator::kIn;
}
}  // namespace

NodeSelectorMatcher::Term NodeSelectorMatcher::compile_term(const NodeSelectorTerm& term,
                                                            const std::string& path,
                                                            Status* error) {
  // upstream newNodeSelectorTerm, nodeSelectorRequirementsAsSelector,
  // nodeSelectorRequirementsAsFieldSelector. Only the first error is kept.
  Term out;
  auto record = [&](const std::string& where, const Status& s) {
    out.invalid = true;
    if (error->ok()) *error = at(path + where, s);
  };
  for (std::size_t i = 0; i < term.match_expressions.size(); ++i) {
    const NodeSelectorRequirement& e = term.match_expressions[i];
    auto r = LabelRequirement::create(e.key, to_selector_operator(e.op), e.values);
    if (!r.ok()) {
      record(".matchExpressions[" + std::to_string(i) + "]", r.status());
      continue;
    }
    out.labels.add(std::move(r).value());
  }
  for (std::size_t i = 0; i < term.match_fields.size(); ++i) {
    const NodeSelectorRequirement& f = term.match_fields[i];
    std::string where = ".matchFields[" + std::to_string(i) + "]";
    if (f.op != NodeSelectorOperator::kIn && f.op != NodeSelectorOperator::kNotIn) {
      record(where + ".operator", invalid("Unsupported value: " + quoted(to_string(f.op)) +
                                          ": supported values: \"In\", \"NotIn\""));
      continue;
    }
    if (f.values.size() != 1) {
      record(where + ".values", invalid("must have one element"));
      continue;
    }
    // The key is not checked here, as upstream: a key other than metadata.name reads ""
    // from the node and so only ever matches NotIn. API validation rejects such keys.
    out.fields.add(
        {f.key,
         f.op == NodeSelectorOperator::kIn ? FieldOperator::kEquals : FieldOperator::kNotEquals,
         f.values[0]});
    out.has_fields = true;
  }
  return out;
}

bool NodeSelectorMatcher::Term::matches(const Labels& node_labels,
                                        std::string_view node_name) const {
  if (invalid) return false;
  if (!labels.matches(node_labels)) return false;
  // upstream nodeSelectorTerm.match skips matchFields when the node has no fields, and a
  // node has the metadata.name field only when its name is non-empty.
  if (has_fields && !node_name.empty()) {
    auto value_of = [node_name](std::string_view field) {
      return field == kObjectNameField ? node_name : std::string_view();
    };
    if (!fields.matches(value_of)) return false;
  }
  return true;
}

NodeSelectorMatcher NodeSelectorMatcher::compile(const NodeSelector& selector) {
  NodeSelectorMatcher m;
  m.terms_.reserve(selector.node_selector_terms.size());
  for (std::size_t i = 0; i < selector.node_selector_terms.size(); ++i) {
    const NodeSelectorTerm& term = selector.node_selector_terms[i];
    if (term.empty()) continue;  // a nil or empty term selects no objects
    m.terms_.push_back(
        compile_term(term, "nodeSelectorTerms[" + std::to_string(i) + "]", &m.parse_error_));
  }
  return m;
}

Result<NodeSelectorMatcher> NodeSelectorMatcher::compile_strict(const NodeSelector& selector) {
  NodeSelectorMatcher m = compile(selector);
  if (!m.parse_error_.ok()) return m.parse_error_;
  return m;
}

bool NodeSelectorMatcher::matches(const Labels& node_labels, std::string_view node_name) const {
  for (const Term& t : terms_) {
    if (t.matches(node_labels, node_name)) return true;
  }
  return false;
}

Result<PreferredSchedulingTerms> PreferredSchedulingTerms::compile(
    std::span<const PreferredSchedulingTerm> terms) {
  PreferredSchedulingTerms out;
  Status error;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const PreferredSchedulingTerm& t = terms[i];
    if (t.weight == 0 || t.preference.empty()) continue;
    NodeSelectorMatcher::Term term =
        NodeSelectorMatcher::compile_term(t.preference, "[" + std::to_string(i) + "]", &error);
    if (!term.invalid) out.terms_.push_back({std::move(term), t.weight});
  }
  if (!error.ok()) return error;
  return out;
}

std::int64_t PreferredSchedulingTerms::score(const Labels& node_labels,
                                             std::string_view node_name) const {
  std::int64_t score = 0;
  for (const Weighted& w : terms_) {
    if (w.term.matches(node_labels, node_name)) score += w.weight;
  }
  return score;
}

RequiredNodeAffinity::RequiredNodeAffinity(const Labels& node_selector,
                                           const std::optional<NodeSelector>& required)
    : node_selector_(node_selector) {
  if (required) required_ = NodeSelectorMatcher::compile(*required);
}

bool RequiredNodeAffinity::matches(const Labels& node_labels, std::string_view node_name) const {
  // upstream RequiredNodeAffinity.Match: nodeSelector (SelectorFromSet) first, then the
  // required terms. Parse errors in the terms make them fail, never the whole filter.
  if (!node_labels.contains_all(node_selector_)) return false;
  if (required_) return required_->matches(node_labels, node_name);
  return true;
}

bool pod_matches_node_selector_and_affinity(const Labels& node_selector,
                                            const std::optional<NodeSelector>& required,
                                            const Labels& node_labels, std::string_view node_name) {
  return RequiredNodeAffinity(node_selector, required).matches(node_labels, node_name);
}

// =======================================================================================
// API validation. upstream: kubernetes pkg/apis/core/validation/validation.go

namespace {

Status validate_node_selector_term(const NodeSelectorTerm& term, const std::string& path) {
  for (std::size_t j = 0; j < term.match_expressions.size(); ++j) {
    const NodeSelectorRequirement& rq = term.match_expressions[j];
    std::string p = path + ".matchExpressions[" + std::to_string(j) + "]";
    switch (rq.op) {
      case NodeSelectorOperator::kIn:
      case NodeSelectorOperator::kNotIn:
        if (rq.values.empty()) {
          return invalid(p +
                         ".values: Required value: must be specified when `operator` is "
                         "'In' or 'NotIn'");
        }
        break;
      case NodeSelectorOperator::kExists:
      case NodeSelectorOperator::kDoesNotExist:
        if (!rq.values.empty()) {
          return invalid(p +
                         ".values: Forbidden: may not be specified when `operator` is "
                         "'Exists' or 'DoesNotExist'");
        }
        break;
      case NodeSelectorOperator::kGt:
      case NodeSelectorOperator::kLt:
        if (rq.values.size() != 1) {
          return invalid(p +
                         ".values: Required value: must be specified single value when "
                         "`operator` is 'Lt' or 'Gt'");
        }
        break;
    }
    if (Status s = validate_label_key(rq.key); !s.ok()) return at(p + ".key", s);
    for (std::size_t k = 0; k < rq.values.size(); ++k) {
      if (Status s = validate_label_value(rq.values[k]); !s.ok()) {
        return at(p + ".values[" + std::to_string(k) + "]", s);
      }
    }
  }
  for (std::size_t j = 0; j < term.match_fields.size(); ++j) {
    const NodeSelectorRequirement& rq = term.match_fields[j];
    std::string p = path + ".matchFields[" + std::to_string(j) + "]";
    if (rq.op != NodeSelectorOperator::kIn && rq.op != NodeSelectorOperator::kNotIn) {
      return invalid(p + ".operator: Invalid value " + quoted(to_string(rq.op)) +
                     ": not a valid selector operator");
    }
    if (rq.values.size() != 1) {
      return invalid(p +
                     ".values: Required value: must be only one value when `operator` is "
                     "'In' or 'NotIn' for node field selector");
    }
    if (rq.key != kObjectNameField) {
      return invalid(p + ".key: Invalid value " + quoted(rq.key) +
                     ": not a valid field selector key");
    }
    if (Status s = validate_dns1123_subdomain(rq.values[0]); !s.ok()) {
      return at(p + ".values[0]", s);
    }
  }
  return Status();
}

}  // namespace

Status validate_node_selector(const NodeSelector& selector) {
  if (selector.node_selector_terms.empty()) {
    return invalid("nodeSelectorTerms: Required value: must have at least one node selector term");
  }
  for (std::size_t i = 0; i < selector.node_selector_terms.size(); ++i) {
    Status s = validate_node_selector_term(selector.node_selector_terms[i],
                                           "nodeSelectorTerms[" + std::to_string(i) + "]");
    if (!s.ok()) return s;
  }
  return Status();
}

Status validate_preferred_scheduling_terms(std::span<const PreferredSchedulingTerm> terms) {
  for (std::size_t i = 0; i < terms.size(); ++i) {
    std::string p = "[" + std::to_string(i) + "]";
    if (terms[i].weight <= 0 || terms[i].weight > 100) {
      return invalid(p + ".weight: Invalid value: " + std::to_string(terms[i].weight) +
                     ": must be in the range 1-100");
    }
    Status s = validate_node_selector_term(terms[i].preference, p + ".preference");
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace kubesim::models
