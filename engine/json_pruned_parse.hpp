#pragma once
// One pass over a JSON text that builds only what a json_shape keeps (engine/json_shape.hpp). A
// text is accepted or refused exactly as boost::json::parse accepts or refuses it with
// kubernetes_parse_options(), with the same error; only the values left out are never built. An
// array of a million numbers that no shape keeps costs its scan and no memory.
//
// Two readers share the building: simdjson (its DOM parser, SIMD) reads a whole text of up to
// 128 KiB without a number with a fraction or exponent and nested at most 256 deep: a text it
// accepts, Boost.JSON accepts too, with the same values. Everything else, refusals included, is
// read by Boost.JSON's own tokenizer, which gives the verdict and the error (json_pruned_parse.cpp
// says why each limit is there).

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <string_view>
#include <system_error>

#include "engine/json_shape.hpp"

namespace peergate {

// As boost::json::parse(text, ec, storage, kubernetes_parse_options()), keeping only what `shape`
// keeps; members keep their order. `temp` holds the parser's stack of values not yet placed in
// their container (the default: the heap). An exception thrown by `storage` or `temp` (a memory
// budget) leaves the function.
boost::json::value parse_pruned(std::string_view text, const json_shape& shape, std::error_code& ec,
                                boost::json::storage_ptr storage = {}, boost::json::storage_ptr temp = {});

// How many readable bytes must follow a text given to parse_pruned_in_place (simdjson's
// SIMDJSON_PADDING). What they hold does not matter: they are never read as part of the text.
inline constexpr std::size_t in_place_padding = 64;

// As parse_pruned, for a text followed in memory by at least in_place_padding readable bytes (the
// rest of a read buffer): simdjson reads it where it is, where parse_pruned first copies it into a
// padded buffer of its own. The same values and errors as parse_pruned.
boost::json::value parse_pruned_in_place(std::string_view text, const json_shape& shape, std::error_code& ec,
                                         boost::json::storage_ptr storage = {}, boost::json::storage_ptr temp = {});

// Whether parse_pruned reads `text` with simdjson rather than Boost.JSON's tokenizer: for the tests
// that must know which reader they exercised.
bool parse_pruned_reads_with_simdjson(std::string_view text);

// The same pruning applied to a document already built: the slow, obvious way, against which the
// parser above is tested (tests, fuzz targets).
boost::json::value pruned_copy(const boost::json::value& document, const json_shape& shape);

// As parse_pruned, on the JSON value that starts `text` (after any whitespace), reading no further
// than its end and the whitespace after it: `used` says how far. For a reader that splits a stream
// of values (audit/object_stream.cpp): what follows the value is the next one's, never an error.
// On an error, the value is nullptr and `used` is unspecified.
boost::json::value parse_pruned_prefix(std::string_view text, const json_shape& shape, std::size_t& used,
                                       std::error_code& ec, boost::json::storage_ptr storage = {},
                                       boost::json::storage_ptr temp = {});

}  // namespace peergate
