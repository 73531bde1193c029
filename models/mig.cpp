#include "models/mig.hpp"

namespace kubesim::models {

std::optional<std::vector<MigProfile>> mig_profiles_for(std::int64_t gpu_memory_mib) {
  // NVIDIA MIG user guide, tables "GPU Instance Profiles on A100" / "on H100".
  if (gpu_memory_mib >= 39'000 && gpu_memory_mib <= 42'000) {
    return std::vector<MigProfile>{{"1g.5gb", 1, 1},   {"1g.10gb", 1, 2}, {"2g.10gb", 2, 2},
                                   {"3g.20gb", 3, 4},  {"4g.20gb", 4, 4}, {"7g.40gb", 7, 8}};
  }
  if (gpu_memory_mib >= 79'000 && gpu_memory_mib <= 82'000) {
    return std::vector<MigProfile>{{"1g.10gb", 1, 1},  {"1g.20gb", 1, 2}, {"2g.20gb", 2, 2},
                                   {"3g.40gb", 3, 4},  {"4g.40gb", 4, 4}, {"7g.80gb", 7, 8}};
  }
  return std::nullopt;
}

std::string mig_resource(std::string_view profile) {
  return "nvidia.com/mig-" + std::string(profile);
}

}  // namespace kubesim::models
