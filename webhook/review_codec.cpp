#include "webhook/review_codec.hpp"

#include "webhook/review_parser.hpp"

#include <boost/json.hpp>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <array>
#include <cstring>

#include "engine/json_serialize.hpp"

namespace peergate::webhook {

namespace json = boost::json;

namespace {

constexpr std::string_view v1 = "admission.k8s.io/v1";
constexpr std::string_view v1beta1 = "admission.k8s.io/v1beta1";

// Reads optional string fields; a present field of another type is an error.
struct field_reader {
  json::object& from;
  std::string_view path;  // a literal: the message is made only when a field is wrong
  std::string error;

  json::value* get(std::string_view key) {
    auto it = from.find(key);
    return it == from.end() || it->value().is_null() ? nullptr : &it->value();
  }
  // The string at `key`, checked: nullptr when it is absent (an error when `required`) or not a
  // string (an error); `ok` says which.
  json::string* find_string(std::string_view key, bool required, bool& ok) {
    json::value* v = get(key);
    ok = true;
    if (!v) {
      if (required) error = std::string(path) + "." + std::string(key) + " is required";
      ok = !required;
      return nullptr;
    }
    if (!v->is_string()) {
      error = std::string(path) + "." + std::string(key) + " must be a string";
      ok = false;
      return nullptr;
    }
    return &v->get_string();
  }
  // `out` views the document's string: for fields only compared while decoding.
  bool read_view(std::string_view key, std::string_view& out, bool required = false) {
    bool ok = false;
    if (const json::string* s = find_string(key, required, ok)) out = *s;
    return ok;
  }
  bool read_string(std::string_view key, std::string& out, bool required = false) {
    bool ok = false;
    if (const json::string* s = find_string(key, required, ok)) out = *s;
    return ok;
  }
  // Moves the string out of the document: no copy when `out` has the document's storage.
  bool take_string(std::string_view key, json::string& out, bool required = false) {
    bool ok = false;
    if (json::string* s = find_string(key, required, ok)) out = std::move(*s);
    return ok;
  }
};

bool decode_gvk(json::value* v, std::string_view path, group_version_kind& out, std::string& error) {
  if (!v || !v->is_object()) {
    error = std::string(path) + " must be an object {group, version, kind}";
    return false;
  }
  field_reader r{v->get_object(), path};
  if (!r.read_string("group", out.group) || !r.read_string("version", out.version) ||
      !r.read_string("kind", out.kind, true)) {
    error = r.error;
    return false;
  }
  return true;
}

// Moves the username and groups out of the document (into `out`, of the same storage).
bool decode_user(json::value* v, user_info& out, std::string& error) {
  if (!v) return true;
  if (!v->is_object()) {
    error = "request.userInfo must be an object";
    return false;
  }
  field_reader r{v->get_object(), "request.userInfo"};
  if (!r.take_string("username", out.username)) {
    error = r.error;
    return false;
  }
  if (json::value* groups = r.get("groups")) {
    if (!groups->is_array()) {
      error = "request.userInfo.groups must be a list of strings";
      return false;
    }
    for (const auto& g : groups->get_array()) {
      if (!g.is_string()) {
        error = "request.userInfo.groups must be a list of strings";
        return false;
      }
    }
    out.groups = std::move(groups->get_array());
  }
  return true;
}

bool decode_operation(std::string_view text, operation& out) {
  if (text == "CREATE") out = operation::create;
  else if (text == "UPDATE") out = operation::update;
  else if (text == "DELETE") out = operation::remove;
  else if (text == "CONNECT") out = operation::connect;
  else return false;
  return true;
}

}  // namespace

const char* status_reason(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 403: return "Forbidden";
    case 413: return "RequestEntityTooLarge";
    case 500: return "InternalError";
    default: return code >= 500 ? "InternalError" : "BadRequest";
  }
}

namespace {

constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The two characters of every 12 bits: a patch is base64-encoded in every mutating answer, and one
// lookup per two characters halves the work of one per character.
constexpr std::array<std::array<char, 2>, 4096> base64_pairs = [] {
  std::array<std::array<char, 2>, 4096> pairs{};
  for (std::size_t bits = 0; bits < pairs.size(); ++bits)
    pairs[bits] = {base64_alphabet[bits >> 6], base64_alphabet[bits & 63]};
  return pairs;
}();

// Encodes `in` to `to` (4 characters per 3 bytes, padded), 12 bits per lookup.
void encode_base64_scalar(char* to, std::string_view in) {
  const auto* from = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3, to += 4) {
    const std::uint32_t n = (std::uint32_t{from[i]} << 16) | (std::uint32_t{from[i + 1]} << 8) | from[i + 2];
    std::memcpy(to, base64_pairs[n >> 12].data(), 2);
    std::memcpy(to + 2, base64_pairs[n & 0xFFF].data(), 2);
  }
  if (i < in.size()) {
    std::uint32_t n = std::uint32_t{from[i]} << 16;
    if (i + 1 < in.size()) n |= std::uint32_t{from[i + 1]} << 8;
    *to++ = base64_alphabet[(n >> 18) & 63];
    *to++ = base64_alphabet[(n >> 12) & 63];
    *to++ = i + 1 < in.size() ? base64_alphabet[(n >> 6) & 63] : '=';
    *to++ = '=';
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// Muła and Lemire's AVX2 encoding ("Faster Base64 Encoding and Decoding Using AVX2
// Instructions", 2018): 24 bytes become 32 characters per step. Each 128-bit lane takes 12 bytes,
// spreads every 3 of them over 4 bytes, moves the four 6-bit fields into the four bytes with two
// multiplications, and turns each field into its character by adding an offset picked by range.
// Returns how many bytes of `in` it encoded (a multiple of 24); the rest is left to the caller.
__attribute__((target("avx2"))) std::size_t encode_base64_avx2(char* to, std::string_view in) {
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,  //
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  const __m256i offsets = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                           '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0,  //
                                           'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                           '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
  std::size_t i = 0;
  // Two 16-byte loads from i and i + 12: 28 bytes must be readable.
  for (; i + 28 <= in.size(); i += 24, to += 32) {
    const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.data() + i));
    const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.data() + i + 12));
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1), spread);
    // Each 32-bit word holds b1 b0 b2 b1 (bytes from low to high) of a group b0 b1 b2: the fields
    // b0 >> 2 and (b0 & 3) << 4 | b1 >> 4 by a high multiplication, the other two by a low one.
    const __m256i first =
        _mm256_mulhi_epu16(_mm256_and_si256(bytes, _mm256_set1_epi32(0x0FC0FC00)), _mm256_set1_epi32(0x04000040));
    const __m256i second =
        _mm256_mullo_epi16(_mm256_and_si256(bytes, _mm256_set1_epi32(0x003F03F0)), _mm256_set1_epi32(0x01000010));
    const __m256i fields = _mm256_or_si256(first, second);
    // The range of each field: 0 for 26..51, 1..10 for 52..61, 11 for 62, 12 for 63, 13 for 0..25.
    __m256i range = _mm256_subs_epu8(fields, _mm256_set1_epi8(51));
    const __m256i letters = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), fields);
    range = _mm256_or_si256(range, _mm256_and_si256(letters, _mm256_set1_epi8(13)));
    const __m256i characters = _mm256_add_epi8(_mm256_shuffle_epi8(offsets, range), fields);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to), characters);
  }
  return i;
}

bool has_avx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}
#else
std::size_t encode_base64_avx2(char*, std::string_view) { return 0; }
bool has_avx2() { return false; }
#endif

// Room for the encoding of `in` at the end of `out`; where it starts.
char* base64_room(std::string& out, std::string_view in) {
  const std::size_t start = out.size();
  out.resize(start + (in.size() + 2) / 3 * 4);
  return out.data() + start;
}

}  // namespace

bool base64_uses_avx2() { return has_avx2(); }

void append_base64(std::string& out, std::string_view in) {
  char* to = base64_room(out, in);
  if (has_avx2()) {
    const std::size_t done = encode_base64_avx2(to, in);
    to += done / 3 * 4;
    in.remove_prefix(done);
  }
  encode_base64_scalar(to, in);
}

void append_base64_reference(std::string& out, std::string_view in) { encode_base64_scalar(base64_room(out, in), in); }

std::string base64_encode(std::string_view in) {
  std::string out;
  append_base64(out, in);
  return out;
}

decode_result decode_review(const json::value& document) { return decode_review(json::value(document)); }

decode_result decode_review(json::value&& document) {
  decode_result out;
  json::object* top = document.if_object();
  if (!top) {
    out.error = "the body is not a JSON object (expected an AdmissionReview)";
    return out;
  }
  field_reader r{*top, ""};
  decoded_review review{{}, admission_request(document.storage())};
  std::string_view kind;
  std::string_view api_version;
  if (!r.read_view("kind", kind) || !r.read_view("apiVersion", api_version)) {
    out.error = r.error.substr(1);  // drop the leading '.'
    return out;
  }
  if (kind != "AdmissionReview") {
    out.error = kind.empty() ? "not an AdmissionReview: \"kind\" is missing"
                             : "not an AdmissionReview: kind is \"" + std::string(kind) + "\"";
    return out;
  }
  if (api_version == v1) review.api_version = v1;
  else if (api_version == v1beta1) review.api_version = v1beta1;
  else {
    out.error = "unsupported AdmissionReview apiVersion \"" + std::string(api_version) +
                "\" (expected admission.k8s.io/v1 or admission.k8s.io/v1beta1)";
    return out;
  }
  auto request_it = top->find("request");
  if (request_it == top->end() || !request_it->value().is_object()) {
    out.error = "the AdmissionReview has no request object";
    return out;
  }
  json::object& request = request_it->value().get_object();
  field_reader q{request, "request"};
  admission_request& req = review.request;
  std::string_view op;
  if (!q.take_string("uid", req.uid, true) || !q.read_view("operation", op, true) ||
      !q.read_string("subResource", req.sub_resource) || !q.read_string("name", req.name) ||
      !q.read_string("namespace", req.namespace_name)) {
    out.error = q.error;
    return out;
  }
  if (req.uid.empty()) {
    out.error = "request.uid must not be empty";
    return out;
  }
  if (!decode_operation(op, req.op)) {
    out.error = "request.operation \"" + std::string(op) + "\" is not one of CREATE, UPDATE, DELETE, CONNECT";
    return out;
  }
  if (!decode_gvk(q.get("kind"), "request.kind", req.kind, out.error) ||
      !decode_user(q.get("userInfo"), req.user, out.error))
    return out;
  // Same storage on both sides, so these moves take the trees without copying them.
  if (auto o = request.find("object"); o != request.end()) req.object = std::move(o->value());
  if (auto o = request.find("oldObject"); o != request.end()) req.old_object = std::move(o->value());
  if (const json::value* dry = q.get("dryRun")) {
    if (!dry->is_bool()) {
      out.error = "request.dryRun must be true or false";
      return out;
    }
    req.dry_run = dry->get_bool();
  }
  out.review = std::move(review);
  return out;
}

decode_result decode_review(std::string_view body, json::storage_ptr storage, json::storage_ptr temp, bool padded) {
  std::error_code ec;
  json::value document = parse_review_body(body, ec, std::move(storage), std::move(temp), padded);
  if (ec) {
    decode_result out;
    out.error = "the body is not valid JSON: " + ec.message();
    return out;
  }
  return decode_review(std::move(document));
}

namespace {

// A string literal as Boost.JSON's serializer writes it.
void append_quoted(std::string& out, std::string_view text) { append_serialized_string(out, text); }

}  // namespace

std::string encode_response(std::string_view api_version, std::string_view uid, const decision& d) {
  std::string out;
  out.reserve(256 + uid.size() + d.message.size() + d.patch.text().size() / 3 * 4);
  out += "{\"apiVersion\":";
  append_quoted(out, api_version);
  out += ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":";
  append_quoted(out, uid);
  out += d.allowed ? ",\"allowed\":true,\"status\":{\"code\":" : ",\"allowed\":false,\"status\":{\"code\":";
  out += std::to_string(d.code);
  if (!d.allowed) {
    out += ",\"message\":";
    append_quoted(out, d.message);
    out += ",\"reason\":";
    append_quoted(out, status_reason(d.code));
  }
  out += '}';
  if (!d.patch.empty()) {
    out += ",\"patch\":\"";
    append_base64(out, d.patch.text());
    out += "\",\"patchType\":\"JSONPatch\"";
  }
  if (!d.warnings.empty()) {
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < d.warnings.size(); ++i) {
      if (i > 0) out += ',';
      append_quoted(out, d.warnings[i]);
    }
    out += ']';
  }
  if (!d.audit_annotations.empty()) {
    out += ",\"auditAnnotations\":{";
    // As a JSON object is written: each key once, at its first place, with its last value.
    bool first = true;
    for (std::size_t i = 0; i < d.audit_annotations.size(); ++i) {
      const std::string& key = d.audit_annotations[i].first;
      bool seen = false;
      for (std::size_t j = 0; j < i && !seen; ++j) seen = d.audit_annotations[j].first == key;
      if (seen) continue;
      const std::string* value = &d.audit_annotations[i].second;
      for (std::size_t j = i + 1; j < d.audit_annotations.size(); ++j)
        if (d.audit_annotations[j].first == key) value = &d.audit_annotations[j].second;
      if (!first) out += ',';
      first = false;
      append_quoted(out, key);
      out += ':';
      append_quoted(out, *value);
    }
    out += '}';
  }
  out += "}}";
  return out;
}

const review_codec& fast_review_codec() {
  static constexpr review_codec codec{[](review_body body, json::storage_ptr storage, json::storage_ptr temp) {
                                        return decode_review(body.text, std::move(storage), std::move(temp),
                                                             body.padded);
                                      },
                                      encode_response};
  return codec;
}

}  // namespace peergate::webhook
