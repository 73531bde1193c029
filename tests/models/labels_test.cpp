// Tests for models/labels: the Labels map and upstream's validation of label keys, label
// values and DNS names.
//
// Validation cases are upstream's tables from k8s.io/apimachinery/pkg/api/validate/content
// kube_test.go (TestIsLabelKey, TestIsLabelValue) and dns_test.go (TestIsDNS1123Label,
// TestIsDNS1123Subdomain). The map is checked against std::map as a reference.
#include "models/labels.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using kubesim::models::Labels;
using kubesim::models::parse_go_int64;
using kubesim::models::validate_dns1123_label;
using kubesim::models::validate_dns1123_subdomain;
using kubesim::models::validate_label_key;
using kubesim::models::validate_label_value;
using kubesim::models::validate_labels;

std::string rep(char c, std::size_t n) { return std::string(n, c); }

}  // namespace

TEST_CASE("Labels keeps keys sorted and unique", "[labels]") {
  Labels l{{"zone", "a"}, {"app", "web"}, {"tier", "front"}, {"app", "api"}};
  REQUIRE(l.size() == 3);
  std::vector<std::string> keys;
  for (const auto& [k, v] : l) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"app", "tier", "zone"});
  CHECK(l.get("app") == "api");  // the last duplicate wins
  CHECK(l.to_string() == "app=api,tier=front,zone=a");
}

TEST_CASE("Labels get, find, set, erase", "[labels]") {
  Labels l;
  CHECK(l.empty());
  CHECK(l.get("missing").empty());
  CHECK(l.find("missing") == nullptr);
  CHECK_FALSE(l.contains("missing"));

  l.set("k", "");
  CHECK(l.contains("k"));  // present with an empty value is not absent
  REQUIRE(l.find("k") != nullptr);
  CHECK(l.find("k")->empty());

  l.set("k", "v2");
  CHECK(l.size() == 1);
  CHECK(l.get("k") == "v2");

  CHECK(l.erase("k"));
  CHECK_FALSE(l.erase("k"));
  CHECK(l.empty());
}

TEST_CASE("Labels equality ignores insertion order", "[labels]") {
  Labels a{{"a", "1"}, {"b", "2"}};
  Labels b;
  b.set("b", "2");
  b.set("a", "1");
  CHECK(a == b);
  b.set("a", "3");
  CHECK_FALSE(a == b);
}

TEST_CASE("Labels::contains_all is SelectorFromSet(subset).Matches", "[labels]") {
  // upstream selector_test.go TestSetMatches, through SelectorFromSet.
  Labels set{{"foo", "bar"}, {"baz", "blah"}};
  CHECK(set.contains_all(Labels{}));
  CHECK(set.contains_all(Labels{{"foo", "bar"}}));
  CHECK(set.contains_all(Labels{{"baz", "blah"}}));
  CHECK(set.contains_all(Labels{{"foo", "bar"}, {"baz", "blah"}}));
  CHECK_FALSE(set.contains_all(Labels{{"foo", "=blah"}}));
  CHECK_FALSE(set.contains_all(Labels{{"foo", "bar"}, {"foobar", "bar"}, {"baz", "blah"}}));
  CHECK_FALSE(Labels{}.contains_all(Labels{{"foo", ""}}));
}

TEST_CASE("Labels behaves like std::map under random operations", "[labels]") {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> op(0, 2), key(0, 15), val(0, 3);
  Labels labels;
  std::map<std::string, std::string> reference;
  for (int step = 0; step < 5000; ++step) {
    std::string k = "k" + std::to_string(key(rng));
    switch (op(rng)) {
      case 0: {
        std::string v = "v" + std::to_string(val(rng));
        labels.set(k, v);
        reference[k] = v;
        break;
      }
      case 1:
        REQUIRE(labels.erase(k) == (reference.erase(k) == 1));
        break;
      default: {
        auto it = reference.find(k);
        const std::string* got = labels.find(k);
        REQUIRE((got != nullptr) == (it != reference.end()));
        if (got) REQUIRE(*got == it->second);
      }
    }
    REQUIRE(labels.size() == reference.size());
  }
  auto it = reference.begin();
  for (const auto& [k, v] : labels) {
    REQUIRE(k == it->first);
    REQUIRE(v == it->second);
    ++it;
  }
}

TEST_CASE("validate_label_key accepts upstream's good keys", "[labels]") {
  // upstream kube_test.go TestIsLabelKey successCases
  const std::vector<std::string> good = {
      "simple",
      "now-with-dashes",
      "1-starts-with-num",
      "1234",
      "simple/simple",
      "now-with-dashes/simple",
      "now-with-dashes/now-with-dashes",
      "now.with.dots/simple",
      "now-with.dashes-and.dots/simple",
      "1-num.2-num/3-num",
      "1234/5678",
      "1.2.3.4/5678",
      "Uppercase_Is_OK_123",
      "example.com/Uppercase_Is_OK_123",
      "requests.storage-foo",
      rep('a', 63),
      rep('a', 253) + "/" + rep('b', 63),
  };
  for (const auto& k : good) {
    INFO(k);
    auto s = validate_label_key(k);
    INFO(s.message());
    CHECK(s.ok());
  }
}

TEST_CASE("validate_label_key rejects upstream's bad keys", "[labels]") {
  // upstream kube_test.go TestIsLabelKey errorCases
  const std::vector<std::string> bad = {
      "nospecialchars%^=@", "cantendwithadash-",    "-cantstartwithadash-", "only/one/slash",
      "Example.com/abc",    "example_com/abc",      "example.com/",         "/simple",
      rep('a', 64),         rep('a', 254) + "/abc",
  };
  for (const auto& k : bad) {
    INFO(k);
    CHECK_FALSE(validate_label_key(k).ok());
  }
}

TEST_CASE("validate_label_key says what is wrong and where", "[labels]") {
  CHECK(validate_label_key("only/one/slash").message() ==
        "label key \"only/one/slash\": must be a name with an optional DNS subdomain prefix "
        "and '/' (e.g. 'example.com/MyName'); found a second '/' at offset 8");
  CHECK(validate_label_key("/simple").message() ==
        "label key \"/simple\": prefix part must not be empty");
  CHECK(validate_label_key("example.com/").message() ==
        "label key \"example.com/\": name part must not be empty");
  // The offset of a bad name character counts from the start of the whole key.
  const std::string msg = validate_label_key("example.com/a b").message();
  CHECK(msg.find("found ' ' at offset 13") != std::string::npos);
  CHECK(validate_label_key("Example.com/abc")
            .message()
            .find("prefix part a lowercase RFC 1123 subdomain") != std::string::npos);
  CHECK(validate_label_key(rep('a', 64))
            .message()
            .find("name part must be no more than 63 characters (it has 64)") != std::string::npos);
  CHECK(validate_label_key(std::string("a\x01")).message().find("found byte 0x01 at offset 1") !=
        std::string::npos);
}

TEST_CASE("validate_label_value follows upstream's table", "[labels]") {
  // upstream kube_test.go TestIsLabelValue
  for (const std::string& v :
       {std::string("simple"), std::string("now-with-dashes"), std::string("1-starts-with-num"),
        std::string("end-with-num-1"), std::string("1234"), rep('a', 63), std::string("")}) {
    INFO(v);
    CHECK(validate_label_value(v).ok());
  }
  for (const std::string& v :
       {std::string("nospecialchars%^=@"), std::string("Tama-nui-te-rā.is.Māori.sun"),
        std::string("\\backslashes\\are\\bad"), std::string("-starts-with-dash"),
        std::string("ends-with-dash-"), std::string(".starts.with.dot"),
        std::string("ends.with.dot."), rep('a', 64)}) {
    INFO(v);
    CHECK_FALSE(validate_label_value(v).ok());
  }
  CHECK(validate_label_value("ends-with-dash-").message().find("found '-' at offset 14") !=
        std::string::npos);
}

TEST_CASE("validate_labels reports the first bad entry in key order", "[labels]") {
  CHECK(validate_labels(Labels{{"app", "web"}, {"example.com/tier", "front_end"}}).ok());
  auto s = validate_labels(Labels{{"z", "-bad"}, {"a", "fine"}});
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("label value \"-bad\"") != std::string::npos);
  CHECK(s.message().find("(at key \"z\")") != std::string::npos);
}

TEST_CASE("validate_dns1123_label follows upstream's table", "[labels]") {
  // upstream dns_test.go TestIsDNS1123Label
  for (const std::string& v :
       {std::string("a"), std::string("ab"), std::string("abc"), std::string("a1"),
        std::string("a-1"), std::string("a--1--2--b"), std::string("0"), std::string("01"),
        std::string("012"), std::string("1a"), std::string("1-a"), std::string("1--a--b--2"),
        rep('a', 63)}) {
    INFO(v);
    CHECK(validate_dns1123_label(v).ok());
  }
  for (const char* v : {"",    "A",  "ABC", "aBc", "A1",  "A-1", "1-A", "-",   "a-", "-a", "1-",
                        "-1",  "_",  "a_",  "_a",  "a_b", "1_",  "_1",  "1_2", ".",  "a.", ".a",
                        "a.b", "1.", ".1",  "1.2", " ",   "a ",  " a",  "a b", "1 ", " 1", "1 2"}) {
    INFO(v);
    CHECK_FALSE(validate_dns1123_label(v).ok());
  }
  CHECK_FALSE(validate_dns1123_label(rep('a', 64)).ok());
  // upstream's special message for a valid subdomain that is not a label
  CHECK(validate_dns1123_label("a.b").message().find("must not contain dots") != std::string::npos);
}

TEST_CASE("validate_dns1123_subdomain follows upstream's table", "[labels]") {
  // upstream dns_test.go TestIsDNS1123Subdomain
  for (const char* v : {"a",
                        "ab",
                        "abc",
                        "a1",
                        "a-1",
                        "a--1--2--b",
                        "0",
                        "01",
                        "012",
                        "1a",
                        "1-a",
                        "1--a--b--2",
                        "a.a",
                        "ab.a",
                        "abc.a",
                        "a1.a",
                        "a-1.a",
                        "a--1--2--b.a",
                        "a.1",
                        "ab.1",
                        "abc.1",
                        "a1.1",
                        "a-1.1",
                        "a--1--2--b.1",
                        "0.a",
                        "01.a",
                        "012.a",
                        "1a.a",
                        "1-a.a",
                        "0.1",
                        "01.1",
                        "012.1",
                        "1a.1",
                        "1-a.1",
                        "1--a--b--2.1",
                        "a.b.c.d.e",
                        "aa.bb.cc.dd.ee",
                        "1.2.3.4.5",
                        "11.22.33.44.55"}) {
    INFO(v);
    CHECK(validate_dns1123_subdomain(v).ok());
  }
  CHECK(validate_dns1123_subdomain(rep('a', 253)).ok());
  for (const char* v : {"",
                        "A",
                        "ABC",
                        "aBc",
                        "A1",
                        "A-1",
                        "1-A",
                        "-",
                        "a-",
                        "-a",
                        "1-",
                        "-1",
                        "_",
                        "a_",
                        "_a",
                        "a_b",
                        "1_",
                        "_1",
                        "1_2",
                        ".",
                        "a.",
                        ".a",
                        "a..b",
                        "1.",
                        ".1",
                        "1..2",
                        " ",
                        "a ",
                        " a",
                        "a b",
                        "1 ",
                        " 1",
                        "1 2",
                        "A.a",
                        "aB.a",
                        "ab.A",
                        "A1.a",
                        "a1.A",
                        "A.1",
                        "aB.1",
                        "A1.1",
                        "1A.1",
                        "0.A",
                        "01.A",
                        "012.A",
                        "1A.a",
                        "1a.A",
                        "A.B.C.D.E",
                        "AA.BB.CC.DD.EE",
                        "a.B.c.d.e",
                        "aa.bB.cc.dd.ee",
                        "a@b",
                        "a,b",
                        "a;b",
                        "a:b",
                        "a%b",
                        "a?b",
                        "a$b"}) {
    INFO(v);
    CHECK_FALSE(validate_dns1123_subdomain(v).ok());
  }
  CHECK_FALSE(validate_dns1123_subdomain(rep('a', 254)).ok());
  // An empty part is reported at its dot; a part ending in '-' at the '-'.
  CHECK(validate_dns1123_subdomain("a..b").message().find("found '.' at offset 2") !=
        std::string::npos);
  CHECK(validate_dns1123_subdomain("ab-.c").message().find("found '-' at offset 2") !=
        std::string::npos);
}

TEST_CASE("parse_go_int64 is strconv.ParseInt(s, 10, 64)", "[labels]") {
  CHECK(parse_go_int64("0") == 0);
  CHECK(parse_go_int64("0206") == 206);  // leading zeros allowed (nodeaffinity_test.go)
  CHECK(parse_go_int64("+5") == 5);
  CHECK(parse_go_int64("-5") == -5);
  CHECK(parse_go_int64("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_go_int64("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
  CHECK_FALSE(parse_go_int64("9223372036854775808"));
  CHECK_FALSE(parse_go_int64("-9223372036854775809"));
  CHECK_FALSE(parse_go_int64(""));
  CHECK_FALSE(parse_go_int64("-"));
  CHECK_FALSE(parse_go_int64("1_000"));  // underscores only with base 0
  CHECK_FALSE(parse_go_int64("v2"));
  CHECK_FALSE(parse_go_int64("1.5"));
  CHECK_FALSE(parse_go_int64(" 1"));
}
