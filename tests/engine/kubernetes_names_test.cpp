#include <catch2/catch.hpp>

#include "engine/kubernetes_names.hpp"

using namespace peergate;

TEST_CASE("Kubernetes name rules", "[names]") {
  CHECK(is_dns1123_label("team-a"));
  CHECK(is_dns1123_label("0team"));
  CHECK_FALSE(is_dns1123_label(""));
  CHECK_FALSE(is_dns1123_label("-team"));
  CHECK_FALSE(is_dns1123_label("team-"));
  CHECK_FALSE(is_dns1123_label("Team"));
  CHECK_FALSE(is_dns1123_label(std::string(64, 'a')));
  CHECK(is_dns1123_label(std::string(63, 'a')));

  CHECK(is_dns1035_label("peergate"));
  CHECK_FALSE(is_dns1035_label("0peergate"));

  CHECK(is_dns1123_subdomain("kata-remote"));
  CHECK(is_dns1123_subdomain("kata.peerpods.io"));
  CHECK_FALSE(is_dns1123_subdomain("kata..io"));
  CHECK_FALSE(is_dns1123_subdomain("kata."));

  CHECK(is_qualified_name("kata.peerpods.io/vm"));
  CHECK(is_qualified_name("vm_1.x"));
  CHECK_FALSE(is_qualified_name("kata.peerpods.io/"));
  CHECK_FALSE(is_qualified_name("Kata_IO/vm"));
  CHECK_FALSE(is_qualified_name("kata.peerpods.io/-vm"));
}
