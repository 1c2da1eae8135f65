// Fuzzes the decoders of the VM annotations a pod carries (engine/vm): the count parser, the
// Go-compatible base64 decoder, the capped gunzip of cc_init_data, and reading and checking a
// whole annotation map. Beyond "never crash" it checks their promises:
//  - decode_initdata returns a document only without error, and never more than 256 KiB;
//  - any bytes (up to the cap) gzip'd by zlib and base64-encoded decode back to themselves, and
//    the same with the base64 wrapped at 76 columns as the `base64` tool writes it;
//  - a count is valid only when it is all ASCII digits, and then its value is the number written
//    and at most the cap;
//  - check() reports each rule at most once, and only rules the limits configure.
// A broken promise aborts, so libFuzzer (or the replay test) reports the input.
//
// The input is used whole as an annotation value, and split at '\n' into the six annotations.

#include <zlib.h>

#include <boost/json.hpp>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/vm/initdata.hpp"
#include "engine/vm/vm_limits.hpp"
#include "engine/vm/vm_request.hpp"

namespace {

namespace json = boost::json;
using namespace peergate::vm;

[[noreturn]] void broken(const char* promise, std::string_view detail = {}) {
  std::fprintf(stderr, "vm_annotations_fuzz: %s\n  %.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

std::string base64(std::string_view bytes, bool wrap) {
  static constexpr char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? letters[(v >> (18 - 6 * k)) & 63] : '=';
    if (wrap && (out.size() + 1) % 77 == 0) out += '\n';
  }
  return out;
}

std::string gzip(std::string_view bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    broken("deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
  z.next_in = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<unsigned char*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) broken("deflate did not finish");
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

void check_initdata_promises(std::string_view input) {
  const initdata_document any = decode_initdata(input);
  if (any.error != initdata_error::none && !any.document.empty()) broken("a document with an error", input);
  if (any.document.size() > max_initdata_document_bytes) broken("a document over the cap", input);

  if (input.size() > max_initdata_document_bytes) return;
  const std::string compressed = gzip(input);
  for (const bool wrap : {false, true}) {
    const initdata_document round = decode_initdata(base64(compressed, wrap));
    if (round.error != initdata_error::none) broken("zlib's gzip of the input does not decode", describe(round.error));
    if (round.document != input) broken("zlib's gzip of the input decodes to other bytes", input);
  }
  std::string decoded;
  if (!decode_base64(base64(input, true), &decoded) || decoded != input) broken("base64 does not round-trip", input);
}

void check_count_promises(std::string_view text, std::uint64_t cap) {
  const count_value v = parse_count(text, cap);
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits && v.error == value_error::none) broken("a non-digit count accepted", text);
  if (digits && v.error != value_error::none && v.error != value_error::too_large) broken("digits refused", text);
  if (!v.valid()) return;
  if (v.value > cap) broken("a count over its cap accepted", text);
  std::uint64_t expected = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), expected);
  if (ec != std::errc{} || end != text.data() + text.size() || expected != v.value) broken("a count misread", text);
}

struct fixed_digests : digest_provider {
  std::optional<std::string> hex_digest(digest_algorithm algorithm, std::string_view) const override {
    return std::string(hex_length(algorithm), 'a');
  }
};

const vm_limits& every_limit() {
  static const vm_limits limits = [] {
    vm_limits l;
    l.instance_types =
        allowed_names::any_of([](std::string_view t) { return t.starts_with("Standard_DC"); }, "Standard_DC*");
    l.max_vcpus = 4;
    l.max_memory = memory_limit::parse("16Gi", nullptr);
    l.max_gpus = 0;
    l.images = allowed_names::none();
    l.initdata_digests = std::vector<allowed_digest>{*parse_allowed_digest("sha256:" + std::string(64, 'a'), nullptr)};
    return l;
  }();
  return limits;
}

void check_request_promises(std::string_view input) {
  static constexpr std::string_view keys[] = {machine_type_annotation, vcpus_annotation, memory_annotation,
                                              gpus_annotation,         image_annotation, initdata_annotation};
  json::object annotations;
  std::size_t start = 0;
  for (std::string_view key : keys) {
    if (start > input.size()) break;
    const std::size_t end = std::min(input.find('\n', start), input.size());
    annotations[key] = input.substr(start, end - start);
    start = end + 1;
  }
  const vm_request request = read_vm_request(&annotations);
  if (request.vcpus.present) check_count_promises(request.vcpus.text, max_sane_vcpus);
  if (request.memory_mib.present) check_count_promises(request.memory_mib.text, max_sane_memory_mib);
  if (request.gpus.present) check_count_promises(request.gpus.text, max_sane_gpus);

  vm_rule_set seen;
  for (const vm_violation& v : check(request, every_limit(), fixed_digests{})) {
    if (seen.contains(v.rule)) broken("a rule reported twice", to_string(v.rule));
    seen.insert(v.rule);
    if (v.kind == vm_violation_kind::invalid && v.reason.empty()) broken("an invalid value without a reason", input);
  }
  vm_limits none;
  if (!check(request, none, fixed_digests{}).empty()) broken("a violation of a limit that is not set", input);
  if (!rules_to_check_on_update(request, request).empty()) broken("an unchanged request is checked on UPDATE", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_initdata_promises(input);
  check_count_promises(input, max_sane_vcpus);
  check_request_promises(input);
  return 0;
}
