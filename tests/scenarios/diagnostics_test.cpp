// Tests of scenarios/diagnostics.hpp (formatting, did-you-mean) and of the FieldReader in
// scenarios/yaml_reader.hpp (typed getters, located errors, unknown-field reporting).
#include "scenarios/diagnostics.hpp"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "scenarios/yaml_reader.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

TEST_CASE("a diagnostic formats as file:line:column: path: message (hint: ...)", "[diagnostics]") {
  Diagnostic d{"a.yaml", 3, 7, "spec.duration", "invalid duration", "write 10s"};
  CHECK(d.format() == "a.yaml:3:7: spec.duration: invalid duration (hint: write 10s)");
  d.hint.clear();
  CHECK(d.format() == "a.yaml:3:7: spec.duration: invalid duration");
  d.path.clear();
  CHECK(d.format() == "a.yaml:3:7: invalid duration");
  d.column = 0;
  CHECK(d.format() == "a.yaml:3: invalid duration");
  d.line = 0;
  CHECK(d.format() == "a.yaml: invalid duration");
  d.file.clear();
  CHECK(d.format() == "<input>: invalid duration");
}

TEST_CASE("diagnostics collect in order and format one per line", "[diagnostics]") {
  Diagnostics ds;
  CHECK(ds.empty());
  CHECK(ds.format().empty());
  ds.add(Diagnostic{"f", 1, 2, "a", "first", ""});
  ds.add(Diagnostic{"f", 5, 1, "b", "second", "h"});
  CHECK(ds.size() == 2);
  CHECK_FALSE(ds.empty());
  CHECK(ds.items()[0].message == "first");
  CHECK(ds.format() == "f:1:2: a: first\nf:5:1: b: second (hint: h)\n");
}

TEST_CASE("did_you_mean suggests the nearest known word for a likely typo", "[diagnostics]") {
  const std::vector<std::string> spec = {"seed", "duration", "sampleInterval", "workloads"};
  CHECK(did_you_mean("duraton", spec) == "duration");   // one deletion
  CHECK(did_you_mean("duratoin", spec) == "duration");  // a transposition = 2 edits
  CHECK(did_you_mean("Duration", spec) == "duration");  // case counts half
  CHECK(did_you_mean("sampleintervall", spec) == "sampleInterval");
  CHECK(did_you_mean("workload", spec) == "workloads");
  CHECK(did_you_mean("sed", spec) == "seed");  // |word| = 3: 1 edit allowed
  // Too far to be a typo: limit is max(1, |word|/3) edits.
  CHECK(did_you_mean("colour", spec).empty());
  CHECK(did_you_mean("xyz", spec).empty());
  CHECK(did_you_mean("dur", spec).empty());
  CHECK(did_you_mean("anything", {}).empty());
  // The closest wins, not the first close enough.
  CHECK(did_you_mean("mean", {"main", "mean2", "mean"}) == "mean");
  CHECK(did_you_mean("p90", {"p50", "p99"}) == "p50");  // a tie goes to the first listed
}

namespace {

struct Reader {
  YAML::Node node;
  Diagnostics diagnostics;
  FieldReader r;
  explicit Reader(const std::string& yaml)
      : node(YAML::Load(yaml)), r(node, "root", "r.yaml", &diagnostics) {}
};

}  // namespace

TEST_CASE("FieldReader reads typed fields", "[yaml_reader]") {
  Reader x(
      "s: hello\ni: -42\nplus: +7\nn: 2.5e3\nb: true\nf: false\nd: 1h30m\ne: poisson\n"
      "m: {k: 1}\nl: [{a: 1}, {a: 2}]\n");
  CHECK(x.r.expect_map());
  CHECK(x.r.string("s") == "hello");
  CHECK(x.r.integer("i", -100, 100) == -42);
  CHECK(x.r.integer("plus", 0, 10) == 7);
  CHECK(x.r.number("n", 0, 1e9) == 2500.0);
  CHECK(x.r.boolean("b") == true);
  CHECK(x.r.boolean("f") == false);
  CHECK(x.r.duration("d", 0) == sim::minutes(90));
  CHECK(x.r.one_of("e", {"poisson", "constant"}) == "poisson");
  auto m = x.r.map("m");
  REQUIRE(m.has_value());
  CHECK(m->path() == "root.m");
  CHECK(m->integer("k", 0, 1) == 1);
  m->finish();
  auto l = x.r.list_of_maps("l");
  REQUIRE(l.has_value());
  REQUIRE(l->size() == 2);
  CHECK((*l)[1].path() == "root.l[1]");
  CHECK((*l)[0].integer("a", 0, 5) == 1);
  CHECK((*l)[1].integer("a", 0, 5) == 2);
  CHECK(x.r.has("s"));
  CHECK_FALSE(x.r.has("absent"));
  CHECK_FALSE(x.r.string("absent").has_value());  // optional and absent: no diagnostic
  x.r.finish();
  for (auto& item : *l) item.finish();
  INFO(x.diagnostics.format());
  CHECK(x.diagnostics.empty());
}

TEST_CASE("FieldReader reports bad values at their position", "[yaml_reader]") {
  // Columns: the value after "key: " on each line starts at column 4 (one-letter keys).
  Reader x("i: 1.5\nj: 9999999999999999999999\nn: 1e999\nb: yes\nd: 5 m\ne: Poisson\nm: [1]\n");
  CHECK_FALSE(x.r.integer("i", 0, 10).has_value());
  CHECK_FALSE(x.r.integer("j", 0, 10).has_value());
  CHECK_FALSE(x.r.number("n", 0, 1).has_value());
  CHECK_FALSE(x.r.boolean("b").has_value());
  CHECK_FALSE(x.r.duration("d", 0).has_value());
  CHECK_FALSE(x.r.one_of("e", {"poisson", "constant"}).has_value());
  CHECK_FALSE(x.r.map("m").has_value());
  CHECK_FALSE(x.r.string("req", true).has_value());
  x.r.finish();
  const auto& ds = x.diagnostics.items();
  INFO(x.diagnostics.format());
  REQUIRE(ds.size() == 8);
  for (int i = 0; i < 7; ++i) {
    CHECK(ds[static_cast<std::size_t>(i)].line == i + 1);
    CHECK(ds[static_cast<std::size_t>(i)].column == 4);
    CHECK(ds[static_cast<std::size_t>(i)].file == "r.yaml");
  }
  CHECK(ds[0].path == "root.i");
  CHECK(ds[0].message == "expected an integer, got \"1.5\"");
  CHECK(ds[1].message == "expected an integer, got \"9999999999999999999999\"");
  CHECK(ds[2].message == "expected a number, got \"1e999\"");
  CHECK(ds[3].message == "expected true or false, got \"yes\"");
  CHECK(ds[4].message.find("invalid duration \"5 m\"") == 0);
  CHECK(ds[5].hint == "did you mean 'poisson'?");
  CHECK(ds[6].message == "expected a mapping of fields");
  // A missing required field is reported at the mapping (its first key, 1:1).
  CHECK(ds[7].path == "root.req");
  CHECK(ds[7].line == 1);
  CHECK(ds[7].column == 1);
  CHECK(ds[7].message == "required field is missing (expected a string)");
}

TEST_CASE("FieldReader::finish reports each key nobody asked for", "[yaml_reader]") {
  Reader x("name: a\nnane: b\nzzz: c\n");
  x.r.string("name");
  x.r.string("image");
  x.r.finish();
  INFO(x.diagnostics.format());
  REQUIRE(x.diagnostics.size() == 2);
  const Diagnostic& typo = x.diagnostics.items()[0];
  CHECK(typo.path == "root.nane");
  CHECK(typo.line == 2);
  CHECK(typo.column == 1);
  CHECK(typo.hint == "did you mean 'name'?");
  const Diagnostic& unknown = x.diagnostics.items()[1];
  CHECK(unknown.path == "root.zzz");
  CHECK(unknown.hint == "known fields here: image name");
}

TEST_CASE("FieldReader on a node that is not a mapping", "[yaml_reader]") {
  Reader scalar("just text");
  CHECK_FALSE(scalar.r.expect_map());
  CHECK_FALSE(scalar.r.string("a").has_value());
  scalar.r.finish();
  REQUIRE(scalar.diagnostics.size() == 1);
  CHECK(scalar.diagnostics.items()[0].message == "expected a mapping of fields");

  Reader empty("");
  CHECK_FALSE(empty.r.expect_map());
  REQUIRE(empty.diagnostics.size() == 1);
  CHECK(empty.diagnostics.items()[0].message.find("is empty") == 0);
}

}  // namespace kubesim::scenarios
