#include "cli/certs_command.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "cli/manifests.hpp"
#include "webhook/certificates.hpp"

namespace peergate::cli {

namespace {

struct certs_flags {
  std::string service;
  std::string namespace_name;
  std::string out;
  int days = 365;
  bool force = false;
};

int run_certs(const certs_flags& f) {
  webhook::certificate_subject subject;
  subject.dns_names = service_dns_names(f.service, f.namespace_name);
  subject.common_name = subject.dns_names[2];  // NAME.NS.svc
  subject.ca_common_name = "peergate CA for " + f.service + "." + f.namespace_name;
  const webhook::certificate_set set = webhook::make_serving_certificate(subject, f.days);
  if (!set.ok()) {
    std::cerr << "peergate certs: " << set.error << "\n";
    return exit_usage;
  }
  const webhook::certificate_files files = webhook::write_certificate_files(f.out, set, f.force);
  if (!files.ok()) {
    std::cerr << "peergate certs: " << files.error << "\n";
    return exit_usage;
  }
  std::cout << "wrote " << files.ca_file << ", " << files.cert_file << " and " << files.key_file << " (valid " << f.days
            << " days; SANs";
  for (const auto& name : subject.dns_names) std::cout << " " << name;
  // The Secret before the webhooks: a webhook with failurePolicy Fail and no ready pod behind it
  // would refuse pods cluster-wide.
  const std::string name_flag = f.service == "peergate" ? "" : " --name " + f.service;
  std::cout << ")\nnext:\n"
            << "  kubectl create namespace " << f.namespace_name << "\n"
            << "  kubectl -n " << f.namespace_name << " create secret tls " << f.service
            << "-tls --cert=" << files.cert_file << " --key=" << files.key_file << "\n"
            << "  peergate manifests --namespace " << f.namespace_name << name_flag << " --ca-bundle " << files.ca_file
            << " | kubectl apply -f -\n";
  return exit_ok;
}

}  // namespace

command add_certs_command(CLI::App& app) {
  auto f = std::make_shared<certs_flags>();
  CLI::App* cmd = app.add_subcommand(
      "certs", "Make a CA and a serving certificate for the webhook's Service (ca.crt, tls.crt, tls.key)");
  cmd->add_option("--service", f->service, "Service name (SANs NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local)")
      ->required()
      ->check(service_name_check);
  cmd->add_option("--namespace,-n", f->namespace_name, "Namespace of the Service")
      ->required()
      ->check(namespace_name_check);
  cmd->add_option("--out", f->out, "Directory for ca.crt, tls.crt and tls.key (tls.key mode 0600)")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--days", f->days, "Validity of both certificates")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cmd->add_flag("--force", f->force, "Replace existing files");
  cmd->footer("The CA's private key is not written: nothing else can be signed with it. To rotate, make a\n"
              "new set and serve the old and new CA together in the caBundle (see docs/operations.md).\n"
              "Exit status: 0 written, 2 bad input, existing files without --force, or usage.");
  return {cmd, [f] { return run_certs(*f); }};
}

}  // namespace peergate::cli
