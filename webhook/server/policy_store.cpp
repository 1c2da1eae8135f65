#include "webhook/server/policy_store.hpp"

#include <openssl/evp.h>

#include <array>
#include <chrono>

#include "webhook/server/logging.hpp"
#include "webhook/server/metrics.hpp"

namespace peergate::webhook::server {

namespace {

void log_diagnostics(const diagnostics& problems, const char* cause) {
  for (const diagnostic& d : problems.items()) {
    log_line(d.level == severity::error ? log_level::error : log_level::warn, "policy diagnostic")
        .field("cause", cause)
        .field("severity", to_string(d.level))
        .field("code", to_string(d.code))
        .field("file", d.where.file)
        .field("line", d.where.line)
        .field("column", d.where.column)
        .field("message", d.message);
  }
}

std::size_t count_explicit_mutations(const policy_set& set) {
  std::size_t n = 0;
  for (const mutation_settings& m : set.mutations) {
    if (!m.where.file.empty()) ++n;  // the implicit default has no source location
  }
  return n;
}

loaded_policy_counts counts_of(const policy_set& set) {
  return {.policies = set.policies.size(),
          .vm_policies = set.vm_policies.size(),
          .mutations = count_explicit_mutations(set),
          .exceptions = set.exceptions.size()};
}

}  // namespace

std::string policy_content_hash(const std::vector<policy_source>& sources) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return "unknown";
  for (const policy_source& s : sources) {
    const std::string length = std::to_string(s.text.size()) + "\n";
    EVP_DigestUpdate(ctx.get(), length.data(), length.size());
    EVP_DigestUpdate(ctx.get(), s.text.data(), s.text.size());
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1) return "unknown";
  constexpr std::string_view hex = "0123456789abcdef";
  constexpr std::size_t shown_bytes = 6;
  std::string out;
  for (std::size_t i = 0; i < shown_bytes && i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

policy_store::policy_store(std::vector<std::string> paths, metrics& m) : paths_(std::move(paths)), metrics_(m) {}

bool policy_store::reload(const char* cause) {
  const auto start = std::chrono::steady_clock::now();
  const bool initial = !current();  // the start-up load is not a reload
  load_result result;
  std::string content_hash;
  try {
    const policy_texts texts = read_policy_texts(paths_);
    content_hash = policy_content_hash(texts.sources);
    // Expired exceptions are warned about relative to the time of loading. They need no reload
    // to stop applying: each request is decided at its own time.
    result = load_policy_texts(texts, mutation_defaults::from_environment(), std::chrono::system_clock::now());
  } catch (const std::exception& e) {
    result = load_result{};
    result.problems.add(diagnostic_code::internal_error, {}, std::string("loading policies failed: ") + e.what());
  } catch (...) {
    result = load_result{};
    result.problems.add(diagnostic_code::internal_error, {}, "loading policies failed");
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  log_diagnostics(result.problems, cause);
  if (!result.ok() || result.problems.has_errors()) {
    if (!initial) metrics_.record_policy_reload(false);
    const bool serving = current() != nullptr;
    log_line(log_level::error, "policy reload failed")
        .field("cause", cause)
        .field("errors", static_cast<std::uint64_t>(result.problems.error_count()))
        .field("warnings", static_cast<std::uint64_t>(result.problems.warning_count()))
        .field("summary", result.problems.summary())
        .field("kept_previous", serving);
    return false;
  }

  const policy_set& set = *result.policies;
  metrics_.set_policies_loaded(counts_of(set));
  current_.store(result.policies);
  metrics_.set_policies_info(
      content_hash, std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  if (!initial) metrics_.record_policy_reload(true);
  log_line(log_level::info, "policies loaded")
      .field("cause", cause)
      .field("source", paths_.empty() ? "embedded" : "files")
      .field("files", static_cast<std::uint64_t>(set.sources.size()))
      .field("policies", static_cast<std::uint64_t>(set.policies.size()))
      .field("vm_policies", static_cast<std::uint64_t>(set.vm_policies.size()))
      .field("mutations", static_cast<std::uint64_t>(set.mutations.size()))
      .field("hash", content_hash)
      .field("exceptions", static_cast<std::uint64_t>(set.exceptions.size()))
      .field("warnings", static_cast<std::uint64_t>(result.problems.warning_count()))
      .field("duration_ms", ms);
  return true;
}

void policy_store::install_for_test(policy_snapshot snapshot) {
  if (snapshot) metrics_.set_policies_loaded(counts_of(*snapshot));
  current_.store(std::move(snapshot));
}

}  // namespace peergate::webhook::server
