#pragma once
// Times and durations as people write them in policies and on the command line, parsed strictly
// and without the C library's locale or time zone: RFC 3339 times with a zone
// ("2027-01-31T00:00:00Z", "2027-01-31T01:00:00+01:00") and Go-style durations ("168h", "1h30m",
// "90s"). Pure functions: nothing here reads a clock.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace peergate {

using time_point = std::chrono::system_clock::time_point;

// An RFC 3339 date-time (section 5.6): YYYY-MM-DDTHH:MM:SS, optional fraction of a second, then
// Z or an offset ±HH:MM; 'T' and 'Z' in either case. Every field is range-checked (the day
// against its month and leap years); a leap second (:60) cannot be represented and is refused.
// On failure returns nullopt and sets *error to a short reason.
std::optional<time_point> parse_rfc3339(std::string_view text, std::string* error);

// `t` in UTC as RFC 3339, whole seconds: "2027-01-31T00:00:00Z" (a fraction is dropped).
std::string format_rfc3339(time_point t);

// A Go-style duration made of whole numbers with the units h, m and s, largest first, each at
// most once: "168h", "1h30m", "90s", "0s"; a bare "0" is zero. On failure returns nullopt and
// sets *error.
std::optional<std::chrono::seconds> parse_duration(std::string_view text, std::string* error);

// The shortest Go-style text of `d` (whole seconds): "168h", "1h30m", "0s".
std::string format_duration(std::chrono::seconds d);

}  // namespace peergate
