#include "cli/manifests_command.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/input.hpp"
#include "cli/manifests.hpp"
#include "engine/policy/loader.hpp"
#include "webhook/certificates.hpp"

namespace peergate::cli {

namespace {

namespace fs = std::filesystem;

// A ConfigMap is stored in etcd whole; the apiserver refuses one over 1 MiB.
constexpr std::size_t config_map_limit = 1024 * 1024;

struct manifests_flags {
  manifest_options options;
  std::vector<std::string> policies;
  std::vector<std::string> ca_bundles;
  bool cert_manager = false;
  bool openshift_service_ca = false;
  std::string webhooks = "both";
};

// The files that go into the policies ConfigMap, keyed by file name as kubelet will mount them.
bool config_map_files(const std::vector<policy_source>& sources, std::vector<policy_file>& out, std::string& error) {
  std::map<std::string, std::string> origin;  // key -> path, to name both files of a clash
  for (const policy_source& source : sources) {
    const std::string key = fs::path(source.path).filename().string();
    if (auto [it, fresh] = origin.emplace(key, source.path); !fresh) {
      error = "two policy files would have the same name in the ConfigMap: " + it->second + " and " + source.path;
      return false;
    }
    out.push_back({key, source.text});
  }
  return true;
}

int run_manifests(const manifests_flags& f) {
  manifest_options o = f.options;
  o.webhooks = f.webhooks == "validate" ? webhook_set::validate
               : f.webhooks == "mutate" ? webhook_set::mutate
               : f.webhooks == "admit"  ? webhook_set::admit
                                        : webhook_set::both;
  if (!f.ca_bundles.empty()) {
    // Several files make one bundle: the old and the new CA while a certificate is rotated.
    for (const std::string& file : f.ca_bundles) {
      std::string error;
      auto pem = read_input(file, &error);
      if (!pem) {
        std::cerr << "peergate manifests: --ca-bundle: " << error << "\n";
        return exit_usage;
      }
      int certificates = 0;
      if (std::string problem = webhook::ca_bundle_problem(*pem, certificates); !problem.empty()) {
        std::cerr << "peergate manifests: --ca-bundle " << file << " " << problem << "\n";
        return exit_usage;
      }
      if (!o.ca_bundle_pem.empty() && o.ca_bundle_pem.back() != '\n') o.ca_bundle_pem += '\n';
      o.ca_bundle_pem += *pem;
    }
    o.ca = ca_source::ca_bundle;
  } else if (f.cert_manager) {
    o.ca = ca_source::cert_manager;
  } else if (f.openshift_service_ca) {
    o.ca = ca_source::openshift_service_ca;
  }

  // The policies are loaded as the server will load them (now, for the exceptions' expiry): a
  // set with errors is no deployment. The ConfigMap then holds the very texts that were checked,
  // every document of them: PeerPodPolicyExceptions ship and hot-reload with the policies.
  const policy_texts texts = read_policy_texts(f.policies);
  const mutation_defaults defaults = mutation_defaults::from_environment();
  load_result loaded = load_policy_texts(texts, defaults, std::chrono::system_clock::now());
  if (!loaded.problems.items().empty()) std::cerr << loaded.problems.render_text();
  if (!loaded.ok()) {
    std::cerr << "peergate manifests: policies not loaded: " << loaded.problems.summary() << "\n";
    return exit_failed;
  }
  std::vector<policy_file> files;
  if (std::string error; !config_map_files(texts.sources, files, error)) {
    std::cerr << "peergate manifests: " << error << "\n";
    return exit_usage;
  }
  std::size_t bytes = 0;
  for (const auto& file : files) bytes += file.key.size() + file.text.size();
  if (bytes > config_map_limit - 4096) {
    std::cerr << "peergate manifests: the policies (" << bytes
              << " bytes) do not fit in one ConfigMap (1 MiB at most); mount them another way\n";
    return exit_usage;
  }
  // The ConfigMap's policies may leave runtime classes and the resource to these variables: the
  // server in the cluster must fill them in as they were filled in here.
  if (defaults.runtime_class_from_environment)
    o.upstream_environment.emplace_back("TARGET_RUNTIMECLASS", defaults.runtime_class_name);
  if (defaults.extended_resource_from_environment)
    o.upstream_environment.emplace_back("POD_VM_EXTENDED_RESOURCE", defaults.extended_resource);

  std::cout << render_manifests(o, build_manifests(o, *loaded.policies, files));
  return exit_ok;
}

}  // namespace

command add_manifests_command(CLI::App& app, std::string command_line) {
  auto f = std::make_shared<manifests_flags>();
  f->options.image = "ghcr.io/peergate/peergate:" PEERGATE_VERSION;
  f->options.command_line = std::move(command_line);
  manifest_options& o = f->options;
  CLI::App* cmd = app.add_subcommand(
      "manifests",
      "Print the Kubernetes objects that run peergate as a highly available webhook (multi-document YAML)");
  cmd->add_option("--namespace,-n", o.namespace_name, "Namespace to run peergate in (never sent to the webhooks)")
      ->required()
      ->check(namespace_name_check);
  cmd->add_option("--name", o.name, "Name of the Deployment, Service, ServiceAccount and webhook configurations")
      ->check(service_name_check)
      ->capture_default_str();
  cmd->add_option("--image", o.image, "Container image (build it from the Containerfile)")->capture_default_str();
  cmd->add_option("--replicas", o.replicas, "Replicas of the Deployment")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option(
         "--policies", f->policies,
         "Policy file or directory (repeatable) for the ConfigMap; checked first. Default: the embedded policies")
      ->check(CLI::ExistingPath)
      ->type_name("PATH");
  auto* bundle = cmd->add_option("--ca-bundle", f->ca_bundles,
                                 "PEM CA certificate(s) the kube-apiserver trusts (ca.crt of `peergate certs`); "
                                 "repeatable, the files are joined (old and new CA during a rotation)")
                     ->check(CLI::ExistingFile)
                     ->type_name("FILE");
  auto* cm = cmd->add_flag("--cert-manager", f->cert_manager,
                           "Issuer and Certificate for cert-manager, CA injected by its cainjector");
  auto* ocp = cmd->add_flag("--openshift-service-ca", f->openshift_service_ca,
                            "Serving certificate and caBundle from the OpenShift service-ca operator");
  bundle->excludes(cm)->excludes(ocp);
  cm->excludes(ocp);
  cmd->add_option("--failure-policy", o.failure_policy, "What the kube-apiserver does when peergate cannot answer")
      ->check(CLI::IsMember({"Fail", "Ignore"}))
      ->capture_default_str();
  cmd->add_option("--webhooks", f->webhooks,
                  "validate: namespace policies only; mutate: the mutation only (replaces the upstream webhook); "
                  "both: a mutating and a validating webhook; admit: the whole chain in the mutating webhook")
      ->check(CLI::IsMember({"validate", "mutate", "both", "admit"}))
      ->capture_default_str();
  cmd->add_flag("--peer-pods-only,!--all-pods", o.peer_pods_only,
                "Default: matchConditions make the apiserver send only pods and workloads whose runtimeClassName "
                "the policies cover, so a peergate outage cannot block other pods (Kubernetes 1.28+). --all-pods: "
                "no matchConditions (older clusters; every pod is sent)");
  cmd->add_option("--timeout-seconds", o.timeout_seconds, "The webhooks' timeoutSeconds")
      ->check(CLI::Range(1, 30))
      ->capture_default_str();
  cmd->footer("Exit status: 0 printed, 1 the policies have errors, 2 bad input or usage.");
  return {cmd, [f] { return run_manifests(*f); }};
}

}  // namespace peergate::cli
