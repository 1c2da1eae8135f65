#include "engine/vm/vm_messages.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "engine/messages.hpp"

using namespace peergate::vm;

namespace {

const vm_message_subject team_a{"Pod", "train-*", "team-a", "kata-remote"};

std::string line(const vm_violation& v, const vm_message_subject& s = team_a) {
  return peergate::finding_line("team-vm-limits", default_vm_message(v, s));
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST_CASE("the issue's example message", "[vm][messages]") {
  CHECK(line({vm_rule::vcpus, vm_violation_kind::over_limit, "8", "4", ""}) ==
        "[team-vm-limits] Pod \"train-*\" asks for a VM with 8 vCPUs in namespace \"team-a\"; at most 4 allowed");
}

TEST_CASE("one message per rule and kind", "[vm][messages]") {
  const std::string p = "[team-vm-limits] Pod \"train-*\" asks for ";
  CHECK(line({vm_rule::memory, vm_violation_kind::over_limit, "32Gi", "16Gi", ""}) ==
        p + "a VM with 32Gi of memory in namespace \"team-a\"; at most 16Gi allowed");
  CHECK(line({vm_rule::gpus, vm_violation_kind::over_limit, "1", "0", ""}) ==
        p + "a VM with 1 GPU in namespace \"team-a\"; at most 0 allowed");
  CHECK(line({vm_rule::vcpus, vm_violation_kind::over_limit, "1", "0", ""}) ==
        p + "a VM with 1 vCPU in namespace \"team-a\"; at most 0 allowed");
  // Edge spaces and control characters of a bad value stay visible.
  CHECK(line({vm_rule::vcpus, vm_violation_kind::invalid, " 4\n", "", "it has white space"}) ==
        p + "a VM with an invalid default_vcpus \" 4\\n\" in namespace \"team-a\": it has white space");
  CHECK(line({vm_rule::gpus, vm_violation_kind::over_limit, "2", "0", ""}) ==
        p + "a VM with 2 GPUs in namespace \"team-a\"; at most 0 allowed");
  CHECK(line({vm_rule::instance_type, vm_violation_kind::not_allowed, "Standard_D64s_v5", "Standard_DC*as_v5", ""}) ==
        p + "a VM of instance type \"Standard_D64s_v5\" in namespace \"team-a\"; allowed: Standard_DC*as_v5");
  CHECK(line({vm_rule::instance_type, vm_violation_kind::forbidden, "m6a.large", "", ""}) ==
        p + "a VM of instance type \"m6a.large\" in namespace \"team-a\"; no instance type may be set");
  CHECK(line({vm_rule::image, vm_violation_kind::not_allowed, "img", "/podvm-.+/", ""}) ==
        p + "a VM with image \"img\" in namespace \"team-a\"; allowed: /podvm-.+/");
  CHECK(line({vm_rule::image, vm_violation_kind::forbidden, "img", "", ""}) ==
        p + "a VM with image \"img\" in namespace \"team-a\"; no image override allowed");
  CHECK(line({vm_rule::initdata, vm_violation_kind::not_allowed, "sha256:ab", "sha256:cd", ""}) ==
        p + "a VM with initdata sha256:ab in namespace \"team-a\"; allowed: sha256:cd");
  CHECK(line({vm_rule::initdata, vm_violation_kind::forbidden, "", "", ""}) ==
        p + "a VM with its own initdata in namespace \"team-a\"; no initdata override allowed");
  CHECK(line({vm_rule::vcpus, vm_violation_kind::invalid, "two", "", "not an unsigned decimal integer"}) ==
        p + "a VM with an invalid default_vcpus \"two\" in namespace \"team-a\": not an unsigned decimal integer");
  CHECK(line({vm_rule::initdata, vm_violation_kind::invalid, "", "", "truncated gzip stream"}) ==
        p + "a VM with an invalid cc_init_data in namespace \"team-a\": truncated gzip stream");
  CHECK(line({vm_rule::memory, vm_violation_kind::invalid, "", "", "containers[0] resources.limits.memory: x"},
             {"Deployment", "train", "team-a", "kata-remote"}) ==
        "[team-vm-limits] Deployment \"train\" asks for a VM with an invalid default_memory in namespace \"team-a\": "
        "containers[0] resources.limits.memory: x");
}

TEST_CASE("long values are cut so the limit stays on a 256-character line", "[vm][messages]") {
  const std::string image(500, 'i');
  const std::string limit(500, 'l');
  const std::string text = line({vm_rule::image, vm_violation_kind::not_allowed, image, limit, ""});
  CHECK(code_points(text) <= peergate::max_warning_chars);
  // An image is told apart by its end: that is what is kept.
  CHECK(text.find("\"\xE2\x80\xA6" + std::string(max_requested_chars - 1, 'i') + "\"") != std::string::npos);
  CHECK(text.find("; allowed: ") != std::string::npos);
  // A long namespace or name can still push it past 256: one_line cuts the line itself.
  const std::string long_name(300, 'n');
  const std::string cut =
      line({vm_rule::vcpus, vm_violation_kind::over_limit, "8", "4", ""}, {"Pod", long_name, "team-a", "kata-remote"});
  CHECK(code_points(cut) == peergate::max_warning_chars);
  CHECK(cut.ends_with("\xE2\x80\xA6"));
}

TEST_CASE("values from the request are made one safe line", "[vm][messages]") {
  const std::string text = line({vm_rule::image, vm_violation_kind::forbidden, "a\nb\x01\xff", "", ""});
  CHECK(text == "[team-vm-limits] Pod \"train-*\" asks for a VM with image \"a b \xEF\xBF\xBD\" in namespace "
                "\"team-a\"; no image override allowed");
}

TEST_CASE("policy messages: every placeholder, expanded once", "[vm][messages]") {
  const vm_violation v{vm_rule::vcpus, vm_violation_kind::over_limit, "8", "4", ""};
  CHECK(expand_vm_message("{policy} {namespace} {runtimeClassName} {kind} {name} {rule} {requested} {limit} {other} {",
                          "p", team_a, v) == "p team-a kata-remote Pod train-* vcpus 8 4 {other} {");
  // A value that holds a placeholder is not expanded again.
  const vm_violation sneaky{vm_rule::image, vm_violation_kind::forbidden, "{policy}{limit}", "", ""};
  CHECK(expand_vm_message("[{requested}]", "p", team_a, sneaky) == "[{policy}{limit}]");
  // {requested} and {limit} are cut like the default message's.
  const vm_violation long_one{vm_rule::image, vm_violation_kind::not_allowed, std::string(100, 'r'),
                              std::string(200, 'l'), ""};
  const std::string expanded = expand_vm_message("{requested}|{limit}", "p", team_a, long_one);
  CHECK(code_points(expanded) == max_requested_chars + 1 + max_limit_chars);
}
