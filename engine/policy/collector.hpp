#pragma once
// Loading, step 2 of 3 (after reader.hpp, before compiler.hpp): the documents of every file,
// gathered in load order. The collector checks what needs more than one document (duplicate
// names, two mutations for one runtime class) and is the one place where the mutation defaults
// apply: omitted runtime classes and extended resources, and the implicit default mutation.

#include <map>
#include <string>
#include <vector>

#include "engine/policy/reader.hpp"

namespace peergate {

// Defaults for the mutation settings, from upstream's environment variables
// TARGET_RUNTIMECLASS and POD_VM_EXTENDED_RESOURCE when set. A document that writes the field
// keeps its own value; one that names another value than a set variable gets an
// environment-mismatch warning, since a user migrating from upstream expects the variable to act.
struct mutation_defaults {
  std::string runtime_class_name = default_runtime_class;
  std::string extended_resource = default_extended_resource;
  bool runtime_class_from_environment = false;      // TARGET_RUNTIMECLASS was set
  bool extended_resource_from_environment = false;  // POD_VM_EXTENDED_RESOURCE was set
  static mutation_defaults from_environment();
};

struct named_policy {
  std::string name;
  source_location where;  // metadata.name
  policy_document spec;   // runtime_class_names always set
};

struct named_vm_policy {
  std::string name;
  source_location where;    // metadata.name
  vm_policy_document spec;  // runtime_class_names always set
};

struct named_exception {
  std::string name;
  source_location where;  // metadata.name
  exception_document spec;
};

struct named_mutation {
  std::string name;        // implicit_mutation_name for the implicit default
  source_location where;   // metadata.name; empty for the implicit default
  mutation_document spec;  // runtime_class_name and extended_resource always set
};

struct collected_documents {
  std::vector<named_policy> policies;        // in load order
  std::vector<named_vm_policy> vm_policies;  // in load order
  std::vector<named_mutation> mutations;     // in load order; the implicit default when none; never empty
  std::vector<named_exception> exceptions;   // in load order
  std::vector<std::string> sources;          // files (or embedded names) read, in order
};

class policy_collector {
 public:
  explicit policy_collector(const mutation_defaults& defaults) : defaults_(defaults) {}

  // Adds one file's documents (those without errors; the names of all of them).
  void collect(const std::string& source, std::vector<named_document> documents, diagnostic_reporter& out);
  collected_documents finish() &&;

 private:
  const mutation_defaults& defaults_;
  collected_documents collected_;
  std::map<std::string, source_location, std::less<>> names_;
};

}  // namespace peergate
