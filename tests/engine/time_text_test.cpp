#include "engine/time_text.hpp"

#include <catch2/catch.hpp>

using peergate::format_duration;
using peergate::format_rfc3339;
using peergate::parse_duration;
using peergate::parse_rfc3339;
using namespace std::chrono;

namespace {

system_clock::time_point utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours(hh) + minutes(mm) + seconds(ss);
}

std::string problem_of(std::string_view text) {
  std::string problem;
  CHECK_FALSE(parse_rfc3339(text, &problem));
  return problem;
}

}  // namespace

TEST_CASE("RFC 3339 times in UTC and with offsets") {
  CHECK(parse_rfc3339("2027-01-31T00:00:00Z", nullptr) == utc(2027, 1, 31));
  CHECK(parse_rfc3339("2027-01-31t00:00:00z", nullptr) == utc(2027, 1, 31));
  CHECK(parse_rfc3339("2027-01-31T01:30:00+01:30", nullptr) == utc(2027, 1, 31));
  CHECK(parse_rfc3339("2027-01-30T19:00:00-05:00", nullptr) == utc(2027, 1, 31));
  CHECK(parse_rfc3339("2024-02-29T23:59:59Z", nullptr) == utc(2024, 2, 29, 23, 59, 59));
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z", nullptr) == system_clock::time_point{});
  // Fractions of a second, more digits than the clock keeps included.
  CHECK(parse_rfc3339("2027-01-31T00:00:00.5Z", nullptr) == utc(2027, 1, 31) + milliseconds(500));
  CHECK(parse_rfc3339("2027-01-31T00:00:00.1234567891234Z", nullptr) ==
        utc(2027, 1, 31) + duration_cast<system_clock::duration>(nanoseconds(123456789)));
}

TEST_CASE("RFC 3339: every field is checked and the zone is required") {
  CHECK(problem_of("2027-01-31T00:00:00").find("no time zone") != std::string::npos);
  CHECK(problem_of("2027-01-31").find("no 'T'") != std::string::npos);
  CHECK(problem_of("2027-01-31 00:00:00Z").find("no 'T'") != std::string::npos);
  CHECK(problem_of("27-01-31T00:00:00Z").find("no date") != std::string::npos);
  CHECK(problem_of("2027-13-01T00:00:00Z") == "month 13 does not exist");
  CHECK(problem_of("2027-00-01T00:00:00Z") == "month 00 does not exist");
  CHECK(problem_of("2027-02-29T00:00:00Z") == "day 29 does not exist in 2027-02");
  CHECK(problem_of("2027-04-31T00:00:00Z") == "day 31 does not exist in 2027-04");
  CHECK(problem_of("2027-01-31T24:00:00Z").find("out of range") != std::string::npos);
  CHECK(problem_of("2027-01-31T23:59:60Z").find("leap second") != std::string::npos);
  CHECK(problem_of("2027-01-31T00:00:00+0100").find("HH:MM") != std::string::npos);
  CHECK(problem_of("2027-01-31T00:00:00+24:00").find("out of range") != std::string::npos);
  CHECK(problem_of("2027-01-31T00:00:00.Z").find("no digits") != std::string::npos);
  CHECK(problem_of("2027-01-31T00:00:00Z ").find("after the time zone") != std::string::npos);
  CHECK(problem_of("2027-01-31T00:00:00UTC").find("where the time zone should be") != std::string::npos);
  CHECK(problem_of("2027-01-31T00:00:00 Z").find("where the time zone should be") != std::string::npos);
  CHECK(problem_of("+2027-01-31T00:00:00Z").find("no date") != std::string::npos);
  CHECK(problem_of("").find("no date") != std::string::npos);
  CHECK(problem_of("2027-1-31T00:00:00Z").find("no date") != std::string::npos);
}

TEST_CASE("RFC 3339 text of a time, in UTC, whole seconds") {
  CHECK(format_rfc3339(utc(2027, 1, 31)) == "2027-01-31T00:00:00Z");
  CHECK(format_rfc3339(utc(2024, 2, 29, 23, 59, 59) + milliseconds(999)) == "2024-02-29T23:59:59Z");
  CHECK(format_rfc3339(*parse_rfc3339("2027-01-31T01:30:00+01:30", nullptr)) == "2027-01-31T00:00:00Z");
  CHECK(format_rfc3339(system_clock::time_point{}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("Go-style durations in hours, minutes and seconds") {
  CHECK(parse_duration("168h", nullptr) == hours(168));
  CHECK(parse_duration("1h30m", nullptr) == minutes(90));
  CHECK(parse_duration("1h0m5s", nullptr) == seconds(3605));
  CHECK(parse_duration("90s", nullptr) == seconds(90));
  CHECK(parse_duration("0s", nullptr) == seconds(0));
  CHECK(parse_duration("0", nullptr) == seconds(0));
  std::string problem;
  for (const char* bad : {"", "168", "h", "1d", "1.5h", "30m1h", "1h1h", "-1h", "1H", " 1h", "1h ", "1000000000h"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad, &problem));
    CHECK_FALSE(problem.empty());
  }
  parse_duration("168", &problem);
  CHECK(problem.find("has no unit") != std::string::npos);
  parse_duration("30m1h", &problem);
  CHECK(problem.find("out of order") != std::string::npos);
  parse_duration("7d", &problem);
  CHECK(problem.find("unknown unit 'd'") != std::string::npos);
}

TEST_CASE("the text of a duration is the shortest Go-style one") {
  CHECK(format_duration(hours(168)) == "168h");
  CHECK(format_duration(minutes(90)) == "1h30m");
  CHECK(format_duration(seconds(3605)) == "1h5s");
  CHECK(format_duration(seconds(0)) == "0s");
}
