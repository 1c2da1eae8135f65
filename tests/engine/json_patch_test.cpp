#include "engine/json_patch.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "tests/support/random_json.hpp"

namespace json = boost::json;
namespace patch = peergate::json_patch;

namespace {

// apply(diff(a, b)) must turn a into b; returns the patch for further checks.
json::array check_round_trip(std::string_view from_text, std::string_view to_text) {
  const json::value from = json::parse(from_text);
  const json::value to = json::parse(to_text);
  json::array ops = patch::diff(from, to);
  json::value doc = from;
  std::string error;
  INFO("patch: " << json::serialize(ops));
  REQUIRE(patch::apply(doc, ops, &error));
  CHECK(error.empty());
  CHECK(doc == to);
  return ops;
}

std::string apply_error(std::string_view doc_text, std::string_view ops_text) {
  json::value doc = json::parse(doc_text);
  std::string error;
  INFO("ops: " << std::string(ops_text));
  REQUIRE_FALSE(patch::apply(doc, json::parse(ops_text).as_array(), &error));
  return error;
}

json::value applied(std::string_view doc_text, std::string_view ops_text) {
  json::value doc = json::parse(doc_text);
  std::string error;
  INFO("ops: " << std::string(ops_text) << " error: " << error);
  REQUIRE(patch::apply(doc, json::parse(ops_text).as_array(), &error));
  return doc;
}

}  // namespace

TEST_CASE("json_patch: escape_token follows RFC 6901") {
  CHECK(patch::escape_token("kata.peerpods.io/vm") == "kata.peerpods.io~1vm");
  CHECK(patch::escape_token("a~b") == "a~0b");
  CHECK(patch::escape_token("~/") == "~0~1");
  CHECK(patch::escape_token("~1") == "~01");
  CHECK(patch::escape_token("").empty());
  CHECK(patch::escape_token("plain") == "plain");
  // Runs and mixes of both characters, against the rule applied byte by byte.
  std::mt19937 random(3);
  for (int i = 0; i < 2000; ++i) {
    std::string token;
    std::string expected;
    for (std::size_t n = random() % 12; n > 0; --n) {
      const char c = "~/ab"[random() % 4];
      token += c;
      expected += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    }
    REQUIRE(patch::escape_token(token) == expected);
  }
}

TEST_CASE("json_patch: equal documents give an empty patch") {
  CHECK(patch::diff(json::parse(R"({"a":[1,{"b":null}]})"), json::parse(R"({"a":[1,{"b":null}]})")).empty());
  CHECK(patch::diff(json::value(1), json::value(1)).empty());
  CHECK(patch::diff(json::object{}, json::object{}).empty());
}

TEST_CASE("json_patch: diff is minimal and ops have op, path, value in that order") {
  const json::array ops =
      check_round_trip(R"({"keep":1,"change":1,"drop":true})", R"({"keep":1,"change":2,"new":"x"})");
  REQUIRE(ops.size() == 3);
  CHECK(json::serialize(ops[0]) == R"({"op":"replace","path":"/change","value":2})");
  CHECK(json::serialize(ops[1]) == R"({"op":"remove","path":"/drop"})");
  CHECK(json::serialize(ops[2]) == R"({"op":"add","path":"/new","value":"x"})");
}

TEST_CASE("json_patch: diff recurses into nested objects") {
  const json::array ops =
      check_round_trip(R"({"metadata":{"name":"p","annotations":{"a":"1"}},"spec":{"x":{"y":{"z":1}}}})",
                       R"({"metadata":{"name":"p","annotations":{"a":"1","b":"2"}},"spec":{"x":{"y":{"z":2}}}})");
  REQUIRE(ops.size() == 2);
  CHECK(json::serialize(ops[0]) == R"({"op":"add","path":"/metadata/annotations/b","value":"2"})");
  CHECK(json::serialize(ops[1]) == R"({"op":"replace","path":"/spec/x/y/z","value":2})");
}

TEST_CASE("json_patch: arrays of equal length are diffed element by element, others replaced") {
  const json::array same =
      check_round_trip(R"({"c":[{"r":{"a":1}},{"r":{"b":2}}]})", R"({"c":[{"r":{}},{"r":{"b":2}}]})");
  REQUIRE(same.size() == 1);
  CHECK(json::serialize(same[0]) == R"({"op":"remove","path":"/c/0/r/a"})");

  const json::array longer = check_round_trip(R"({"c":[1,2]})", R"({"c":[1,2,3]})");
  REQUIRE(longer.size() == 1);
  CHECK(json::serialize(longer[0]) == R"({"op":"replace","path":"/c","value":[1,2,3]})");

  check_round_trip(R"({"c":[1,2,3]})", R"({"c":[]})");
  check_round_trip(R"([[1,2],[3]])", R"([[1,5],[3,4]])");
}

TEST_CASE("json_patch: keys with / and ~ are escaped") {
  const json::array ops =
      check_round_trip(R"({"requests":{"cpu":"1"}})", R"({"requests":{"kata.peerpods.io/vm":"1","a~b":2}})");
  REQUIRE(ops.size() == 3);
  CHECK(json::serialize(ops[1]) == R"({"op":"add","path":"/requests/kata.peerpods.io~1vm","value":"1"})");
  CHECK(json::serialize(ops[2]) == R"({"op":"add","path":"/requests/a~0b","value":2})");
  check_round_trip(R"({"~1":{"/":0}})", R"({"~1":{"/":1,"~0":2}})");
  check_round_trip(R"({"":{"":1}})", R"({"":{"":2}})");
}

TEST_CASE("json_patch: type changes and the root are replaced") {
  check_round_trip(R"({"a":{"b":1}})", R"({"a":[1]})");
  check_round_trip(R"({"a":1})", R"({"a":1.0})");
  check_round_trip(R"({"a":1})", R"([1])");
  const json::array root = check_round_trip("1", "\"x\"");
  REQUIRE(root.size() == 1);
  CHECK(json::serialize(root[0]) == R"({"op":"replace","path":"","value":"x"})");
}

TEST_CASE("json_patch: apply add, including \"-\" and insertion into arrays") {
  CHECK(applied(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/-","value":3}])") == json::parse(R"({"a":[1,2,3]})"));
  CHECK(applied(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/0","value":0}])") == json::parse(R"({"a":[0,1,2]})"));
  CHECK(applied(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/2","value":3}])") == json::parse(R"({"a":[1,2,3]})"));
  CHECK(applied(R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])") == json::parse(R"({"a":2})"));
  CHECK(applied(R"({})", R"([{"op":"add","path":"/a~1b","value":2}])") == json::parse(R"({"a/b":2})"));
  CHECK(applied(R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])") == json::parse(R"([1])"));
}

TEST_CASE("json_patch: apply remove, replace, move, copy and test") {
  CHECK(applied(R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/1"}])") == json::parse(R"({"a":[1,3]})"));
  CHECK(applied(R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])") == json::parse(R"({"b":2})"));
  CHECK(applied(R"({"a":{"b":1}})", R"([{"op":"replace","path":"/a/b","value":[2]}])") ==
        json::parse(R"({"a":{"b":[2]}})"));
  CHECK(applied(R"({"a":{"b":1},"c":{}})", R"([{"op":"move","from":"/a/b","path":"/c/d"}])") ==
        json::parse(R"({"a":{},"c":{"d":1}})"));
  CHECK(applied(R"({"a":[1,2,3]})", R"([{"op":"move","from":"/a/0","path":"/a/-"}])") ==
        json::parse(R"({"a":[2,3,1]})"));
  CHECK(applied(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])") == json::parse(R"({"a":1})"));
  CHECK(applied(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])") ==
        json::parse(R"({"a":{"b":1},"c":{"b":1}})"));
  CHECK(applied(R"({"a":{"b":[1,"x",null]}})", R"([{"op":"test","path":"/a","value":{"b":[1.0,"x",null]}}])") ==
        json::parse(R"({"a":{"b":[1,"x",null]}})"));
}

TEST_CASE("json_patch: apply errors name the op index, op and path") {
  CHECK(apply_error(R"({"a":1})", R"([{"op":"test","path":"/a","value":1},{"op":"remove","path":"/spec/x"}])") ==
        "op 1 (remove /spec/x): path does not exist");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])") ==
        "op 0 (replace /b): path does not exist");
  CHECK(apply_error(R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":1}])") ==
        "op 0 (add /a/2): index 2 is past the end of an array of 1");
  CHECK(apply_error(R"({"a":[1]})", R"([{"op":"add","path":"/a/01","value":1}])") ==
        "op 0 (add /a/01): \"01\" is not an array index");
  CHECK(apply_error(R"({"a":[1]})", R"([{"op":"remove","path":"/a/1"}])") ==
        "op 0 (remove /a/1): index 1 is out of range for an array of 1");
  CHECK(apply_error(R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])") ==
        "op 0 (remove /a/-): \"-\" is not an array index");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"add","path":"/x/y","value":1}])") ==
        "op 0 (add /x/y): parent path does not exist");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"add","path":"/a/y","value":1}])") ==
        "op 0 (add /a/y): parent is neither an object nor an array");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"add","path":"/a"}])") == "op 0 (add /a): missing \"value\"");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"test","path":"/a","value":2}])") == "op 0 (test /a): value differs");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"frob","path":"/a"}])") == "op 0 (frob /a): unknown op \"frob\"");
  CHECK(apply_error(R"({"a":1})", R"([{"path":"/a"}])") == "op 0 (? /a): missing \"op\" string");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"remove"}])") == "op 0 (remove): missing \"path\" string");
  CHECK(apply_error(R"({"a":1})", R"([1])") == "op 0: not an object");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"remove","path":"a"}])") ==
        "op 0 (remove a): pointer must be empty or start with \"/\"");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"remove","path":"/~2"}])") ==
        "op 0 (remove /~2): bad escape in pointer: \"~\" must be followed by 0 or 1");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"remove","path":""}])") ==
        "op 0 (remove \"\"): cannot remove the whole document");
  CHECK(apply_error(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])") ==
        "op 0 (move /a/b/c): cannot move a value into one of its own children");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"copy","from":"/z","path":"/b"}])") ==
        "op 0 (copy /b): from /z does not exist");
  CHECK(apply_error(R"({"a":1})", R"([{"op":"move","path":"/b"}])") == "op 0 (move /b): missing \"from\" string");
}

TEST_CASE("json_patch: find follows RFC 6901 pointers") {
  const json::value doc = json::parse(R"({"a":[10,{"b/c":1,"d~e":2}],"":3})");
  REQUIRE(patch::find(doc, "") != nullptr);
  CHECK(*patch::find(doc, "") == doc);
  CHECK(*patch::find(doc, "/a/0") == json::value(10));
  CHECK(*patch::find(doc, "/a/1/b~1c") == json::value(1));
  CHECK(*patch::find(doc, "/a/1/d~0e") == json::value(2));
  CHECK(*patch::find(doc, "/") == json::value(3));
  CHECK(patch::find(doc, "/a/2") == nullptr);
  CHECK(patch::find(doc, "/a/-") == nullptr);
  CHECK(patch::find(doc, "/a/01") == nullptr);
  CHECK(patch::find(doc, "/a/0/x") == nullptr);
  CHECK(patch::find(doc, "/missing") == nullptr);
  CHECK(patch::find(doc, "a") == nullptr);
  CHECK(patch::find(doc, "/a~") == nullptr);
}

TEST_CASE("json_patch: patch_text writes what boost::json::serialize writes for the same operations") {
  // Every kind of value, escapes in ops and paths, patches of 0 to 60 operations; half of them in
  // an arena with a small first block, as the webhook's, so that the text grows across blocks.
  static const char* const names[] = {"add", "remove", "replace", "a\"b", ""};
  static const char* const paths[] = {"", "/metadata/annotations/a~1b", "/spec/containers/0/resources", "/\t\x01\\",
                                      "/caf\xc3\xa9"};
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    alignas(std::max_align_t) unsigned char first[256];
    json::monotonic_resource arena(first, sizeof first);
    json::storage_ptr storage = i % 2 == 0 ? json::storage_ptr() : json::storage_ptr(&arena);
    patch::patch_text text(storage);
    json::array reference;
    patch::operation_array array(reference);
    const std::size_t count = i % 8 == 0 ? 0 : 1 + random() % (i % 4 == 1 ? 60 : 4);
    for (std::size_t n = 0; n < count; ++n) {
      const json::value value = peergate::testing::random_value(random, 3);
      const char* name = names[random() % std::size(names)];
      const char* path = paths[random() % std::size(paths)];
      const json::value* given = random() % 4 == 0 ? nullptr : &value;
      text.append(name, path, given);
      array.append(name, path, given);
    }
    INFO(json::serialize(reference));
    REQUIRE(text.text() == json::serialize(reference));
    CHECK(text.size() == reference.size());
    CHECK(text.empty() == reference.empty());
    // Read back as Boost.JSON reads its own text (its doubles do not always survive the trip).
    json::parse_options any_bytes;
    any_bytes.allow_invalid_utf8 = true;
    CHECK(text.operations() == json::parse(json::serialize(reference), {}, any_bytes));
    // Copies and moves keep the text.
    patch::patch_text copy = text;
    patch::patch_text moved = std::move(copy);
    CHECK(moved.text() == json::serialize(reference));
    patch::patch_text assigned;
    assigned = moved;
    CHECK(assigned.text() == json::serialize(reference));
  }
}

TEST_CASE("json_patch: diff_at writes the same operations to text and to values") {
  const json::value from = json::parse(R"({"a":{"b":1,"c~/":[1,2]},"d":"x","gone":null})");
  const json::value to = json::parse(R"({"a":{"b":2,"c~/":[1,3]},"d":{"e":1.5},"new":[true,"\n"]})");
  patch::patch_text text;
  std::pmr::string path = "/root";
  patch::diff_at(from, to, path, text);
  CHECK(path == "/root");
  json::array values;
  patch::operation_array array(values);
  patch::diff_at(from, to, path, array);
  CHECK(text.text() == json::serialize(values));
  CHECK(text.size() == 5);
}
