// The lenient field getters and the request.kind of a bare object.
#include "engine/json_fields.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/admission.hpp"

namespace json = boost::json;
using peergate::object_field;
using peergate::string_field;

TEST_CASE("string_field and object_field read what is there and give way on the rest") {
  const json::object o = json::parse(R"({"s":"text","n":7,"o":{"k":"v"},"z":null})").as_object();
  CHECK(string_field(o, "s") == "text");
  CHECK(string_field(o, "n").empty());
  CHECK(string_field(o, "o").empty());
  CHECK(string_field(o, "absent").empty());
  CHECK(string_field(nullptr, "s").empty());

  REQUIRE(object_field(o, "o") != nullptr);
  CHECK(string_field(object_field(o, "o"), "k") == "v");
  CHECK(object_field(o, "s") == nullptr);
  CHECK(object_field(o, "z") == nullptr);
  CHECK(object_field(o, "absent") == nullptr);
  CHECK(object_field(nullptr, "o") == nullptr);
}

TEST_CASE("kind_of_object splits apiVersion into group and version") {
  const peergate::group_version_kind apps = peergate::kind_of_object("apps/v1", "Deployment");
  CHECK(apps.group == "apps");
  CHECK(apps.version == "v1");
  CHECK(apps.kind == "Deployment");
  const peergate::group_version_kind core = peergate::kind_of_object("v1", "Pod");
  CHECK(core.group.empty());
  CHECK(core.version == "v1");
  CHECK(core.kind == "Pod");
  const peergate::group_version_kind batch = peergate::kind_of_object("batch/v1beta1", "CronJob");
  CHECK(batch.group == "batch");
  CHECK(batch.version == "v1beta1");
}
