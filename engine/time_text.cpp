#include "engine/time_text.hpp"

#include <array>
#include <cstdint>

namespace peergate {

namespace {

namespace chrono = std::chrono;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// `count` digits at `at`, as a number; nullopt when one of them is not a digit.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool fail(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return false;
}

void two_digits(std::string& out, unsigned value) {
  out += static_cast<char>('0' + value / 10 % 10);
  out += static_cast<char>('0' + value % 10);
}

}  // namespace

std::optional<time_point> parse_rfc3339(std::string_view text, std::string* error) {
  const std::string expected = "expected an RFC 3339 time such as 2027-01-31T00:00:00Z";
  // The fixed part: YYYY-MM-DDTHH:MM:SS is 19 characters.
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (!year || !month || !day || text.size() < 10 || text[4] != '-' || text[7] != '-') {
    fail(error, "no date YYYY-MM-DD at the start (" + expected + ")");
    return std::nullopt;
  }
  if (text.size() < 11 || (text[10] != 'T' && text[10] != 't')) {
    fail(error, "no 'T' and time of day after the date (" + expected + ")");
    return std::nullopt;
  }
  if (!hour || !minute || !second || text[13] != ':' || text[16] != ':') {
    fail(error, "no time of day HH:MM:SS after the 'T' (" + expected + ")");
    return std::nullopt;
  }
  const chrono::year_month_day date{chrono::year(*year), chrono::month(static_cast<unsigned>(*month)),
                                    chrono::day(static_cast<unsigned>(*day))};
  if (*month < 1 || *month > 12) {
    fail(error, "month " + std::string(text.substr(5, 2)) + " does not exist");
    return std::nullopt;
  }
  if (!date.ok()) {
    fail(error, "day " + std::string(text.substr(8, 2)) + " does not exist in " + std::string(text.substr(0, 7)));
    return std::nullopt;
  }
  if (*hour > 23 || *minute > 59 || *second > 59) {
    fail(error, "time of day " + std::string(text.substr(11, 8)) + " is out of range" +
                    (*second == 60 ? " (a leap second cannot be represented)" : ""));
    return std::nullopt;
  }
  std::size_t at = 19;
  chrono::nanoseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t first = at;
    std::int64_t nanos = 0;
    std::size_t kept = 0;
    while (at < text.size() && is_digit(text[at])) {
      if (kept < 9) {
        nanos = nanos * 10 + (text[at] - '0');
        ++kept;
      }
      ++at;
    }
    if (at == first) {
      fail(error, "no digits after the '.' of the seconds");
      return std::nullopt;
    }
    for (; kept < 9; ++kept) nanos *= 10;
    fraction = chrono::nanoseconds(nanos);
  }
  chrono::minutes offset{0};
  if (at == text.size()) {
    fail(error, "no time zone: end it with Z (UTC) or an offset such as +02:00");
    return std::nullopt;
  }
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    const auto offset_hours = digits(text, at + 1, 2), offset_minutes = digits(text, at + 4, 2);
    if (!offset_hours || !offset_minutes || text[at + 3] != ':') {
      fail(error, "the offset after '" + std::string(1, text[at]) + "' must be HH:MM, such as +02:00");
      return std::nullopt;
    }
    if (*offset_hours > 23 || *offset_minutes > 59) {
      fail(error, "offset " + std::string(text.substr(at, 6)) + " is out of range");
      return std::nullopt;
    }
    offset = chrono::hours(*offset_hours) + chrono::minutes(*offset_minutes);
    if (text[at] == '-') offset = -offset;
    at += 6;
  } else {
    fail(error, "unexpected '" + std::string(1, text[at]) + "' where the time zone should be (Z or +HH:MM)");
    return std::nullopt;
  }
  if (at != text.size()) {
    fail(error, "unexpected text \"" + std::string(text.substr(at)) + "\" after the time zone");
    return std::nullopt;
  }
  // The local time minus its offset is UTC.
  const auto local = chrono::sys_days(date) + chrono::hours(*hour) + chrono::minutes(*minute) +
                     chrono::seconds(*second) + fraction - offset;
  return chrono::time_point_cast<time_point::duration>(local);
}

std::string format_rfc3339(time_point t) {
  const auto seconds = chrono::floor<chrono::seconds>(t);
  const auto days = chrono::floor<chrono::days>(seconds);
  const chrono::year_month_day date{days};
  const chrono::hh_mm_ss<chrono::seconds> time{seconds - days};
  std::string out;
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) return year < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z";
  out += static_cast<char>('0' + year / 1000);
  out += static_cast<char>('0' + year / 100 % 10);
  two_digits(out, static_cast<unsigned>(year % 100));
  out += '-';
  two_digits(out, static_cast<unsigned>(date.month()));
  out += '-';
  two_digits(out, static_cast<unsigned>(date.day()));
  out += 'T';
  two_digits(out, static_cast<unsigned>(time.hours().count()));
  out += ':';
  two_digits(out, static_cast<unsigned>(time.minutes().count()));
  out += ':';
  two_digits(out, static_cast<unsigned>(time.seconds().count()));
  out += 'Z';
  return out;
}

std::optional<chrono::seconds> parse_duration(std::string_view text, std::string* error) {
  const std::string expected = "expected whole numbers with the units h, m and s, such as 168h, 1h30m or 90s";
  if (text == "0") return chrono::seconds(0);
  if (text.empty()) {
    fail(error, "empty duration (" + expected + ")");
    return std::nullopt;
  }
  constexpr std::array<std::pair<char, std::int64_t>, 3> units = {{{'h', 3600}, {'m', 60}, {'s', 1}}};
  std::size_t next_unit = 0;  // units must come largest first, each at most once
  std::int64_t total = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t first = at;
    std::int64_t number = 0;
    while (at < text.size() && is_digit(text[at])) {
      if (at - first >= 9) {
        fail(error, "duration \"" + std::string(text) + "\" is too large");
        return std::nullopt;
      }
      number = number * 10 + (text[at] - '0');
      ++at;
    }
    if (at == first) {
      fail(error, "\"" + std::string(text) + "\": a number must come before each unit (" + expected + ")");
      return std::nullopt;
    }
    if (at == text.size()) {
      fail(error, "\"" + std::string(text) + "\": the number " + std::string(text.substr(first)) + " has no unit (" +
                      expected + ")");
      return std::nullopt;
    }
    std::size_t unit = next_unit;
    while (unit < units.size() && units[unit].first != text[at]) ++unit;
    if (unit == units.size()) {
      const bool known = text[at] == 'h' || text[at] == 'm' || text[at] == 's';
      fail(error, "\"" + std::string(text) + "\": " +
                      (known ? "unit '" + std::string(1, text[at]) + "' repeated or out of order (largest first)"
                             : "unknown unit '" + std::string(1, text[at]) + "'") +
                      " (" + expected + ")");
      return std::nullopt;
    }
    total += number * units[unit].second;
    next_unit = unit + 1;
    ++at;
  }
  return chrono::seconds(total);
}

std::string format_duration(chrono::seconds d) {
  std::int64_t left = d.count();
  if (left <= 0) return "0s";
  std::string out;
  const std::int64_t hours = left / 3600, minutes = left % 3600 / 60, seconds = left % 60;
  if (hours) out += std::to_string(hours) + "h";
  if (minutes) out += std::to_string(minutes) + "m";
  if (seconds) out += std::to_string(seconds) + "s";
  return out;
}

}  // namespace peergate
