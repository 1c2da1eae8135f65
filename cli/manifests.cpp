#include "cli/manifests.hpp"

#include <boost/json.hpp>
#include <algorithm>

#include "cli/yaml_writer.hpp"
#include "engine/kubernetes_names.hpp"
#include "webhook/review_codec.hpp"

namespace peergate::cli {

namespace json = boost::json;

namespace {

constexpr int https_port = 9443;  // peergate serve's default, as upstream's webhook
constexpr const char* tls_dir = "/etc/peergate/tls";
constexpr const char* policy_dir = "/etc/peergate/policies";
// Workload kinds whose pod templates are validated, by API group (all v1).
constexpr const char* app_workloads[] = {"deployments", "replicasets", "statefulsets", "daemonsets"};
constexpr const char* batch_workloads[] = {"jobs", "cronjobs"};

// The names every object derives from the app name and the namespace.
struct object_names {
  std::string app, ns;
  std::string policies_config_map() const { return app + "-policies"; }
  std::string tls_secret() const { return app + "-tls"; }
  std::string serving_certificate() const { return app + "-serving"; }
};

json::object labels(const object_names& n) {
  return {{"app.kubernetes.io/name", n.app}, {"app.kubernetes.io/component", "admission-webhook"}};
}

json::object selector_labels(const object_names& n) { return {{"app.kubernetes.io/name", n.app}}; }

json::object metadata(const std::string& name, const object_names& n, bool namespaced) {
  json::object m{{"name", name}};
  if (namespaced) m["namespace"] = n.ns;
  m["labels"] = labels(n);
  return m;
}

json::array strings(const std::vector<std::string>& values) {
  json::array a;
  for (const auto& v : values) a.emplace_back(v);
  return a;
}

manifest_document namespace_object(const object_names& n) {
  json::object m{{"name", n.ns}};
  // The Deployment meets the restricted Pod Security Standard; say so, so it stays that way.
  m["labels"] = json::object{{"pod-security.kubernetes.io/enforce", "restricted"},
                             {"pod-security.kubernetes.io/warn", "restricted"}};
  return {"", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", std::move(m)}}};
}

manifest_document service_account(const object_names& n) {
  // peergate never calls the Kubernetes API: no token in its pods.
  return {"",
          {{"apiVersion", "v1"},
           {"kind", "ServiceAccount"},
           {"metadata", metadata(n.app, n, true)},
           {"automountServiceAccountToken", false}}};
}

manifest_document policies_config_map(const object_names& n, const std::vector<policy_file>& files) {
  json::object data;
  for (const auto& f : files) data[f.key] = f.text;
  return {"The policies, mounted as a directory: peergate reloads them when this ConfigMap changes\n"
          "(a policy set with errors is logged and the previous one keeps serving).",
          {{"apiVersion", "v1"},
           {"kind", "ConfigMap"},
           {"metadata", metadata(n.policies_config_map(), n, true)},
           {"data", std::move(data)}}};
}

manifest_document service(const object_names& n, const manifest_options& o) {
  json::object m = metadata(n.app, n, true);
  if (o.ca == ca_source::openshift_service_ca)
    m["annotations"] = json::object{{"service.beta.openshift.io/serving-cert-secret-name", n.tls_secret()}};
  json::object spec{{"selector", selector_labels(n)},
                    {"ports", json::array{json::object{
                                  {"name", "https"}, {"port", 443}, {"targetPort", "https"}, {"protocol", "TCP"}}}}};
  return {"", {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", std::move(m)}, {"spec", std::move(spec)}}};
}

json::object https_probe(const char* path, int period, int failures) {
  return {{"httpGet", json::object{{"path", path}, {"port", "https"}, {"scheme", "HTTPS"}}},
          {"periodSeconds", period},
          {"timeoutSeconds", 2},
          {"failureThreshold", failures}};
}

manifest_document deployment(const object_names& n, const manifest_options& o) {
  json::array args{"serve", std::string("--tls-cert=") + tls_dir + "/tls.crt",
                   std::string("--tls-key=") + tls_dir + "/tls.key", std::string("--policies=") + policy_dir,
                   // The endpoints controller and the apiservers learn of a terminating pod a
                   // moment after it got SIGTERM: keep serving meanwhile, then drain
                   // (--shutdown-timeout, 25 s; the grace period is 35 s).
                   "--shutdown-delay=5s", "--log-format=json"};
  json::object container{
      {"name", "peergate"},
      {"image", o.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"args", std::move(args)},
      {"ports", json::array{json::object{{"name", "https"}, {"containerPort", https_port}, {"protocol", "TCP"}}}},
      {"readinessProbe", https_probe("/readyz", 5, 2)},
      {"livenessProbe", https_probe("/healthz", 10, 3)},
      {"resources", json::object{{"requests", json::object{{"cpu", "100m"}, {"memory", "64Mi"}}},
                                 {"limits", json::object{{"cpu", "1"}, {"memory", "256Mi"}}}}},
      {"securityContext", json::object{{"allowPrivilegeEscalation", false},
                                       {"readOnlyRootFilesystem", true},
                                       {"runAsNonRoot", true},
                                       {"capabilities", json::object{{"drop", json::array{"ALL"}}}}}},
      {"volumeMounts", json::array{json::object{{"name", "tls"}, {"mountPath", tls_dir}, {"readOnly", true}},
                                   json::object{{"name", "policies"}, {"mountPath", policy_dir}, {"readOnly", true}}}}};
  if (!o.upstream_environment.empty()) {
    json::array env;
    for (const auto& [name, value] : o.upstream_environment)
      env.push_back(json::object{{"name", name}, {"value", value}});
    container["env"] = std::move(env);
  }

  json::object affinity{
      {"podAntiAffinity",
       json::object{{"preferredDuringSchedulingIgnoredDuringExecution",
                     json::array{json::object{
                         {"weight", 100},
                         {"podAffinityTerm",
                          json::object{{"topologyKey", "kubernetes.io/hostname"},
                                       {"labelSelector", json::object{{"matchLabels", selector_labels(n)}}}}}}}}}}};

  // No runAsUser: the image's numeric USER satisfies runAsNonRoot, and OpenShift's restricted
  // SCC assigns its own UID.
  json::object pod_spec{
      {"serviceAccountName", n.app},
      {"automountServiceAccountToken", false},
      {"securityContext",
       json::object{{"runAsNonRoot", true}, {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}}},
      {"affinity", std::move(affinity)},
      {"terminationGracePeriodSeconds", 35},
      {"containers", json::array{std::move(container)}},
      // Not subPath mounts: kubelet updates whole-directory mounts, which peergate watches.
      {"volumes", json::array{json::object{{"name", "tls"}, {"secret", json::object{{"secretName", n.tls_secret()}}}},
                              json::object{{"name", "policies"},
                                           {"configMap", json::object{{"name", n.policies_config_map()}}}}}}};

  json::object spec{
      {"replicas", o.replicas},
      {"selector", json::object{{"matchLabels", selector_labels(n)}}},
      // A new pod is ready before an old one goes: the webhook never loses capacity in a rollout.
      {"strategy", json::object{{"type", "RollingUpdate"},
                                {"rollingUpdate", json::object{{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
      {"template", json::object{{"metadata", json::object{{"labels", labels(n)}}}, {"spec", std::move(pod_spec)}}}};
  return {"",
          {{"apiVersion", "apps/v1"},
           {"kind", "Deployment"},
           {"metadata", metadata(n.app, n, true)},
           {"spec", std::move(spec)}}};
}

manifest_document disruption_budget(const object_names& n) {
  // maxUnavailable rather than minAvailable: with --replicas 1 a node drain still proceeds.
  return {
      "",
      {{"apiVersion", "policy/v1"},
       {"kind", "PodDisruptionBudget"},
       {"metadata", metadata(n.app, n, true)},
       {"spec", json::object{{"maxUnavailable", 1}, {"selector", json::object{{"matchLabels", selector_labels(n)}}}}}}};
}

// cert-manager: a self-signed root, a CA Issuer from it, and the serving certificate. The
// webhooks trust the CA, so renewing the serving certificate never changes their caBundle.
std::vector<manifest_document> cert_manager_objects(const object_names& n) {
  auto issuer = [&](const std::string& name, json::object spec) {
    return manifest_document{"",
                             {{"apiVersion", "cert-manager.io/v1"},
                              {"kind", "Issuer"},
                              {"metadata", metadata(name, n, true)},
                              {"spec", std::move(spec)}}};
  };
  auto certificate = [&](const std::string& name, json::object spec) {
    return manifest_document{"",
                             {{"apiVersion", "cert-manager.io/v1"},
                              {"kind", "Certificate"},
                              {"metadata", metadata(name, n, true)},
                              {"spec", std::move(spec)}}};
  };
  const json::object ecdsa{{"algorithm", "ECDSA"}, {"size", 256}, {"rotationPolicy", "Always"}};
  std::vector<manifest_document> out;
  out.push_back(issuer(n.app + "-selfsigned", {{"selfSigned", json::object{}}}));
  out.push_back(
      certificate(n.app + "-ca", {{"isCA", true},
                                  {"commonName", "peergate CA"},
                                  {"secretName", n.app + "-ca"},
                                  {"duration", "87600h"},
                                  {"privateKey", ecdsa},
                                  {"issuerRef", json::object{{"name", n.app + "-selfsigned"}, {"kind", "Issuer"}}}}));
  out.push_back(issuer(n.app + "-ca", {{"ca", json::object{{"secretName", n.app + "-ca"}}}}));
  out.push_back(
      certificate(n.serving_certificate(), {{"secretName", n.tls_secret()},
                                            {"commonName", n.app + "." + n.ns + ".svc"},
                                            {"dnsNames", strings(service_dns_names(n.app, n.ns))},
                                            {"duration", "2160h"},
                                            {"renewBefore", "720h"},
                                            {"usages", json::array{"digital signature", "server auth"}},
                                            {"privateKey", ecdsa},
                                            {"issuerRef", json::object{{"name", n.app + "-ca"}, {"kind", "Issuer"}}}}));
  return out;
}

json::object ca_annotations(const object_names& n, const manifest_options& o) {
  if (o.ca == ca_source::cert_manager)
    return {{"cert-manager.io/inject-ca-from", n.ns + "/" + n.serving_certificate()}};
  if (o.ca == ca_source::openshift_service_ca) return {{"service.beta.openshift.io/inject-cabundle", "true"}};
  return {};
}

json::object configuration_metadata(const object_names& n, const manifest_options& o) {
  json::object m = metadata(n.app, n, false);
  if (json::object a = ca_annotations(n, o); !a.empty()) m["annotations"] = std::move(a);
  return m;
}

json::object client_config(const object_names& n, const manifest_options& o, const char* path) {
  json::object c{{"service", json::object{{"namespace", n.ns}, {"name", n.app}, {"path", path}, {"port", 443}}}};
  if (o.ca == ca_source::ca_bundle) {
    c["caBundle"] = webhook::base64_encode(o.ca_bundle_pem);  // the API field is bytes
  }
  return c;
}

json::object namespace_selector(const char* op, const std::vector<std::string>& namespaces) {
  json::object expression{{"key", "kubernetes.io/metadata.name"}, {"operator", op}, {"values", strings(namespaces)}};
  return {{"matchExpressions", json::array{std::move(expression)}}};
}

json::object rule(json::array groups, json::array resources, json::array operations) {
  return {{"apiGroups", std::move(groups)},
          {"apiVersions", json::array{"v1"}},
          {"operations", std::move(operations)},
          {"resources", std::move(resources)},
          {"scope", "Namespaced"}};
}

// has(a.b) && has(a.b.c) && ... && a.b.c.runtimeClassName in [...]: no step can fail.
std::string runtime_class_test(const std::vector<std::string>& path, const std::string& class_list) {
  std::string out, prefix = "object";
  for (const std::string& field : path) {
    prefix += "." + field;
    out += "has(" + prefix + ") && ";
  }
  return out + prefix + " in " + class_list;
}

// A webhook entry: its name first (as people read them), then `fields`, the selector and the
// settings every entry shares.
json::object webhook_entry(const manifest_options& o, const std::string& name, const json::object& fields,
                           json::object selector, const std::string& failure_policy) {
  json::object entry{{"name", name}};
  for (const auto& [key, value] : fields) entry[key] = value;
  entry["namespaceSelector"] = std::move(selector);
  entry["admissionReviewVersions"] = json::array{"v1"};
  entry["sideEffects"] = "None";
  entry["failurePolicy"] = failure_policy;
  entry["matchPolicy"] = "Equivalent";
  entry["timeoutSeconds"] = o.timeout_seconds;
  return entry;
}

// The namespaces the PeerPodMutations exclude. `exact`: the names every one of them excludes
// (a namespace may be left out of the mutating webhook only when no runtime class would mutate
// there), without peergate's own; `patterns`: the globs and regexes, for the comment.
struct mutation_exclusions {
  std::vector<std::string> exact;
  std::vector<std::string> patterns;
};

mutation_exclusions excluded_by_mutations(const policy_set& policies, const std::string& own_namespace) {
  mutation_exclusions out;
  for (std::size_t i = 0; i < policies.mutations.size(); ++i) {
    const mutation_settings& m = policies.mutations[i];
    if (i == 0) {
      out.exact = m.excluded_exact_names;
    } else {
      std::erase_if(out.exact, [&](const std::string& name) {
        return std::find(m.excluded_exact_names.begin(), m.excluded_exact_names.end(), name) ==
               m.excluded_exact_names.end();
      });
    }
    for (const name_pattern& p : m.excluded_namespaces.patterns())
      if (p.type != name_pattern::kind::exact &&
          std::find(out.patterns.begin(), out.patterns.end(), p.display()) == out.patterns.end())
        out.patterns.push_back(p.display());
  }
  std::erase(out.exact, own_namespace);
  return out;
}

// A webhook that must see the system namespaces too (validate, admit) is two entries: the
// chosen failurePolicy everywhere but there, and Ignore in the namespaces the mutation excludes.
// With Fail there, a peergate outage would block kube-system's own pods (CNI, DNS), which the
// cluster may need to bring peergate back; what peergate says there is mostly a warning.
json::array entries_with_system_split(const object_names& n, const manifest_options& o, const json::object& entry,
                                      const std::string& name, const mutation_exclusions& excluded) {
  std::vector<std::string> not_in{n.ns};
  not_in.insert(not_in.end(), excluded.exact.begin(), excluded.exact.end());
  json::array out{webhook_entry(o, name, entry, namespace_selector("NotIn", not_in), o.failure_policy)};
  if (!excluded.exact.empty())
    out.push_back(webhook_entry(o, "system." + name, entry, namespace_selector("In", excluded.exact), "Ignore"));
  return out;
}

std::string system_split_comment(const mutation_exclusions& excluded) {
  if (excluded.exact.empty()) return {};
  return "\nThe namespaces the PeerPodMutation excludes (kube-system...) have their own entry with\n"
         "failurePolicy Ignore: a peergate outage must never block the cluster's system pods.";
}

std::string patterns_comment(const mutation_exclusions& excluded) {
  std::string out = "\nGlobs and regexes cannot be expressed in a namespaceSelector: peergate skips those\n"
                    "namespaces itself";
  if (excluded.patterns.empty()) return out + " (none are configured).";
  out += " (";
  for (std::size_t i = 0; i < excluded.patterns.size(); ++i) out += (i ? ", " : "") + excluded.patterns[i];
  return out + ").";
}

json::array match_conditions(const std::vector<std::string>& classes, bool pods_only) {
  return json::array{
      json::object{{"name", "peer-pods-only"}, {"expression", peer_pod_match_expression(classes, pods_only)}}};
}

std::string match_conditions_comment(const std::vector<std::string>& classes) {
  std::string list;
  for (const auto& c : classes) list += (list.empty() ? "" : ", ") + c;
  return "\nmatchConditions: only objects whose runtimeClassName is " + list +
         " are sent (a peergate outage\n"
         "cannot block other pods): the classes the PeerPodPolicies, PeerPodVMPolicies and\n"
         "PeerPodMutations name. Regenerate when the policies name another runtime class.";
}

manifest_document validating_configuration(const object_names& n, const manifest_options& o,
                                           const mutation_exclusions& excluded,
                                           const std::vector<std::string>& classes) {
  json::array rules;
  json::array create_update{"CREATE", "UPDATE"};
  // With the admit webhook, pods are validated there; workloads still need this one.
  if (o.webhooks != webhook_set::admit) rules.push_back(rule(json::array{""}, json::array{"pods"}, create_update));
  json::array apps, batch;
  for (const char* r : app_workloads) apps.emplace_back(r);
  for (const char* r : batch_workloads) batch.emplace_back(r);
  rules.push_back(rule(json::array{"apps"}, std::move(apps), create_update));
  rules.push_back(rule(json::array{"batch"}, std::move(batch), create_update));

  json::object entry{{"clientConfig", client_config(n, o, "/validate")}, {"rules", std::move(rules)}};
  if (o.peer_pods_only) entry["matchConditions"] = match_conditions(classes, false);
  std::string comment = "Namespace policies for Pods and the pod templates of workloads, so `kubectl apply` of a\n"
                        "Deployment fails early. Every namespace but peergate's own is sent: peer pods in system\n"
                        "namespaces get the warning that the VM is not counted.";
  if (o.webhooks == webhook_set::admit) comment += "\nPods are checked by the admit webhook (mutate, then validate).";
  comment += system_split_comment(excluded);
  if (o.peer_pods_only) comment += match_conditions_comment(classes);
  return {std::move(comment),
          {{"apiVersion", "admissionregistration.k8s.io/v1"},
           {"kind", "ValidatingWebhookConfiguration"},
           {"metadata", configuration_metadata(n, o)},
           {"webhooks", entries_with_system_split(n, o, entry, "validate.peergate.dev", excluded)}}};
}

manifest_document mutating_configuration(const object_names& n, const manifest_options& o,
                                         const mutation_exclusions& excluded, const std::vector<std::string>& classes) {
  json::object entry{
      {"clientConfig", client_config(n, o, o.webhooks == webhook_set::admit ? "/admit" : "/mutate-v1-pod")},
      // CREATE only, as upstream: a pod's resources cannot change on UPDATE.
      {"rules", json::array{rule(json::array{""}, json::array{"pods"}, json::array{"CREATE"})}},
      // Called again when a later mutating webhook changed the pod; the mutation
      // is idempotent.
      {"reinvocationPolicy", "IfNeeded"}};
  if (o.peer_pods_only) entry["matchConditions"] = match_conditions(classes, true);
  std::string comment;
  json::array entries;
  if (o.webhooks == webhook_set::admit) {
    comment = "The whole chain for Pods: mutate, then validate the mutated pod (/admit).\n"
              "The namespaces the PeerPodMutation excludes are still sent: peergate skips the mutation\n"
              "there itself and validates the pod (the warning that a peer pod there is not counted\n"
              "against the VM resource)." +
              system_split_comment(excluded);
    entries = entries_with_system_split(n, o, entry, "admit.peergate.dev", excluded);
  } else {
    comment = "The mutation step of the upstream peer-pods webhook (/mutate-v1-pod): VM sizing\n"
              "annotations, resources stripped, the VM extended resource on the first container.\n"
              "namespaceSelector: peergate's namespace and the exact names the PeerPodMutation excludes." +
              patterns_comment(excluded);
    std::vector<std::string> not_in{n.ns};
    not_in.insert(not_in.end(), excluded.exact.begin(), excluded.exact.end());
    entries.push_back(
        webhook_entry(o, "mutate.peergate.dev", entry, namespace_selector("NotIn", not_in), o.failure_policy));
  }
  if (o.peer_pods_only) comment += match_conditions_comment(classes);
  return {std::move(comment),
          {{"apiVersion", "admissionregistration.k8s.io/v1"},
           {"kind", "MutatingWebhookConfiguration"},
           {"metadata", configuration_metadata(n, o)},
           {"webhooks", std::move(entries)}}};
}

}  // namespace

std::vector<std::string> peer_runtime_classes(const policy_set& policies) {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (const peer_pod_policy& p : policies.policies)
    for (const std::string& c : p.runtime_class_names) add(c);
  // A VM policy may name a class no other document does: its pods must still reach peergate.
  for (const peer_pod_vm_policy& p : policies.vm_policies)
    for (const std::string& c : p.runtime_class_names) add(c);
  for (const mutation_settings& m : policies.mutations) add(m.runtime_class_name);
  return out;
}

std::string peer_pod_match_expression(const std::vector<std::string>& classes, bool pods_only) {
  // Runtime class names are DNS subdomains: no quote or backslash can appear in them.
  std::string list = "[";
  for (std::size_t i = 0; i < classes.size(); ++i) list += (i ? ", '" : "'") + classes[i] + "'";
  list += "]";
  std::string pod = runtime_class_test({"spec", "runtimeClassName"}, list);
  if (pods_only) return pod;
  const std::string cronjob =
      runtime_class_test({"spec", "jobTemplate", "spec", "template", "spec", "runtimeClassName"}, list);
  const std::string workload = runtime_class_test({"spec", "template", "spec", "runtimeClassName"}, list);
  return "request.kind.kind == 'Pod' ? (" + pod + ") : request.kind.kind == 'CronJob' ? (" + cronjob + ") : (" +
         workload + ")";
}

std::vector<std::string> service_dns_names(const std::string& service, const std::string& namespace_name) {
  return {service, service + "." + namespace_name, service + "." + namespace_name + ".svc",
          service + "." + namespace_name + ".svc.cluster.local"};
}

namespace {
std::string label_problem(const std::string& name, bool first_must_be_letter, const char* what) {
  if (first_must_be_letter ? is_dns1035_label(name) : is_dns1123_label(name)) return {};
  if (name.empty() || name.size() > 63) return "\"" + name + "\" is not a valid " + what + ": 1 to 63 characters";
  return "\"" + name + "\" is not a valid " + what + ": lowercase letters, digits and '-', starting with a " +
         (first_must_be_letter ? "letter" : "letter or digit") + " and ending with a letter or digit";
}
}  // namespace

std::string dns1123_label_problem(const std::string& name) { return label_problem(name, false, "namespace name"); }
std::string dns1035_label_problem(const std::string& name) { return label_problem(name, true, "Service name"); }

std::vector<manifest_document> build_manifests(const manifest_options& o, const policy_set& policies,
                                               const std::vector<policy_file>& files) {
  const object_names n{o.name, o.namespace_name};
  std::vector<manifest_document> out;
  out.push_back(namespace_object(n));
  out.push_back(service_account(n));
  out.push_back(policies_config_map(n, files));
  out.push_back(service(n, o));
  out.push_back(deployment(n, o));
  out.push_back(disruption_budget(n));
  if (o.ca == ca_source::cert_manager)
    for (auto& d : cert_manager_objects(n)) out.push_back(std::move(d));
  const mutation_exclusions excluded = excluded_by_mutations(policies, n.ns);
  const std::vector<std::string> classes = peer_runtime_classes(policies);
  if (o.webhooks != webhook_set::validate) out.push_back(mutating_configuration(n, o, excluded, classes));
  // mutate alone replaces the upstream webhook; every other set validates.
  if (o.webhooks != webhook_set::mutate) out.push_back(validating_configuration(n, o, excluded, classes));
  return out;
}

std::string render_manifests(const manifest_options& o, const std::vector<manifest_document>& documents) {
  const object_names n{o.name, o.namespace_name};
  std::string header = "Made by peergate " PEERGATE_VERSION;
  if (!o.command_line.empty()) header += ": " + o.command_line;
  header += "\nApply with `kubectl apply -f`; the webhook configurations come last.";
  switch (o.ca) {
    case ca_source::none:
    case ca_source::ca_bundle:
      header += "\nThe Deployment mounts the Secret " + n.tls_secret() +
                ". Make it before applying this file (a webhook\n"
                "with failurePolicy Fail and no ready pod behind it refuses pods):\n"
                "  peergate certs --service " +
                n.app + " --namespace " + n.ns +
                " --out certs\n"
                "  kubectl create namespace " +
                n.ns +
                "\n"
                "  kubectl -n " +
                n.ns + " create secret tls " + n.tls_secret() + " --cert=certs/tls.crt --key=certs/tls.key";
      if (o.ca == ca_source::none)
        header += "\nThe webhooks carry no caBundle: add --ca-bundle certs/ca.crt (or use --cert-manager or\n"
                  "--openshift-service-ca) or the kube-apiserver will not trust peergate.";
      break;
    case ca_source::cert_manager:
      header += "\ncert-manager issues the Secret " + n.tls_secret() + " and injects its CA into the webhooks.";
      break;
    case ca_source::openshift_service_ca:
      header += "\nThe OpenShift service-ca operator issues the Secret " + n.tls_secret() +
                " and injects its CA into the webhooks.";
      break;
  }
  std::string out = yaml_comment(header);
  for (const manifest_document& d : documents) {
    out += "---\n";
    out += yaml_comment(d.comment);
    append_yaml(out, d.object);
  }
  return out;
}

}  // namespace peergate::cli
