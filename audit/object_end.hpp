#pragma once
// Where a JSON object that begins in a read buffer ends, found without parsing it: brackets
// counted outside strings, 64 bytes at a time (audit/object_stream.cpp delimits each item of a
// List with it before simdjson reads the item in place).

#include <cstddef>
#include <cstdint>
#include <optional>

namespace peergate::audit {

// The instructions a scan uses: chosen once from what the processor has (`best`), or named by
// the tests, which compare the kernels with each other.
enum class scan_kernel { generic, avx2, avx512 };
scan_kernel best_scan_kernel();
bool scan_kernel_available(scan_kernel kernel);

// The index after the '}' or ']' that brings the nesting of data[begin] (a '{' outside any string)
// back to zero, counting '{' '[' and '}' ']' alike outside strings (a backslash escapes the byte
// after it), and in `newlines` the newlines up to there; nullopt when that is not before
// data[size] (`newlines` is then unspecified). Reads up to 63 bytes past data[size],
// which must be readable (a read buffer's padding) and whose contents do not matter.
//
// For an object that is valid JSON this is its end. For one that is not, it is some place from
// which the caller must not conclude anything but what a parser of data[begin, end) says: a parser
// that accepts the text has read one whole valid object, and a valid object is read the same
// wherever the text after it stops.
std::optional<std::size_t> find_object_end(const char* data, std::size_t size, std::size_t begin,
                                           std::uint64_t& newlines, scan_kernel kernel = best_scan_kernel());

// The same, one byte at a time: the reference the kernels are tested against.
std::optional<std::size_t> find_object_end_reference(const char* data, std::size_t size, std::size_t begin,
                                                     std::uint64_t& newlines);

}  // namespace peergate::audit
