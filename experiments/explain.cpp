#include "experiments/explain.hpp"

#include "experiments/text_format.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "models/scheduler_framework.hpp"
#include "policies/registry.hpp"
#include "policies/score_math.hpp"

namespace kubesim::experiments {
namespace {

namespace sched = models::sched;

std::string pod_key(const models::Pod& pod) {
  const std::string name =
      pod.metadata.name.empty() ? pod.metadata.generate_name + "<generated>" : pod.metadata.name;
  return pod.metadata.namespace_ + "/" + name;
}

// The profile without the plugins this build does not register (each one noted).
policies::SchedulerProfile usable_profile(const policies::Registry& registry,
                                          policies::SchedulerProfile profile,
                                          std::vector<std::string>& notes) {
  std::vector<std::string> dropped;
  for (auto& names : profile.plugins) {
    for (auto it = names.begin(); it != names.end();) {
      if (registry.find(*it) == nullptr) {
        if (std::find(dropped.begin(), dropped.end(), *it) == dropped.end()) dropped.push_back(*it);
        it = names.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& name : dropped) {
    profile.score_weights.erase(name);
    notes.push_back("profile \"" + profile.scheduler_name + "\": plugin " + name +
                    " is not implemented in this kubesim build; explained without it");
  }
  return profile;
}

// What plugins may ask about objects other than nodes and pods.
policies::PluginContext context_for(const scenarios::Manifests& state) {
  policies::PluginContext ctx;
  // upstream helper.DefaultSelector: Services and ReplicaSets selecting the pod (in its
  // namespace), for PodTopologySpread's system-default constraints.
  ctx.owner_selectors = [&state](const models::Pod& pod) {
    std::vector<models::LabelSelector> out;
    for (const auto& svc : state.services) {
      if (!policies::service_selects(svc, pod)) continue;
      models::LabelSelector sel;
      sel.match_labels = svc.spec.selector;
      out.push_back(std::move(sel));
    }
    for (const auto& rs : state.replica_sets) {
      if (rs.metadata.namespace_ != pod.metadata.namespace_) continue;
      auto m = models::label_selector_as_matcher(&rs.spec.selector);
      if (m && !m->empty() && m->matches(pod.metadata.labels)) out.push_back(rs.spec.selector);
    }
    return out;
  };
  ctx.namespace_labels = [&state](std::string_view ns) -> const models::Labels* {
    for (const auto& n : state.namespaces) {
      if (n.metadata.name == ns) return &n.metadata.labels;
    }
    return nullptr;
  };
  ctx.pod_group =
      [&state](std::string_view ns,
               std::string_view name) -> std::optional<policies::PluginContext::PodGroupInfo> {
    for (const auto& g : state.pod_groups) {
      if (g.metadata.namespace_ != ns || g.metadata.name != name) continue;
      return policies::pod_group_info(g);
    }
    return std::nullopt;
  };
  return ctx;
}

// spec.priority, or the value of its PriorityClass when only the class is named (the
// Priority admission plugin's job; `kubectl get` output already carries spec.priority).
std::int32_t resolved_priority(const models::Pod& pod, const scenarios::Manifests& state) {
  if (pod.spec.priority != 0 || pod.spec.priority_class_name.empty()) return pod.spec.priority;
  for (const auto& pc : state.priority_classes) {
    if (pc.metadata.name == pod.spec.priority_class_name) return pc.value;
  }
  if (pod.spec.priority_class_name == "system-cluster-critical") {
    return models::kSystemClusterCritical;
  }
  if (pod.spec.priority_class_name == "system-node-critical") return models::kSystemNodeCritical;
  return 0;
}

}  // namespace

sim::Result<Explanation> explain(const scenarios::Manifests& state,
                                 const policies::SchedulerConfig& config,
                                 const ExplainOptions& options) {
  Explanation out;
  out.node_count = state.nodes.size();
  out.upstream_nodes_to_find = policies::num_feasible_nodes_to_find(
      static_cast<std::int32_t>(state.nodes.size()),
      static_cast<std::int32_t>(config.percentage_of_nodes_to_score));

  policies::Registry registry;
  policies::register_builtins(registry);
  const policies::PluginContext context = context_for(state);

  // Every node is reported: evaluate all of them.
  policies::SchedulerConfig all_nodes = config;
  all_nodes.percentage_of_nodes_to_score = 100;
  struct Profile {
    std::unique_ptr<sched::Framework> framework;
    sim::Rng rng;
  };
  std::map<std::string, Profile> profiles;
  for (const auto& p : config.profiles) {
    policies::SchedulerProfile profile = usable_profile(registry, p, out.notes);
    profile.percentage_of_nodes_to_score.reset();
    auto fw = policies::build_framework(registry, all_nodes, profile, context);
    if (!fw) return sim::Status::invalid_argument(fw.error());
    profiles.emplace(
        p.scheduler_name,
        Profile{std::move(fw).value(), sim::Rng(options.seed, 0, "scheduler/" + p.scheduler_name)});
  }
  if (out.upstream_nodes_to_find < static_cast<std::int32_t>(out.node_count)) {
    out.notes.push_back("with " + std::to_string(out.node_count) +
                        " nodes the real scheduler stops Filter after " +
                        std::to_string(out.upstream_nodes_to_find) +
                        " feasible nodes (percentageOfNodesToScore); explain evaluates all");
  }

  sched::Snapshot snapshot;
  std::map<std::string, std::size_t> node_index;  // name -> position in state.nodes
  for (std::size_t i = 0; i < state.nodes.size(); ++i) {
    snapshot.upsert_node(std::make_shared<const models::Node>(state.nodes[i]));
    node_index.emplace(state.nodes[i].metadata.name, i);
  }

  struct Pending {
    const models::Pod* pod;
    std::int32_t priority;
    std::size_t input_order;
  };
  std::vector<Pending> pending;
  for (std::size_t i = 0; i < state.pods.size(); ++i) {
    const models::Pod& pod = state.pods[i];
    if (pod.metadata.being_deleted() || pod.terminal()) continue;
    if (pod.bound()) {
      sched::NodeInfo* node = snapshot.find(pod.spec.node_name);
      if (node == nullptr) {
        out.notes.push_back("pod " + pod_key(pod) + " is bound to node " + pod.spec.node_name +
                            ", which is not in the input; ignored");
        continue;
      }
      node->add_pod(std::make_shared<const sched::PodInfo>(
          sched::PodInfo::from(std::make_shared<const models::Pod>(pod))));
      ++out.bound_pods;
      continue;
    }
    if (pod.status.phase != models::PodPhase::kPending) continue;
    pending.push_back({&pod, resolved_priority(pod, state), i});
  }
  // upstream PrioritySort: higher priority first, then the earlier queue timestamp (the
  // creation time here), then input order.
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.pod->metadata.creation_timestamp < b.pod->metadata.creation_timestamp;
  });

  for (const Pending& p : pending) {
    auto it = profiles.find(p.pod->spec.scheduler_name);
    if (it == profiles.end()) {
      out.notes.push_back("pod " + pod_key(*p.pod) + " is skipped: schedulerName \"" +
                          p.pod->spec.scheduler_name + "\" has no profile in the configuration");
      continue;
    }
    sched::Framework& fw = *it->second.framework;
    auto pod = std::make_shared<models::Pod>(*p.pod);
    pod->spec.priority = p.priority;
    const sched::PodInfo info = sched::PodInfo::from(pod);

    sched::CycleState cycle = fw.new_cycle_state();
    sched::CycleDiagnosis diagnosis;
    const sched::ScheduleResult result =
        fw.schedule(cycle, info, snapshot, it->second.rng, &diagnosis);

    ExplainPod ep;
    ep.pod = pod_key(*p.pod);
    ep.scheduler_name = p.pod->spec.scheduler_name;
    ep.priority = p.priority;
    ep.nodes.resize(state.nodes.size());
    for (std::size_t i = 0; i < state.nodes.size(); ++i) {
      ep.nodes[i].node = state.nodes[i].metadata.name;
      ep.nodes[i].evaluated = false;
    }
    for (const auto& [node, status] : diagnosis.rejected) {
      ExplainNode& n = ep.nodes[node_index.at(node->name())];
      n.evaluated = true;
      n.feasible = false;
      n.rejected_plugin = status.plugin;
      n.rejected_reason = status.reason;
    }
    const auto& refs = fw.score_plugins();
    for (const sched::NodeScoreDetail& d : diagnosis.scores) {
      ExplainNode& n = ep.nodes[node_index.at(d.node->name())];
      n.evaluated = true;
      n.feasible = true;
      n.total = d.total;
      for (std::size_t k = 0; k < d.raw.size() && k < diagnosis.score_plugins.size(); ++k) {
        ExplainScore s;
        s.plugin = diagnosis.score_plugins[k];
        s.raw = d.raw[k];
        s.normalized = d.normalized[k];
        s.weight = diagnosis.score_weights[k];
        s.skipped = k < refs.size() && refs[k].plugin->slot() < cycle.skip_score.size() &&
                    cycle.skip_score[refs[k].plugin->slot()];
        n.scores.push_back(std::move(s));
      }
      ep.scored = !d.raw.empty();
    }
    for (ExplainNode& n : ep.nodes) {
      if (n.evaluated) continue;
      const std::string& nominated = p.pod->status.nominated_node_name;
      n.rejected_plugin = "(not evaluated)";
      n.rejected_reason =
          !nominated.empty() && result.node != nullptr && result.node->name() == nominated
              ? "the nominated node " + nominated + " passed Filter and was tried alone first"
              : "excluded before Filter (PreFilter narrowed the candidate nodes)";
    }
    if (result.node != nullptr) {
      ep.chosen_node = result.node->name();
      // Assume: the next pod sees this one on its node.
      pod->spec.node_name = result.node->name();
      snapshot.find(result.node->name())
          ->add_pod(std::make_shared<const sched::PodInfo>(sched::PodInfo::from(pod)));
    } else {
      ep.fit_error = result.fit_error.empty() ? result.status.message() : result.fit_error;
    }
    out.pods.push_back(std::move(ep));
  }
  return out;
}

std::string render_json(const Explanation& explanation) {
  // Written directly, in the layout of nlohmann's dump(2): building a json tree for
  // pods x nodes x plugins entries costs seconds and a gigabyte on a 1000-node state.
  std::string out;
  auto str = [&out](const std::string& s) { out += nlohmann::json(s).dump(); };
  auto indent = [&out](int n) { out.append(static_cast<std::size_t>(n) * 2, ' '); };
  out += "{\n  \"pods\": [";
  for (std::size_t i = 0; i < explanation.pods.size(); ++i) {
    const ExplainPod& p = explanation.pods[i];
    out += i ? ",\n" : "\n";
    indent(2);
    out += "{\n";
    indent(3);
    out += "\"pod\": ";
    str(p.pod);
    out += ",\n";
    indent(3);
    out += "\"chosenNode\": ";
    if (p.chosen_node) {
      str(*p.chosen_node);
    } else {
      out += "null";
    }
    out += ",\n";
    indent(3);
    out += "\"nodes\": [";
    for (std::size_t k = 0; k < p.nodes.size(); ++k) {
      const ExplainNode& n = p.nodes[k];
      out += k ? ",\n" : "\n";
      indent(4);
      out += "{\n";
      indent(5);
      out += "\"node\": ";
      str(n.node);
      out += ",\n";
      indent(5);
      out += n.feasible ? "\"feasible\": true,\n" : "\"feasible\": false,\n";
      indent(5);
      out += "\"rejectedBy\": ";
      if (n.feasible) {
        out += "null";
      } else {
        out += "{\n";
        indent(6);
        out += "\"plugin\": ";
        str(n.rejected_plugin);
        out += ",\n";
        indent(6);
        out += "\"reason\": ";
        str(n.rejected_reason);
        out += "\n";
        indent(5);
        out += "}";
      }
      out += ",\n";
      indent(5);
      out += "\"scores\": {";
      for (std::size_t j = 0; j < n.scores.size(); ++j) {
        const ExplainScore& sc = n.scores[j];
        out += j ? ",\n" : "\n";
        indent(6);
        str(sc.plugin);
        out += ": {\n";
        indent(7);
        out += "\"raw\": " + std::to_string(sc.raw) + ",\n";
        indent(7);
        out += "\"normalized\": " + std::to_string(sc.normalized) + ",\n";
        indent(7);
        out += "\"weight\": " + std::to_string(sc.weight) + "\n";
        indent(6);
        out += "}";
      }
      if (!n.scores.empty()) {
        out += "\n";
        indent(5);
      }
      out += "},\n";
      indent(5);
      out += "\"total\": " + std::to_string(n.total) + "\n";
      indent(4);
      out += "}";
    }
    if (!p.nodes.empty()) {
      out += "\n";
      indent(3);
    }
    out += "]\n";
    indent(2);
    out += "}";
  }
  if (!explanation.pods.empty()) out += "\n  ";
  out += "]\n}\n";
  return out;
}

namespace {

}  // namespace

std::string render_table(const Explanation& explanation) {
  std::ostringstream out;
  out << explanation.node_count << " node" << (explanation.node_count == 1 ? "" : "s") << ", "
      << explanation.bound_pods << " bound pod" << (explanation.bound_pods == 1 ? "" : "s") << ", "
      << explanation.pods.size() << " pending pod" << (explanation.pods.size() == 1 ? "" : "s")
      << " explained in scheduling-queue order\n";
  for (const auto& note : explanation.notes) out << "note: " << note << "\n";
  for (const ExplainPod& p : explanation.pods) {
    out << "\npod " << p.pod << " (priority " << p.priority << ", " << p.scheduler_name << "): ";
    if (p.chosen_node) {
      out << "-> " << *p.chosen_node << "\n";
    } else {
      out << "unschedulable\n  " << p.fit_error << "\n";
    }
    std::vector<std::vector<std::string>> rows = {{"NODE", "FEASIBLE", "TOTAL", "REASON"}};
    std::vector<const ExplainNode*> feasible;
    for (const ExplainNode& n : p.nodes) {
      std::string reason;
      if (!n.feasible) {
        reason = n.rejected_plugin.empty() ? n.rejected_reason
                                           : n.rejected_plugin + ": " + n.rejected_reason;
      } else if (!p.scored) {
        reason = "the only feasible node: not scored (as upstream)";
      } else if (p.chosen_node && *p.chosen_node == n.node) {
        reason = "chosen";
      }
      if (n.feasible) feasible.push_back(&n);
      rows.push_back({n.node, n.feasible ? "yes" : "no",
                      n.feasible && p.scored ? std::to_string(n.total) : "-", reason});
    }
    out << format_columns(rows, "  ");
    if (!p.scored || feasible.empty()) continue;
    out << "  scores: normalized (raw); TOTAL = sum of normalized x weight\n";
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header = {"PLUGIN", "WEIGHT"};
    for (const ExplainNode* n : feasible) header.push_back(n->node);
    table.push_back(std::move(header));
    for (std::size_t k = 0; k < feasible.front()->scores.size(); ++k) {
      const ExplainScore& first = feasible.front()->scores[k];
      std::vector<std::string> row = {first.plugin, std::to_string(first.weight)};
      for (const ExplainNode* n : feasible) {
        const ExplainScore& s = n->scores[k];
        row.push_back(
            s.skipped ? "skip" : std::to_string(s.normalized) + " (" + std::to_string(s.raw) + ")");
      }
      table.push_back(std::move(row));
    }
    out << format_columns(table, "  ");
  }
  return out.str();
}

}  // namespace kubesim::experiments
