// ResourceList: units, validation and arithmetic. Expected values are hand-computed from
// the Kubernetes quantity rules (cpu in millicores, memory in bytes, extended resources in
// whole units) and upstream's validation messages (pkg/apis/core/validation).
#include <catch2/catch.hpp>

#include "models/resources.hpp"

namespace kubesim::models {
namespace {

ResourceList parse_ok(const std::vector<std::pair<std::string, std::string>>& entries) {
  auto r = parse_resource_list(entries);
  INFO(r.error());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("resource lists parse each resource in its own unit", "[resources]") {
  const ResourceList r = parse_ok({{"cpu", "1500m"},
                                   {"memory", "2Gi"},
                                   {"ephemeral-storage", "10G"},
                                   {"pods", "110"},
                                   {"nvidia.com/gpu", "8"},
                                   {"hugepages-2Mi", "1Gi"},
                                   {"example.com/fpga", "2"}});
  CHECK(r.cpu_milli == 1500);
  CHECK(r.memory == 2LL * 1024 * 1024 * 1024);
  CHECK(r.ephemeral_storage == 10'000'000'000LL);
  CHECK(r.pods == 110);
  CHECK(r.gpu == 8);
  CHECK(r.get("hugepages-2Mi") == 1024LL * 1024 * 1024);
  CHECK(r.get("example.com/fpga") == 2);
  CHECK(r.get("example.com/absent") == 0);
  // cpu "0.5" is 500m; memory "128974848" is bytes; "129e6" is 129,000,000 bytes.
  const ResourceList s = parse_ok({{"cpu", "0.5"}, {"memory", "129e6"}});
  CHECK(s.cpu_milli == 500);
  CHECK(s.memory == 129'000'000);
}

TEST_CASE("bad resource entries are all reported", "[resources]") {
  auto r = parse_resource_list({{"cpu", "-1"},
                                {"nvidia.com/gpu", "0.5"},
                                {"gpu", "1"},
                                {"memory", "1Gb"},
                                {"pods", "10"},
                                {"pods", "20"}});
  REQUIRE_FALSE(r.ok());
  const std::string& e = r.error();
  CHECK_THAT(e, Catch::Contains("cpu: invalid quantity \"-1\": must be greater than or equal to 0"));
  CHECK_THAT(e, Catch::Contains("nvidia.com/gpu: \"0.5\" must be an integer"));
  CHECK_THAT(e, Catch::Contains("gpu: unknown resource"));
  CHECK_THAT(e, Catch::Contains("memory: invalid quantity \"1Gb\""));
  CHECK_THAT(e, Catch::Contains("pods: given twice"));
}

TEST_CASE("extended resource names follow upstream's rule", "[resources]") {
  CHECK(is_extended_resource_name("nvidia.com/gpu"));
  CHECK(is_extended_resource_name("example.com/fpga"));
  CHECK_FALSE(is_extended_resource_name("cpu"));
  CHECK_FALSE(is_extended_resource_name("kubernetes.io/something"));
  CHECK_FALSE(is_extended_resource_name("node.kubernetes.io/x"));
  CHECK_FALSE(is_extended_resource_name("requests.example.com/x"));
}

TEST_CASE("fits_in and exceeding compare every resource", "[resources]") {
  const ResourceList node = parse_ok({{"cpu", "4"}, {"memory", "8Gi"}, {"pods", "110"},
                                      {"nvidia.com/gpu", "2"}});
  const ResourceList small = parse_ok({{"cpu", "4"}, {"memory", "1Gi"}, {"nvidia.com/gpu", "2"}});
  const ResourceList big = parse_ok({{"cpu", "4001m"}, {"memory", "1Gi"}, {"nvidia.com/gpu", "3"},
                                     {"example.com/fpga", "1"}});
  CHECK(small.fits_in(node));  // equal amounts fit
  CHECK_FALSE(big.fits_in(node));
  CHECK(big.exceeding(node) == std::vector<std::string>{"cpu", "nvidia.com/gpu", "example.com/fpga"});
  CHECK(small.exceeding(node).empty());
}

TEST_CASE("arithmetic adds and subtracts resource by resource", "[resources]") {
  ResourceList a = parse_ok({{"cpu", "1"}, {"example.com/fpga", "1"}});
  const ResourceList b = parse_ok({{"cpu", "250m"}, {"memory", "1Mi"}, {"example.com/fpga", "2"},
                                   {"example.org/nic", "4"}});
  const ResourceList sum = a + b;
  CHECK(sum.cpu_milli == 1250);
  CHECK(sum.memory == 1048576);
  CHECK(sum.get("example.com/fpga") == 3);
  CHECK(sum.get("example.org/nic") == 4);
  const ResourceList back = sum - b;
  CHECK(back == a);  // example.org/nic is present at 0 in `back`, absent in `a`: equal
  CHECK((b - b).is_zero());
  a -= b;
  CHECK(a.cpu_milli == 750);
  CHECK(a.get("example.com/fpga") == -1);
}

TEST_CASE("has tells an explicit zero from an absent resource", "[resources]") {
  const ResourceList r = parse_ok({{"cpu", "0"}, {"example.com/fpga", "0"}});
  CHECK(r.has("cpu"));
  CHECK(r.has("example.com/fpga"));
  CHECK_FALSE(r.has("memory"));
  CHECK_FALSE(r.has("nvidia.com/gpu"));
}

TEST_CASE("to_string prints Kubernetes notation sorted by name", "[resources]") {
  const ResourceList r = parse_ok({{"memory", "1536Mi"}, {"cpu", "1.5"}, {"nvidia.com/gpu", "1"},
                                   {"example.com/fpga", "2"}});
  CHECK(r.to_string() == "cpu=1500m,example.com/fpga=2,memory=1536Mi,nvidia.com/gpu=1");
}

}  // namespace
}  // namespace kubesim::models
