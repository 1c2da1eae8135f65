// Fuzzes the policy loader with arbitrary YAML text. Beyond "never crash" it checks the loader's
// contract: a policy set is returned exactly when there is no error diagnostic, and what a person
// reads (the text and JSON renderings) can always be produced. A broken promise aborts, so
// libFuzzer (or the replay test) reports the input.

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/policy/loader.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const peergate::load_result& r) {
  std::fprintf(stderr, "policy_loader_fuzz: %s (ok=%d, %s)\n%s\n", promise, r.ok() ? 1 : 0,
               r.problems.summary().c_str(), r.problems.render_text().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Explicit defaults rather than the environment, so a run is reproducible.
  const peergate::load_result r =
      peergate::load_policy_texts({{{"fuzz.yaml", std::move(text)}}, {}}, peergate::mutation_defaults{});

  const bool errors = r.problems.has_errors();
  if (errors && r.ok()) broken("errors were reported but a policy set was returned", r);
  if (!r.ok() && !errors) broken("no policy set was returned but no error says why", r);

  (void)r.problems.render_text();
  (void)r.problems.summary();
  // `peergate check --output json` prints this; it must stay a JSON document whatever the input
  // (strings are copied from the input, so only the structure is checked, not their UTF-8).
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  std::error_code ec;
  boost::json::parse(r.problems.render_json(), ec, {}, options);
  if (ec) broken("render_json() is not JSON", r);

  if (r.ok()) {
    // Use what was compiled: matching must work for any pattern the loader accepted.
    for (const peergate::peer_pod_policy& p : r.policies->policies) {
      for (const char* name : {"default", "peer-pods", "team-a", "kube-system", ""})
        (void)p.allowed_namespaces.matches(name);
      (void)p.exempt_usernames.matches("system:serviceaccount:ci:builder");
      (void)p.exempt_groups.matches("system:masters");
    }
    for (const peergate::mutation_settings& m : r.policies->mutations)
      (void)m.excluded_namespaces.matches("kube-system");
    (void)r.policies->mutation_for("kata-remote");
  }
  return 0;
}
