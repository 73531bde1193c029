// SimKube traces (github.com/acrlabs/simkube, v2 trace format): a list of timestamped events,
// each with the Kubernetes objects applied and deleted at that second, plus the pod
// lifecycles observed. .sktrace files are the same structure in MessagePack; .json files
// are plain JSON. We expand each tracked object (Deployment, StatefulSet, Job, CronJob,
// bare Pod, ...) into TracePods that follow its replica count over time; see
// docs/traces.md for the exact rules.
//
// nlohmann::json::from_msgpack cannot read these files: SimKube's maps have non-string keys
// (pod_lifecycles is keyed by [kind, "namespace/name"] and by u64 hashes). So the small
// MessagePack decoder below turns every non-string key into its JSON text.
#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "models/objects.hpp"
#include "models/quantity.hpp"
#include "scenarios/trace_common.hpp"
#include "scenarios/traces.hpp"

namespace kubesim::scenarios::traces::detail {
namespace {

using nlohmann::json;

// json::dump() throws on strings that are not UTF-8 (possible in MessagePack); replace them.
std::string safe_dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---- MessagePack -> json ---------------------------------------------------------------
// Spec: github.com/msgpack/msgpack/blob/master/spec.md. Every read is bounds-checked; nesting
// is limited so a hostile file cannot exhaust the stack.
class MsgpackReader {
 public:
  explicit MsgpackReader(std::string_view data) : data_(data) {}

  bool read(json& out) { return value(out, 0) && pos_ == data_.size(); }
  std::size_t position() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  static constexpr int kMaxDepth = 256;

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message) + " at byte " + std::to_string(pos_);
    return false;
  }
  bool need(std::size_t n) {
    if (data_.size() - pos_ < n) return fail("truncated MessagePack data");
    return true;
  }
  std::uint64_t be(std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }
  bool length(std::size_t n, std::uint64_t& len) {
    if (!need(n)) return false;
    len = be(n);
    return true;
  }
  bool string(std::uint64_t len, json& out) {
    if (!need(len)) return false;
    out = std::string(data_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  bool array(std::uint64_t n, json& out, int depth) {
    // Each element takes at least one byte: a count beyond the data is a lie.
    if (n > data_.size() - pos_) return fail("array longer than the data");
    out = json::array();
    for (std::uint64_t i = 0; i < n; ++i) {
      json v;
      if (!value(v, depth + 1)) return false;
      out.push_back(std::move(v));
    }
    return true;
  }
  bool map(std::uint64_t n, json& out, int depth) {
    if (n > (data_.size() - pos_) / 2) return fail("map longer than the data");
    out = json::object();
    for (std::uint64_t i = 0; i < n; ++i) {
      json k, v;
      if (!value(k, depth + 1) || !value(v, depth + 1)) return false;
      std::string key = k.is_string() ? k.get<std::string>() : safe_dump(k);
      out[std::move(key)] = std::move(v);
    }
    return true;
  }

  bool value(json& out, int depth) {
    if (depth > kMaxDepth) return fail("MessagePack nesting too deep");
    if (!need(1)) return false;
    const auto b = static_cast<unsigned char>(data_[pos_++]);
    std::uint64_t n = 0;
    if (b <= 0x7f) {
      out = static_cast<std::uint64_t>(b);
      return true;
    }
    if (b >= 0xe0) {
      out = static_cast<std::int64_t>(static_cast<std::int8_t>(b));
      return true;
    }
    if ((b & 0xf0) == 0x80) return map(b & 0x0f, out, depth);
    if ((b & 0xf0) == 0x90) return array(b & 0x0f, out, depth);
    if ((b & 0xe0) == 0xa0) return string(b & 0x1f, out);
    switch (b) {
      case 0xc0:
        out = nullptr;
        return true;
      case 0xc2:
        out = false;
        return true;
      case 0xc3:
        out = true;
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6:  // bin: kept as a string of bytes
        return length(std::size_t{1} << (b - 0xc4), n) && string(n, out);
      case 0xc7:
      case 0xc8:
      case 0xc9:  // ext: skipped, becomes null
        if (!length(std::size_t{1} << (b - 0xc7), n) || !need(1 + n)) return false;
        pos_ += 1 + n;
        out = nullptr;
        return true;
      case 0xca: {
        if (!need(4)) return false;
        const auto bits = static_cast<std::uint32_t>(be(4));
        float f;
        std::memcpy(&f, &bits, 4);
        out = static_cast<double>(f);
        return true;
      }
      case 0xcb: {
        if (!need(8)) return false;
        const std::uint64_t bits = be(8);
        double d;
        std::memcpy(&d, &bits, 8);
        out = d;
        return true;
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        if (!length(std::size_t{1} << (b - 0xcc), n)) return false;
        out = n;
        return true;
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const std::size_t size = std::size_t{1} << (b - 0xd0);
        if (!length(size, n)) return false;
        // Sign-extend from `size` bytes.
        const int shift = static_cast<int>(64 - 8 * size);
        out = static_cast<std::int64_t>(n << shift) >> shift;
        return true;
      }
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:  // fixext
        if (!need(1 + (std::size_t{1} << (b - 0xd4)))) return false;
        pos_ += 1 + (std::size_t{1} << (b - 0xd4));
        out = nullptr;
        return true;
      case 0xd9:
      case 0xda:
      case 0xdb:
        return length(std::size_t{1} << (b - 0xd9), n) && string(n, out);
      case 0xdc:
      case 0xdd:
        return length(b == 0xdc ? 2 : 4, n) && array(n, out, depth);
      case 0xde:
      case 0xdf:
        return length(b == 0xde ? 2 : 4, n) && map(n, out, depth);
      default:
        --pos_;
        return fail("invalid MessagePack type byte 0x" + [&] {
          static const char* kHex = "0123456789abcdef";
          return std::string{kHex[b >> 4], kHex[b & 15]};
        }());
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string error_;
};

// ---- Trace expansion ---------------------------------------------------------------------

const json* at_pointer(const json& j, const std::string& pointer) {
  const json* cur = &j;
  std::size_t pos = 0;
  if (pointer.empty() || pointer == "/") return cur;
  if (pointer[0] != '/') return nullptr;
  while (pos < pointer.size()) {
    const std::size_t next = pointer.find('/', pos + 1);
    std::string token =
        pointer.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    // JSON pointer escapes (RFC 6901).
    for (std::size_t i; (i = token.find("~1")) != std::string::npos;) token.replace(i, 2, "/");
    for (std::size_t i; (i = token.find("~0")) != std::string::npos;) token.replace(i, 2, "~");
    if (cur->is_object()) {
      const auto it = cur->find(token);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      const auto idx = parse_int(token);
      if (!idx || *idx < 0 || static_cast<std::size_t>(*idx) >= cur->size()) return nullptr;
      cur = &(*cur)[static_cast<std::size_t>(*idx)];
    } else {
      return nullptr;
    }
    if (next == std::string::npos) break;
    pos = next;
  }
  return cur;
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Quantity text of a resource map entry ("1", "500m", 2).
std::optional<std::string> quantity_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_float()) return safe_dump(v);
  return std::nullopt;
}

// One container's requests of cpu, memory and nvidia.com/gpu. A limit stands in for a request
// the container does not set, as API defaulting does (pkg/apis/core/v1/defaults.go,
// SetDefaults_Pod: requests default to limits).
bool container_requests(const json& container, models::Container& c, std::string& error) {
  const auto res = container.find("resources");
  if (res == container.end() || !res->is_object()) return true;
  auto pick = [&](const char* name) -> const json* {
    for (const char* section : {"requests", "limits"}) {
      const auto s = res->find(section);
      if (s == res->end() || !s->is_object()) continue;
      const auto it = s->find(name);
      if (it != s->end()) return &*it;
    }
    return nullptr;
  };
  if (const json* cpu = pick("cpu")) {
    const auto text = quantity_text(*cpu);
    const auto v = models::parse_cpu_millis(text.value_or("?"));
    if (!v) {
      error = "resources cpu: " + v.error();
      return false;
    }
    c.requests.cpu_milli = *v;
  }
  if (const json* mem = pick("memory")) {
    const auto text = quantity_text(*mem);
    const auto v = models::parse_bytes(text.value_or("?"));
    if (!v) {
      error = "resources memory: " + v.error();
      return false;
    }
    c.requests.memory = *v;
  }
  if (const json* gpu = pick("nvidia.com/gpu")) {
    const auto text = quantity_text(*gpu);
    const auto v = text ? parse_int(*text) : std::nullopt;
    if (!v || *v < 0 || *v > 1'000'000) {
      error = "resources nvidia.com/gpu: expected a whole number of GPUs";
      return false;
    }
    c.requests.gpu = *v;
  }
  return true;
}

// The pod's effective requests exactly as the scheduler sees them: models::Pod::requests()
// reproduces upstream PodRequests (k8s.io/component-helpers/resource/helpers.go, v1.34):
// app containers plus sidecars, raised to the largest init-time requirement, plus overhead.
bool pod_requests(const json& spec, models::ResourceList& total, std::string& error) {
  total = {};
  if (!spec.is_object()) return true;
  models::Pod pod;
  for (const char* list : {"initContainers", "containers"}) {
    const auto cs = spec.find(list);
    if (cs == spec.end() || !cs->is_array()) continue;
    for (const auto& c : *cs) {
      if (!c.is_object()) {
        error = std::string(list) + ": expected container objects";
        return false;
      }
      models::Container container;
      if (!container_requests(c, container, error)) return false;
      if (list[0] == 'i') {
        const auto rp = c.find("restartPolicy");
        container.restartable =
            rp != c.end() && rp->is_string() && rp->get<std::string>() == "Always";
        pod.spec.init_containers.push_back(std::move(container));
      } else {
        pod.spec.containers.push_back(std::move(container));
      }
    }
  }
  if (const auto oh = spec.find("overhead"); oh != spec.end() && oh->is_object()) {
    models::Container c;
    json wrapper = {{"resources", {{"requests", *oh}}}};
    if (!container_requests(wrapper, c, error)) return false;
    pod.spec.overhead = c.requests;
  }
  total = pod.requests();
  return true;
}

// Unix seconds that fit sim::Time as nanoseconds (until 2261).
constexpr std::int64_t kMaxUnixSeconds = 9'200'000'000;

struct TrackedObject {
  std::vector<std::size_t> live;  // indices into ClusterTrace::pods, oldest first
  std::string template_hash;      // json dump of the pod templates: a change replaces pods
  std::int64_t created = 0;       // pods ever created, for names
};

struct Lifecycle {
  std::optional<std::int64_t> start, end;  // Unix seconds
};

class SimkubeExpander {
 public:
  SimkubeExpander(const std::string& file, const TraceOptions& options, Diagnostics& out,
                  TraceReport& report, ClusterTrace& trace)
      : file_(file), options_(options), out_(out), report_(report), trace_(trace) {}

  void run(const json& root) {
    if (!root.is_object() || !root.contains("events") || !root["events"].is_array()) {
      file_error("not a SimKube trace: no \"events\" list",
                 "expected {version, config, events, ...}");
      return;
    }
    if (const auto v = root.find("version");
        v != root.end() && v->is_number_integer() && v->get<std::int64_t>() != 2) {
      file_error("unsupported SimKube trace version " + safe_dump(*v), "version 2 is supported");
      return;
    }
    if (const auto* tracked = at_pointer(root, "/config/trackedObjects");
        tracked && tracked->is_object()) {
      for (const auto& [kind, cfg] : tracked->items()) {
        std::vector<std::string> paths;
        if (const auto* p = at_pointer(cfg, "/podSpecTemplatePaths"); p && p->is_array()) {
          for (const auto& s : *p) {
            if (s.is_string()) paths.push_back(s.get<std::string>());
          }
        }
        template_paths_.emplace_back(kind, std::move(paths));
      }
    }
    read_lifecycles(root);
    const auto& events = root["events"];
    bool have_origin = false;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (options_.max_rows && report_.rows >= *options_.max_rows) break;
      ++report_.rows;
      const auto& e = events[i];
      const std::string where = "events[" + std::to_string(i) + "]";
      const auto ts = e.is_object() ? e.find("ts") : e.end();
      if (!e.is_object() || ts == e.end() || !ts->is_number_integer()) {
        bad_row(where + ".ts", "event has no integer \"ts\" (Unix seconds)");
        continue;
      }
      const std::int64_t t = ts->get<std::int64_t>();
      if (t < 0 || t > kMaxUnixSeconds) {
        bad_row(where + ".ts",
                "event time " + std::to_string(t) + " is not a Unix time in seconds");
        continue;
      }
      if (!have_origin) {
        origin_ = t;
        have_origin = true;
      }
      const auto at = checked_mul(t - origin_, sim::kSecond);
      if (t < origin_ || !at) {
        bad_row(where + ".ts", "event time is before the first event or out of range",
                "events are in time order");
        continue;
      }
      for (const char* list : {"applied_objs", "deleted_objs"}) {
        const auto objs = e.find(list);
        if (objs == e.end()) continue;
        if (!objs->is_array()) {
          bad_row(where + "." + list, "expected a list of objects");
          continue;
        }
        for (std::size_t k = 0; k < objs->size(); ++k) {
          const std::string opath = where + "." + list + "[" + std::to_string(k) + "]";
          apply((*objs)[k], *at, list[0] == 'd', opath);
        }
      }
    }
  }

 private:
  void file_error(std::string message, std::string hint = {}) {
    out_.add({file_, 0, 0, "", std::move(message), std::move(hint)});
  }
  void bad_row(std::string path, std::string message, std::string hint = {}) {
    Diagnostic d{file_, 0, 0, std::move(path), std::move(message), std::move(hint)};
    if (options_.skip_bad_rows) {
      ++report_.skipped;
      if (report_.skipped_rows.size() < 20) report_.skipped_rows.push_back(std::move(d));
    } else {
      out_.add(std::move(d));
    }
  }

  // pod_lifecycles: {"[\"v1.Pod\",\"ns/name\"]": {hash: [{"Finished": [start, end]} |
  // {"Running": start}, ...]}}: every pod the owner ran, per pod-template hash.
  void read_lifecycles(const json& root) {
    const auto it = root.find("pod_lifecycles");
    if (it == root.end() || !it->is_object()) return;
    for (const auto& [key, by_hash] : it->items()) {
      const auto k = json::parse(key, nullptr, false);
      if (k.is_discarded() || !k.is_array() || k.size() != 2 || !k[0].is_string() ||
          !k[1].is_string() || !by_hash.is_object()) {
        bad_row("pod_lifecycles",
                "lifecycle key " + key.substr(0, 80) + " is not [kind, \"namespace/name\"]");
        continue;
      }
      auto& list = lifecycles_[k[0].get<std::string>() + "/" + k[1].get<std::string>()];
      for (const auto& [hash, entries] : by_hash.items()) {
        if (!entries.is_array()) continue;
        for (const auto& entry : entries) {
          if (!entry.is_object()) continue;
          Lifecycle lc;
          if (const auto f = entry.find("Finished");
              f != entry.end() && f->is_array() && f->size() == 2 && (*f)[0].is_number_integer() &&
              (*f)[1].is_number_integer()) {
            lc.start = (*f)[0].get<std::int64_t>();
            lc.end = (*f)[1].get<std::int64_t>();
          } else if (const auto r = entry.find("Running");
                     r != entry.end() && r->is_number_integer()) {
            lc.start = r->get<std::int64_t>();
          } else {
            bad_row("pod_lifecycles", "lifecycle entry of " + k[1].get<std::string>() +
                                          " is neither Running nor Finished");
            continue;
          }
          if (*lc.start < 0 || *lc.start > kMaxUnixSeconds ||
              (lc.end && (*lc.end < 0 || *lc.end > kMaxUnixSeconds))) {
            bad_row("pod_lifecycles", "lifecycle of " + k[1].get<std::string>() +
                                          " has a time that is not Unix seconds");
            continue;
          }
          if (lc.end && *lc.end < *lc.start) {
            bad_row("pod_lifecycles",
                    "lifecycle of " + k[1].get<std::string>() + " ends before it starts");
            continue;
          }
          list.push_back(lc);
        }
      }
      std::stable_sort(list.begin(), list.end(),
                       [](const Lifecycle& a, const Lifecycle& b) { return a.start < b.start; });
    }
  }

  const std::vector<Lifecycle>* lifecycle(const std::string& key) const {
    const auto it = lifecycles_.find(key);
    return it == lifecycles_.end() || it->second.empty() ? nullptr : &it->second;
  }

  // Default pod-template locations when config.trackedObjects names none.
  static std::vector<std::string> default_template_paths(std::string_view kind) {
    if (kind == "Pod") return {""};
    if (kind == "CronJob") return {"/spec/jobTemplate/spec/template"};
    return {"/spec/template"};
  }

 public:
  // CronJob pods come from the recorded lifecycles (one pod per run); called after run().
  void emit_cronjob_pods() {
    for (const auto& [key, tmpl] : cronjobs_) {
      const auto* runs = lifecycle(tmpl.kind_key + "/" + tmpl.group);
      if (!runs) continue;
      std::int64_t n = 0;
      for (const auto& lc : *runs) {
        if (!lc.start || *lc.start < origin_) continue;
        TracePod pod = tmpl.pod;
        pod.name = tmpl.group + "-" + std::to_string(n++);
        pod.creation = (*lc.start - origin_) * sim::kSecond;
        pod.scheduled = pod.creation;
        if (lc.end) {
          pod.run_time = (*lc.end - *lc.start) * sim::kSecond;
          pod.deletion = (*lc.end - origin_) * sim::kSecond;
        } else if (tmpl.deleted) {
          pod.deletion = std::max(pod.creation, *tmpl.deleted);
        }
        trace_.pods.push_back(std::move(pod));
      }
    }
  }

 private:
  bool apply(const json& obj, sim::Time at, bool deleted, const std::string& where) {
    const std::string api = str(obj, "apiVersion");
    const std::string kind = str(obj, "kind");
    const json* meta = obj.is_object() ? at_pointer(obj, "/metadata") : nullptr;
    if (kind.empty() || api.empty() || !meta || str(*meta, "name").empty()) {
      bad_row(where, "object has no apiVersion, kind or metadata.name");
      return false;
    }
    const std::string ns = str(*meta, "namespace");
    const std::string name = str(*meta, "name");
    const std::string kind_key = api + "." + kind;
    if (!valid_utf8(name) || !valid_utf8(ns)) {
      bad_row(where + ".metadata", "object name or namespace is not valid UTF-8");
      return false;
    }
    const std::string key = kind_key + "/" + (ns.empty() ? "default" : ns) + "/" + name;
    auto& state = objects_[key];
    const std::string group = (ns.empty() ? "default" : ns) + "/" + name;
    if (deleted) {
      delete_pods(state, state.live.size(), at);
      if (const auto c = cronjobs_.find(key); c != cronjobs_.end()) c->second.deleted = at;
      return true;
    }
    // Pod templates: the configured paths, or the object itself for a bare Pod.
    std::vector<std::string> paths;
    for (const auto& [k, p] : template_paths_) {
      if (k == kind_key) paths = p;
    }
    if (paths.empty()) paths = default_template_paths(kind);
    std::vector<const json*> templates;
    for (const auto& p : paths) {
      if (const json* t = at_pointer(obj, p); t && t->is_object()) templates.push_back(t);
    }
    if (templates.empty()) {
      bad_row(where, "no pod template in " + kind_key + " " + name,
              "list its podSpecTemplatePaths under config.trackedObjects");
      return false;
    }
    if (kind == "CronJob") {
      // Its pods are the runs recorded in pod_lifecycles (emit_cronjob_pods).
      CronJobTemplate t;
      t.kind_key = kind_key;
      t.group = group;
      std::string error;
      if (!make_pod(*templates.front(), group, 1, t.pod, error)) {
        bad_row(where, error);
        return false;
      }
      cronjobs_[key] = std::move(t);
      return true;
    }
    std::int64_t desired = 1;
    if (kind == "Job") {
      if (const json* p = at_pointer(obj, "/spec/parallelism"); p && p->is_number_integer()) {
        desired = p->get<std::int64_t>();
      }
    } else if (kind != "Pod" && kind != "CronJob") {
      if (const json* r = at_pointer(obj, "/spec/replicas"); r && r->is_number_integer()) {
        desired = r->get<std::int64_t>();
      }
    }
    if (desired < 0 || desired > 100'000) {
      bad_row(where + ".spec.replicas",
              "replica count " + std::to_string(desired) + " is out of range [0, 100000]");
      return false;
    }
    // One pod per template and replica; a changed template replaces the running pods.
    std::string hash;
    for (const json* t : templates) hash += safe_dump(*t);
    if (hash != state.template_hash) {
      delete_pods(state, state.live.size(), at);
      state.template_hash = hash;
    }
    const auto want = static_cast<std::size_t>(desired) * templates.size();
    if (state.live.size() > want) delete_pods(state, state.live.size() - want, at);
    while (state.live.size() < want) {
      const json& tmpl = *templates[state.live.size() % templates.size()];
      TracePod pod;
      std::string error;
      if (!make_pod(tmpl, group, static_cast<std::int32_t>(want), pod, error)) {
        bad_row(where, error);
        return false;
      }
      pod.creation = at;
      if (kind == "Pod") {
        pod.name = pod.group;
        if (const auto* runs = lifecycle(kind_key + "/" + pod.group)) {
          const Lifecycle& lc = runs->front();
          if (lc.start && *lc.start >= origin_)
            pod.scheduled = (*lc.start - origin_) * sim::kSecond;
          if (lc.start && lc.end) pod.run_time = (*lc.end - *lc.start) * sim::kSecond;
        }
      } else {
        pod.name = pod.group + "-" + std::to_string(state.created);
      }
      ++state.created;
      state.live.push_back(trace_.pods.size());
      trace_.pods.push_back(std::move(pod));
    }
    return true;
  }

  // A pod from a template: requests, GPUs, priority, labels, group.
  static bool make_pod(const json& tmpl, const std::string& group, std::int32_t group_size,
                       TracePod& pod, std::string& error) {
    const json* spec = at_pointer(tmpl, "/spec");
    models::ResourceList r;
    if (!pod_requests(spec ? *spec : json(), r, error)) return false;
    pod.cpu_milli = r.cpu_milli;
    pod.memory_bytes = r.memory;
    if (r.gpu > 0) {
      pod.num_gpu = static_cast<std::int32_t>(std::min<std::int64_t>(r.gpu, 1'000'000));
      pod.gpu_milli = 1000;
    }
    // GPU sharing as Alibaba's clusters write it (models/objects.hpp kAnnotationGpuMilli).
    if (const json* milli = at_pointer(tmpl, "/metadata/annotations/alibabacloud.com~1gpu-milli")) {
      const auto v = milli->is_string()
                         ? models::parse_gpu_annotation(milli->get<std::string>(), 1, 1000)
                         : std::nullopt;
      if (!v) {
        error = "annotation alibabacloud.com/gpu-milli: expected an integer 1..1000";
        return false;
      }
      pod.num_gpu = std::max(pod.num_gpu, 1);
      pod.gpu_milli = static_cast<std::int32_t>(*v);
      if (pod.num_gpu > 1 && pod.gpu_milli < 1000) {
        error = "a pod sharing a GPU (gpu-milli < 1000) must use one device";
        return false;
      }
    }
    if (spec) {
      if (const auto p = spec->find("priority"); p != spec->end() && p->is_number_integer()) {
        pod.priority = static_cast<std::int32_t>(
            std::clamp<std::int64_t>(p->get<std::int64_t>(), INT32_MIN, INT32_MAX));
      }
    }
    if (const json* labels = at_pointer(tmpl, "/metadata/labels"); labels && labels->is_object()) {
      for (const auto& [k, v] : labels->items()) {
        if (!v.is_string()) continue;
        if (!valid_utf8(k) || !valid_utf8(v.get_ref<const std::string&>())) {
          error = "a pod template label is not valid UTF-8";
          return false;
        }
        pod.labels.emplace_back(k, v.get<std::string>());
      }
    }
    pod.group = group;
    pod.group_size = group_size;
    return true;
  }

  // Deletes the newest `n` live pods (a scale-down removes the youngest, as upstream's
  // ReplicaSet controller prefers when ranks tie: controller_utils.go ActivePodsWithRanks).
  void delete_pods(TrackedObject& state, std::size_t n, sim::Time at) {
    for (std::size_t i = 0; i < n && !state.live.empty(); ++i) {
      auto& pod = trace_.pods[state.live.back()];
      if (!pod.deletion) pod.deletion = at;
      state.live.pop_back();
    }
  }

  const std::string& file_;
  const TraceOptions& options_;
  Diagnostics& out_;
  TraceReport& report_;
  ClusterTrace& trace_;
  std::int64_t origin_ = 0;
  std::vector<std::pair<std::string, std::vector<std::string>>> template_paths_;
  std::map<std::string, std::vector<Lifecycle>> lifecycles_;
  struct CronJobTemplate {
    std::string kind_key;
    std::string group;
    TracePod pod;
    std::optional<sim::Time> deleted;
  };
  std::map<std::string, CronJobTemplate> cronjobs_;
  std::map<std::string, TrackedObject> objects_;
};

}  // namespace

bool load_simkube(const std::vector<std::string>& paths, const TraceOptions& options,
                  Diagnostics& out, ClusterTrace& trace) {
  for (const auto& path : paths) {
    TraceReport report;
    report.file = path;
    std::string data;
    if (read_whole_file(path, data, out)) {
      json root;
      const auto first = data.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && data[first] == '{') {
        root = json::parse(data, nullptr, false);
        if (root.is_discarded()) {
          out.add({path, 0, 0, "", "not valid JSON", "a SimKube .json trace is one JSON object"});
        }
      } else {
        MsgpackReader reader(data);
        if (!reader.read(root)) {
          out.add({path, 0, 0, "",
                   "not a valid MessagePack SimKube trace: " +
                       (reader.error().empty() ? std::string("trailing bytes after the trace")
                                               : reader.error()),
                   "an .sktrace file is the MessagePack encoding of a SimKube trace"});
          root = json();
        }
      }
      if (!root.is_null() && !root.is_discarded()) {
        SimkubeExpander expander(path, options, out, report, trace);
        expander.run(root);
        expander.emit_cronjob_pods();
      }
    }
    trace.reports.push_back(std::move(report));
  }
  return true;
}

}  // namespace kubesim::scenarios::traces::detail
