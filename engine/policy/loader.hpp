#pragma once
// Loads policy YAML (PeerPodPolicy, PeerPodVMPolicy, PeerPodMutation, PeerPodPolicyException)
// into a compiled policy_set, strictly: every
// problem is collected with its location; nothing is silently defaulted. The work is done in
// three steps, each in its own file: reader.hpp (YAML to located plain structs, one file at a
// time), collector.hpp (all files together, with the mutation defaults) and compiler.hpp (the
// immutable set); this front reads the files and runs the three.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "engine/policy/collector.hpp"
#include "engine/policy/model.hpp"
#include "engine/policy/reader.hpp"

namespace peergate {

struct load_result {
  policy_snapshot policies;  // null when there were errors
  diagnostics problems;
  bool ok() const { return policies != nullptr; }
};

// The texts to load, with the problems of reading them.
struct policy_texts {
  std::vector<policy_source> sources;
  diagnostics problems;
};

// Files and directories (read recursively, *.yaml and *.yml, in path order); no paths: the
// shipped policies/ compiled into the binary (named <embedded>/policies/FILE).
policy_texts read_policy_texts(const std::vector<std::string>& paths);

// The time of loading, passed in (the engine reads no clock): exceptions that have expired or
// expire more than a year ahead of it are warned about. nullopt: no such warnings.
using load_time = std::optional<std::chrono::system_clock::time_point>;

// Loads texts already read, the problems of reading them carried into the result. For callers
// that need the texts they load (the policies ConfigMap of `peergate manifests` holds exactly
// what was checked) and for inline policies (tests, fuzzing).
load_result load_policy_texts(const policy_texts& texts,
                              const mutation_defaults& defaults = mutation_defaults::from_environment(),
                              load_time now = std::nullopt);

// read_policy_texts, then load_policy_texts: the one way from paths to policies.
load_result load_policies(const std::vector<std::string>& paths,
                          const mutation_defaults& defaults = mutation_defaults::from_environment(),
                          load_time now = std::nullopt);

}  // namespace peergate
