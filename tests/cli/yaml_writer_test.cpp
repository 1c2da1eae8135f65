// The YAML writer must give back what it was given: every string below is written, read again
// with yaml-cpp (the reader peergate itself uses) and compared.
#include <catch2/catch.hpp>
#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli/yaml_writer.hpp"
#include "engine/yaml_json.hpp"

namespace json = boost::json;
using peergate::cli::append_yaml;
using peergate::cli::yaml_scalar;

namespace {

json::value round_trip(const json::value& v) {
  std::string text;
  append_yaml(text, v);
  INFO("YAML:\n" << text);
  auto parsed = peergate::parse_yaml_documents(text);
  REQUIRE(parsed.error.empty());
  REQUIRE(parsed.documents.size() == 1);
  return parsed.documents[0];
}

}  // namespace

TEST_CASE("strings YAML would read as something else are quoted and come back as strings") {
  const char* tricky[] = {
      "true",  "False",  "yes",       "NO",       "on",          "Off",        "y",     "n",     "null", "Null",
      "~",     "",       "1",         "-1",       "+1",          "1.5",        ".5",    "1e3",   "1E3",  "0x1f",
      "0o17",  "0b101",  ".inf",      "-.inf",    ".nan",        "2026-11-27", "12:30", "1_000", "-",    "- x",
      "-x",    "a: b",   "a:",        "a #b",     "#x",          "*x",         "&x",    "!x",    "|",    ">",
      "'",     "\"",     "%x",        "@x",       "`x",          "?x",         ":x",    "[x]",   "{x}",  "x,y",
      " lead", "trail ", "tab\there", "ctrl\x01", "caf\xc3\xa9", "<<",         "=",     "a'b",   "a\"b", "back\\slash"};
  for (const char* s : tricky) {
    json::object o;
    o[s] = s;  // as a key and as a value
    CHECK(round_trip(o) == json::value(o));
    CHECK(round_trip(json::array{s}) == json::value(json::array{s}));
  }
}

TEST_CASE("Kubernetes words stay plain") {
  for (const char* s : {"100m", "64Mi", "2160h", "kata-remote", "kubernetes.io/metadata.name", "system:masters",
                        "app.kubernetes.io/name", "peergate CA", "/mutate-v1-pod", "team-*", "Fail"}) {
    CHECK(yaml_scalar(s) == s);
  }
  CHECK(yaml_scalar("1") == "\"1\"");
  CHECK(yaml_scalar("--policies=/etc") == "\"--policies=/etc\"");
}

TEST_CASE("multi-line text is a literal block and keeps its exact line ends") {
  const char* texts[] = {"a\nb\n",
                         "a\nb",
                         "a\nb\n\n\n",
                         "  indented first\nsecond\n",
                         "\nleading blank\n",
                         "x: 1\n# comment\nlist:\n  - \"q\"\n",
                         "trailing space \nx\n",
                         "tab\tin\nblock\n"};
  for (const char* t : texts) {
    json::object o{{"data", json::object{{"file.yaml", t}}}};
    CHECK(round_trip(o) == json::value(o));
  }
  std::string text;
  append_yaml(text, json::object{{"k", "a\nb\n"}});
  CHECK(text == "k: |\n  a\n  b\n");
  // Text a literal block cannot carry is quoted instead.
  text.clear();
  append_yaml(text, json::object{{"k", "a\r\nb\n"}});
  CHECK(text == "k: \"a\\r\\nb\\n\"\n");
}

TEST_CASE("nested objects, arrays, empty collections and other scalars") {
  json::value v = json::parse(R"({"a":{"b":[1,2.5,true,null,"s",{"c":[]},{}],"d":{}},"e":[[1,[2]],[]],"f":-3})");
  CHECK(round_trip(v) == v);
  std::string text;
  append_yaml(text, json::parse(R"({"list":[{"name":"x","ports":[{"port":443}]}],"empty":{}})"));
  CHECK(text == "list:\n"
                "  - name: x\n"
                "    ports:\n"
                "      - port: 443\n"
                "empty: {}\n");
}
