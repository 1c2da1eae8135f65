// The VM check is on the request path of every pod: these tests count heap allocations to hold
// it to "nothing allocated when the pod carries no VM annotation, nor when it is within its
// limits" (initdata aside: decoding it needs the document). The global operator new of this
// test executable is replaced by a counting one; it counts only inside a counting_scope.

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "engine/match/name_matcher.hpp"
#include "engine/vm/vm_limits.hpp"
#include "engine/vm/vm_request.hpp"

namespace {

thread_local bool counting = false;
thread_local int allocations = 0;

struct counting_scope {
  counting_scope() {
    allocations = 0;
    counting = true;
  }
  ~counting_scope() { counting = false; }
};

void* counted_allocation(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

struct no_digests : peergate::vm::digest_provider {
  std::optional<std::string> hex_digest(peergate::vm::digest_algorithm, std::string_view) const override {
    return std::nullopt;
  }
};

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): under AddressSanitizer
// its own nothrow new would otherwise meet the free() above, a reported mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace json = boost::json;
using namespace peergate::vm;

TEST_CASE("the VM check allocates nothing for a pod without VM annotations or within its limits", "[vm][allocation]") {
  peergate::name_matcher_build built =
      peergate::name_matcher::build({{peergate::name_pattern::kind::exact, "Standard_DC2as_v5"}});
  REQUIRE(built.errors.empty());
  auto matcher = std::make_shared<const peergate::name_matcher>(std::move(*built.matcher));
  vm_limits limits;
  limits.instance_types =
      allowed_names::any_of([matcher](std::string_view name) { return matcher->matches(name); }, "Standard_DC2as_v5");
  limits.max_vcpus = 4;
  limits.max_memory = memory_limit::parse("16Gi", nullptr);
  limits.max_gpus = 0;
  limits.images = allowed_names::none();
  limits.initdata_digests = std::vector<allowed_digest>{};
  const no_digests digests;

  const json::value plain = json::parse(R"({"metadata": {"annotations": {"team": "blue"}}, "spec": {}})");
  const json::value sized = json::parse(R"({"metadata": {"annotations": {
      "io.katacontainers.config.hypervisor.machine_type": "Standard_DC2as_v5",
      "io.katacontainers.config.hypervisor.default_vcpus": "4",
      "io.katacontainers.config.hypervisor.default_memory": "16384",
      "io.katacontainers.config.hypervisor.default_gpus": "0"}}})");
  std::size_t violations = 0;
  bool empty = false;
  {
    counting_scope scope;
    const vm_request none = read_vm_request(find_pod_annotations(peergate::evaluated_kind::pod, plain));
    empty = none.empty();
    violations += check(none, limits, digests).size();
    const vm_request within = read_vm_request(find_pod_annotations(peergate::evaluated_kind::pod, sized));
    violations += check(within, limits, digests).size();
    violations += rules_to_check_on_update(within, within).empty() ? 0 : 1;
  }
  CHECK(allocations == 0);
  CHECK(empty);
  CHECK(violations == 0);

  // The counter does count: a violation allocates its texts.
  const json::value over = json::parse(R"({"io.katacontainers.config.hypervisor.default_vcpus": "8"})");
  {
    counting_scope scope;
    violations = check(read_vm_request(&over.as_object()), limits, digests).size();
  }
  CHECK(violations == 1);
  CHECK(allocations > 0);
}
