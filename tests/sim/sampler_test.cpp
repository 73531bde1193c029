// Tests of sim/sampler.hpp: row times, what a row sees, column rules and the CSV bytes.
#include "sim/sampler.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "sim/simulation.hpp"

namespace kubesim::sim {

TEST_CASE("sampler records a row at start and every interval, up to run_until", "[sampler]") {
  Simulation sim;
  Sampler sampler(sim, seconds(10));
  double level = 0;
  sampler.add_column("level", [&] { return level; });
  sampler.start();
  CHECK(sampler.times() == std::vector<Time>{0});

  sim.run_until(seconds(35));  // stops between the 30 s and 40 s samples
  CHECK(sampler.times() == std::vector<Time>{0, seconds(10), seconds(20), seconds(30)});
  CHECK(sim.now() == seconds(35));

  sim.run_until(seconds(50));  // a sample exactly at the bound is taken
  CHECK(sampler.times() ==
        std::vector<Time>{0, seconds(10), seconds(20), seconds(30), seconds(40), seconds(50)});
}

TEST_CASE("sampler started late keeps its own phase", "[sampler]") {
  Simulation sim;
  sim.run_until(seconds(7));
  Sampler sampler(sim, seconds(10));
  sampler.add_column("x", [] { return 1.0; });
  sampler.start();
  sim.run_until(seconds(30));
  CHECK(sampler.times() == std::vector<Time>{seconds(7), seconds(17), seconds(27)});
}

TEST_CASE("sampler stop ends sampling and start resumes with a new phase", "[sampler]") {
  Simulation sim;
  Sampler sampler(sim, seconds(10));
  sampler.add_column("x", [] { return 1.0; });
  sampler.start();
  sim.run_until(seconds(15));
  CHECK(sampler.running());
  CHECK(sampler.stop());
  CHECK_FALSE(sampler.running());
  CHECK_FALSE(sampler.stop());
  sim.run_until(seconds(40));
  CHECK(sampler.row_count() == 2);  // 0 and 10 s
  CHECK(sim.pending() == 0);        // the timer is gone
  sampler.start();
  sim.run_until(seconds(60));
  CHECK(sampler.times() ==
        std::vector<Time>{0, seconds(10), seconds(40), seconds(50), seconds(60)});
}

TEST_CASE("sampler rows hold the values read at each sample time", "[sampler]") {
  Simulation sim;
  Sampler sampler(sim, seconds(1));
  double queue = 0;
  double served = 0;
  sampler.add_column("queue", [&] { return queue; });
  sampler.add_column("served", [&] { return served; });
  // Scheduled before start(): at 1 s this runs before the sampler's tick.
  sim.schedule_at(seconds(1), [&] { queue = 5; });
  sim.schedule_at(milliseconds(1500), [&] {
    queue = 2;
    served = 3;
  });
  sampler.start();
  sim.run_until(seconds(2));
  REQUIRE(sampler.row_count() == 3);
  CHECK(sampler.columns() == std::vector<std::string>{"queue", "served"});
  CHECK(sampler.column_index("served") == 1u);
  CHECK_FALSE(sampler.column_index("missing").has_value());
  CHECK(sampler.value(0, 0) == 0);
  CHECK(sampler.value(1, 0) == 5);
  CHECK(sampler.value(1, 1) == 0);
  CHECK(sampler.value(2, 0) == 2);
  CHECK(sampler.value(2, 1) == 3);
  CHECK(sampler.row(2).size() == 2);
}

TEST_CASE("sampler columns are fixed once started and must be valid CSV names", "[sampler]") {
  Simulation sim;
  Sampler sampler(sim, seconds(1));
  sampler.add_column("a", [] { return 0.0; });
  CHECK_THROWS_AS(sampler.add_column("a", [] { return 0.0; }), std::logic_error);
  CHECK_THROWS_AS(sampler.add_column("", [] { return 0.0; }), std::logic_error);
  CHECK_THROWS_AS(sampler.add_column("time_s", [] { return 0.0; }), std::logic_error);
  CHECK_THROWS_AS(sampler.add_column("a,b", [] { return 0.0; }), std::logic_error);
  CHECK_THROWS_AS(sampler.add_column("say \"hi\"", [] { return 0.0; }), std::logic_error);
  CHECK_THROWS_AS(sampler.add_column("line\nbreak", [] { return 0.0; }), std::logic_error);
  CHECK_THROWS_AS(sampler.add_column("no_reader", nullptr), std::logic_error);
  sampler.start();
  CHECK_THROWS_AS(sampler.start(), std::logic_error);
  CHECK_THROWS_WITH(sampler.add_column("b", [] { return 0.0; }),
                    Catch::Contains("columns are fixed"));
  sampler.stop();
  CHECK_THROWS_AS(sampler.add_column("b", [] { return 0.0; }), std::logic_error);
  CHECK(sampler.columns().size() == 1);
}

TEST_CASE("sampler rejects a non-positive interval", "[sampler]") {
  Simulation sim;
  CHECK_THROWS_AS(Sampler(sim, 0), std::invalid_argument);
  CHECK_THROWS_AS(Sampler(sim, -seconds(1)), std::invalid_argument);
}

TEST_CASE("destroying a running sampler cancels its timer", "[sampler]") {
  Simulation sim;
  {
    Sampler sampler(sim, seconds(1));
    sampler.add_column("x", [] { return 1.0; });
    sampler.start();
    CHECK(sim.pending() == 1);
  }
  CHECK(sim.pending() == 0);
  sim.run_until(seconds(5));  // nothing left to call into the destroyed sampler
}

TEST_CASE("sampler writes the expected CSV bytes", "[sampler]") {
  Simulation sim;
  Sampler sampler(sim, milliseconds(500));
  double pods = 0;
  double util = 0;
  sampler.add_column("pods", [&] { return pods; });
  sampler.add_column("util", [&] { return util; });
  sim.schedule_at(milliseconds(250), [&] {
    pods = 1;
    util = 0.25;
  });
  sim.schedule_at(milliseconds(750), [&] {
    pods = 2;
    util = 1.0 / 3.0;
  });
  sampler.start();
  sim.run_until(milliseconds(1200));
  std::ostringstream out;
  sampler.write_csv(out);
  CHECK(out.str() ==
        "time_s,pods,util\n"
        "0,0,0\n"
        "0.5,1,0.25\n"
        "1,2,0.3333333333333333\n");
}

TEST_CASE("sampler with no rows writes only the header", "[sampler]") {
  Simulation sim;
  Sampler sampler(sim, seconds(1));
  sampler.add_column("x", [] { return 0.0; });
  std::ostringstream out;
  sampler.write_csv(out);
  CHECK(out.str() == "time_s,x\n");
}

TEST_CASE("format_number prints the shortest round-trip decimal", "[sampler]") {
  CHECK(format_number(0) == "0");
  CHECK(format_number(-0.0) == "0");
  CHECK(format_number(3) == "3");
  CHECK(format_number(-2.5) == "-2.5");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(format_number(100000) == "100000");
  CHECK(format_number(123456.789) == "123456.789");
  CHECK(format_number(1e20) == "100000000000000000000");
  CHECK(format_number(1e21) == "1e+21");
  CHECK(format_number(1.5e300) == "1.5e+300");
  CHECK(format_number(0.000001) == "0.000001");
  CHECK(format_number(1e-7) == "1e-07");
  CHECK(format_number(-2.5e-9) == "-2.5e-09");
  CHECK(format_number(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(format_number(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(format_number(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("format_time_seconds prints exact decimal seconds", "[sampler]") {
  CHECK(format_time_seconds(0) == "0");
  CHECK(format_time_seconds(seconds(86400)) == "86400");
  CHECK(format_time_seconds(milliseconds(1500)) == "1.5");
  CHECK(format_time_seconds(1) == "0.000000001");
  CHECK(format_time_seconds(seconds(3) + 120) == "3.00000012");
  CHECK(format_time_seconds(-seconds(2) - 1) == "-2.000000001");
  CHECK(format_time_seconds(std::numeric_limits<Time>::min()) == "-9223372036.854775808");
}

}  // namespace kubesim::sim
