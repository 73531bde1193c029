#include "models/resources.hpp"

#include <algorithm>

#include "models/quantity.hpp"

namespace kubesim::models {
namespace {

constexpr std::string_view kFieldNames[] = {kResourceCpu, kResourceMemory,
                                            kResourceEphemeralStorage, kResourcePods,
                                            kResourceGpu};
constexpr int kFields = 5;

int field_index(std::string_view name) {
  for (int i = 0; i < kFields; ++i) {
    if (kFieldNames[i] == name) return i;
  }
  return -1;
}

bool is_byte_resource(std::string_view name) {
  return name == kResourceMemory || name == kResourceEphemeralStorage || name == "storage" ||
         name.substr(0, 10) == "hugepages-";
}

}  // namespace

bool is_extended_resource_name(std::string_view name) {
  // upstream: pkg/apis/core/v1/helper IsExtendedResourceName: a fully qualified name
  // outside the kubernetes.io domain (and not a requests.* quota name).
  const std::size_t slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view domain = name.substr(0, slash);
  if (domain == "kubernetes.io" ||
      (domain.size() > 14 && domain.substr(domain.size() - 14) == ".kubernetes.io")) {
    return false;
  }
  return name.substr(0, 9) != "requests.";
}

std::int64_t* ResourceList::field(std::string_view name) {
  switch (field_index(name)) {
    case 0:
      return &cpu_milli;
    case 1:
      return &memory;
    case 2:
      return &ephemeral_storage;
    case 3:
      return &pods;
    case 4:
      return &gpu;
    default:
      return nullptr;
  }
}

const std::int64_t* ResourceList::field(std::string_view name) const {
  return const_cast<ResourceList*>(this)->field(name);
}

std::int64_t ResourceList::get(std::string_view name) const {
  if (const std::int64_t* f = field(name)) return *f;
  const auto it = std::lower_bound(others_.begin(), others_.end(), name,
                                   [](const auto& e, std::string_view n) { return e.first < n; });
  return it != others_.end() && it->first == name ? it->second : 0;
}

void ResourceList::set(std::string_view name, std::int64_t value) {
  if (std::int64_t* f = field(name)) {
    *f = value;
    present_ |= 1u << field_index(name);
    return;
  }
  const auto it = std::lower_bound(others_.begin(), others_.end(), name,
                                   [](const auto& e, std::string_view n) { return e.first < n; });
  if (it != others_.end() && it->first == name) {
    it->second = value;
  } else {
    others_.insert(it, {std::string(name), value});
  }
}

bool ResourceList::has(std::string_view name) const {
  const int i = field_index(name);
  if (i >= 0) return ((present_ >> i) & 1u) != 0 || *field(name) != 0;
  return std::any_of(others_.begin(), others_.end(), [&](const auto& e) { return e.first == name; });
}

ResourceList& ResourceList::operator+=(const ResourceList& other) {
  cpu_milli += other.cpu_milli;
  memory += other.memory;
  ephemeral_storage += other.ephemeral_storage;
  pods += other.pods;
  gpu += other.gpu;
  present_ |= other.present_;
  for (const auto& [name, value] : other.others_) set(name, get(name) + value);
  return *this;
}

ResourceList& ResourceList::operator-=(const ResourceList& other) {
  cpu_milli -= other.cpu_milli;
  memory -= other.memory;
  ephemeral_storage -= other.ephemeral_storage;
  pods -= other.pods;
  gpu -= other.gpu;
  present_ |= other.present_;
  for (const auto& [name, value] : other.others_) set(name, get(name) - value);
  return *this;
}

bool operator==(const ResourceList& a, const ResourceList& b) {
  if (a.cpu_milli != b.cpu_milli || a.memory != b.memory ||
      a.ephemeral_storage != b.ephemeral_storage || a.pods != b.pods || a.gpu != b.gpu) {
    return false;
  }
  // Absent and zero are equal.
  for (const auto& [name, value] : a.others_) {
    if (b.get(name) != value) return false;
  }
  for (const auto& [name, value] : b.others_) {
    if (a.get(name) != value) return false;
  }
  return true;
}

ResourceList ResourceList::max(const ResourceList& a, const ResourceList& b) {
  ResourceList out = a;
  b.for_each([&](std::string_view name, std::int64_t value) {
    if (!out.has(name) || value > out.get(name)) out.set(name, value);
  });
  return out;
}

bool ResourceList::fits_in(const ResourceList& capacity) const {
  if (cpu_milli > capacity.cpu_milli || memory > capacity.memory ||
      ephemeral_storage > capacity.ephemeral_storage || pods > capacity.pods ||
      gpu > capacity.gpu) {
    return false;
  }
  return std::all_of(others_.begin(), others_.end(),
                     [&](const auto& e) { return e.second <= capacity.get(e.first); });
}

std::vector<std::string> ResourceList::exceeding(const ResourceList& capacity) const {
  std::vector<std::string> out;
  for_each([&](std::string_view name, std::int64_t value) {
    if (value > capacity.get(name)) out.emplace_back(name);
  });
  return out;
}

bool ResourceList::is_zero() const {
  return cpu_milli == 0 && memory == 0 && ephemeral_storage == 0 && pods == 0 && gpu == 0 &&
         std::all_of(others_.begin(), others_.end(), [](const auto& e) { return e.second == 0; });
}

void ResourceList::for_each(const std::function<void(std::string_view, std::int64_t)>& f) const {
  for (int i = 0; i < kFields; ++i) {
    const std::int64_t v = *field(kFieldNames[i]);
    if (((present_ >> i) & 1u) != 0 || v != 0) f(kFieldNames[i], v);
  }
  for (const auto& [name, value] : others_) f(name, value);
}

std::string ResourceList::to_string() const {
  std::vector<std::pair<std::string, std::string>> parts;
  for_each([&](std::string_view name, std::int64_t value) {
    std::string text;
    if (name == kResourceCpu) {
      text = format_cpu_millis(value);
    } else if (is_byte_resource(name)) {
      text = format_bytes(value);
    } else {
      text = std::to_string(value);
    }
    parts.emplace_back(std::string(name), std::move(text));
  });
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& [name, text] : parts) {
    if (!out.empty()) out += ",";
    out += name;
    out += "=";
    out += text;
  }
  return out;
}

sim::Result<std::int64_t> parse_resource_value(std::string_view name, std::string_view text) {
  if (name == kResourceCpu) return parse_cpu_millis(text);
  if (is_byte_resource(name)) return parse_bytes(text);
  auto q = parse_quantity(text);
  if (!q) return q.status();
  if (q->is_negative()) {
    return sim::Status::invalid_argument("must be greater than or equal to 0");
  }
  if (name == kResourcePods || is_extended_resource_name(name)) {
    // upstream: validation.go validateResourceQuantityValue — extended resources must be
    // whole numbers ("must be an integer").
    if (q->milli_value() % 1000 != 0) {
      return sim::Status::invalid_argument("\"" + std::string(text) +
                                           "\" must be an integer (extended resources and "
                                           "pods are counted in whole units)");
    }
    return q->value();
  }
  return q->value();
}

sim::Result<ResourceList> parse_resource_list(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  ResourceList list;
  std::string problems;
  auto problem = [&](const std::string& name, const std::string& what) {
    if (!problems.empty()) problems += "; ";
    problems += name + ": " + what;
  };
  for (const auto& [name, text] : entries) {
    const bool known_plain = field_index(name) >= 0 || is_byte_resource(name);
    if (name.find('/') == std::string::npos && !known_plain) {
      problem(name, "unknown resource (expected cpu, memory, ephemeral-storage, pods, "
                    "hugepages-<size>, or a domain-prefixed extended resource such as "
                    "nvidia.com/gpu)");
      continue;
    }
    if (list.has(name)) {
      problem(name, "given twice");
      continue;
    }
    auto value = parse_resource_value(name, text);
    if (!value) {
      problem(name, value.error());
      continue;
    }
    list.set(name, *value);
  }
  if (!problems.empty()) return sim::Status::invalid_argument(problems);
  return list;
}

}  // namespace kubesim::models
