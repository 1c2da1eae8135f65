// Prints, one JSON object per line, {"name", "original", "patch", "expected", "second_patch"} for
// every case in tests/data/mutation/patch_cases.json, where patch is what peergate would send for
// the original pod. check_patches_with_jsonpatch.py applies each patch with python3-jsonpatch, an
// implementation that shares no code with ours, and compares with the hand-written expected pod.

#include <boost/json.hpp>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "engine/json_patch.hpp"
#include "engine/mutation.hpp"
#include "tests/support/mutation.hpp"

namespace json = boost::json;

namespace {

// The upstream webhook mutates only its target runtime class; in peergate the caller decides
// that, so a case that exercises the gate asks for it here.
bool is_target(const json::value& pod) {
  const json::value* rc = peergate::json_patch::find(pod, "/spec/runtimeClassName");
  return rc != nullptr && rc->is_string() && rc->get_string() == "kata-remote";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path =
      argc > 1 ? argv[1] : std::string(PEERGATE_SOURCE_DIR) + "/tests/data/mutation/patch_cases.json";
  try {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "dump_patch_cases: cannot read " << path << "\n";
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    const json::value cases = json::parse(text.str());
    for (const json::value& item : cases.as_array()) {
      const json::object& c = item.as_object();
      const json::value& original = c.at("original");
      const json::value* resource = c.if_contains("extended_resource");
      const json::value* sizing = c.if_contains("sizing_annotations");
      const json::value* gate = c.if_contains("gate_on_runtime_class");

      json::value mutated = original;
      json::value twice = original;
      if (gate == nullptr || !gate->as_bool() || is_target(original)) {
        const std::string res = resource != nullptr ? std::string(resource->as_string()) : "kata.peerpods.io/vm";
        const bool annotate = sizing == nullptr || sizing->as_bool();
        const peergate::testing::pod_mutation first = peergate::testing::mutate_peer_pod(original, res, annotate);
        if (first.refused) {
          std::cerr << "dump_patch_cases: case \"" << c.at("name").as_string() << "\" refused: " << first.reason
                    << "\n";
          return 1;
        }
        mutated = first.pod;
        const peergate::testing::pod_mutation second = peergate::testing::mutate_peer_pod(mutated, res, annotate);
        twice = second.refused ? json::value(nullptr) : second.pod;
      }
      json::object line;
      line["name"] = c.at("name");
      line["original"] = original;
      line["patch"] = peergate::json_patch::diff(original, mutated);
      line["expected"] = c.at("expected");
      line["second_patch"] = peergate::json_patch::diff(mutated, twice);
      std::cout << json::serialize(line) << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "dump_patch_cases: " << path << ": " << e.what() << "\n";
    return 2;
  }
  return 0;
}
