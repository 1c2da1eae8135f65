#include "audit/object_stream.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <streambuf>

using namespace peergate::audit;
namespace json = boost::json;

namespace {

struct collected {
  std::vector<input_item> items;
  stream_stats stats;
};

collected read_all(const std::string& text, std::size_t chunk = 1 << 20, std::size_t max_item = 64 << 20) {
  collected out;
  std::istringstream in(text);
  stream_options options;
  options.chunk_bytes = chunk;
  options.max_item_bytes = max_item;
  out.stats = read_objects(
      in, [&](input_item&& item) { out.items.push_back(std::move(item)); }, options);
  return out;
}

std::string name_of(const input_item& item) {
  if (!item.value.is_object()) return "";
  const auto* md = item.value.as_object().if_contains("metadata");
  if (!md || !md->is_object()) return "";
  const auto* name = md->as_object().if_contains("name");
  return name && name->is_string() ? std::string(name->as_string()) : "";
}

// kubectl's layout: keys sorted, so "items" comes before "kind".
const char* kubectl_list = R"({
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "a", "namespace": "n1", "annotations": {"note": "braces } ] { [ and \"quotes\" and \\"}}
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "b", "namespace": "n2"}
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
)";

// Produces a List of `n` pods without holding it in memory.
class generated_list : public std::streambuf {
 public:
  explicit generated_list(std::size_t n) : n_(n) { refill(); }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!refill()) return traits_type::eof();
    return traits_type::to_int_type(*gptr());
  }

 private:
  bool refill() {
    buf_.clear();
    if (i_ == 0 && !started_) {
      buf_ = "{\"apiVersion\":\"v1\",\"items\":[";
      started_ = true;
    } else if (i_ < n_) {
      buf_ = (i_ ? ",\n" : "") + std::string("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p") +
             std::to_string(i_) + "\",\"namespace\":\"ns" + std::to_string(i_ % 7) +
             "\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}";
      ++i_;
    } else if (!ended_) {
      buf_ = "],\"kind\":\"List\"}\n";
      ended_ = true;
    } else {
      return false;
    }
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return true;
  }
  std::size_t n_, i_ = 0;
  bool started_ = false, ended_ = false;
  std::string buf_;
};

}  // namespace

TEST_CASE("a kubectl List gives its items one by one, with positions", "[audit][stream]") {
  auto r = read_all(kubectl_list);
  REQUIRE(r.stats.fatal.empty());
  REQUIRE(r.items.size() == 2);
  CHECK(r.stats.lists == 1);
  CHECK(r.items[0].where == "items[0]");
  CHECK(r.items[0].line == 4);
  CHECK(name_of(r.items[0]) == "a");
  CHECK(r.items[0].value.at("metadata").at("annotations").at("note") == "braces } ] { [ and \"quotes\" and \\");
  CHECK(r.items[1].where == "items[1]");
  CHECK(r.items[1].line == 9);
  CHECK(name_of(r.items[1]) == "b");
}

TEST_CASE("item boundaries do not depend on where the read buffer ends", "[audit][stream]") {
  const auto whole = read_all(kubectl_list);
  for (std::size_t chunk : {1, 2, 3, 5, 7, 13, 64}) {
    INFO("chunk " << chunk);
    const auto r = read_all(kubectl_list, chunk);
    REQUIRE(r.stats.fatal.empty());
    REQUIRE(r.items.size() == whole.items.size());
    for (std::size_t i = 0; i < r.items.size(); ++i) {
      CHECK(r.items[i].value == whole.items[i].value);
      CHECK(r.items[i].line == whole.items[i].line);
    }
  }
}

TEST_CASE("the List's kind may come before its items", "[audit][stream]") {
  auto r = read_all(
      R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}]})");
  REQUIRE(r.items.size() == 1);
  CHECK(name_of(r.items[0]) == "x");
}

TEST_CASE("an empty List is a valid, empty input", "[audit][stream]") {
  auto r = read_all(R"({"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}})");
  CHECK(r.stats.fatal.empty());
  CHECK(r.items.empty());
  CHECK_FALSE(r.stats.empty());
  CHECK(read_all("").stats.empty());
  CHECK(read_all(" \n\n ").stats.empty());
}

TEST_CASE("a single object, JSON lines and a JSON array", "[audit][stream]") {
  auto single = read_all("\n\n{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"solo\"}}\n");
  REQUIRE(single.items.size() == 1);
  CHECK(single.items[0].line == 3);
  CHECK(single.items[0].where.empty());

  auto lines = read_all(
      "{\"metadata\":{\"name\":\"one\"}}\n{\"metadata\":{\"name\":\"two\"}}\n\n{\"metadata\":{\"name\":\"three\"}}\n");
  REQUIRE(lines.items.size() == 3);
  CHECK(name_of(lines.items[2]) == "three");
  CHECK(lines.items[2].line == 4);

  auto array = read_all("[{\"metadata\":{\"name\":\"x\"}}, \"text\", 42, {\"metadata\":{\"name\":\"y\"}}]");
  REQUIRE(array.items.size() == 4);
  CHECK(array.items[1].value == "text");
  CHECK(array.items[2].value == 42);
  CHECK(array.items[3].where == "[3]");
  CHECK(array.stats.lists == 1);
}

TEST_CASE("a syntax error in one item is that item's error, the others are read", "[audit][stream]") {
  const std::string text = R"({"apiVersion":"v1","items":[
{"kind":"Pod","metadata":{"name":"good-1"}},
{"kind":"Pod","metadata":{"name":"bad",}},
{"kind":"Pod","spec":{"runtimeClassName": kata-remote}},
{"kind":"Pod","metadata":{"name":"good-2"}}
],"kind":"List"})";
  auto r = read_all(text);
  REQUIRE(r.stats.fatal.empty());
  REQUIRE(r.items.size() == 4);
  CHECK(r.stats.unreadable == 2);
  CHECK(r.items[0].error.empty());
  CHECK_THAT(r.items[1].error, Catch::Contains("invalid JSON at line 3"));
  CHECK(r.items[1].where == "items[1]");
  CHECK_THAT(r.items[2].error, Catch::Contains("near `c\":{\"runtimeClassName\": kata-rem`"));
  CHECK(name_of(r.items[3]) == "good-2");
}

TEST_CASE("an input broken as a whole is fatal, with a line", "[audit][stream]") {
  auto truncated = read_all(std::string(kubectl_list).substr(0, 300));
  CHECK_THAT(truncated.stats.fatal, Catch::Contains("truncated"));
  CHECK(truncated.items.size() == 1);  // what came before stays given

  auto mismatched = read_all("{\"items\":[{\"a\":[1,2}]}");
  CHECK_THAT(mismatched.stats.fatal, Catch::Contains("line 1: unexpected '}'"));

  auto stray = read_all("{\"a\":1}\n]\n");
  CHECK_THAT(stray.stats.fatal, Catch::Contains("line 2"));

  auto nothing_readable = read_all("this is not yaml: [\n");
  CHECK_FALSE(nothing_readable.stats.fatal.empty());
}

TEST_CASE("an item over the size limit is skipped and reported", "[audit][stream]") {
  const std::string big(200, 'x');
  auto r = read_all("{\"items\":[{\"name\":\"" + big + "\"},{\"name\":\"small\"}]}", 16, 100);
  REQUIRE(r.items.size() == 2);
  CHECK_THAT(r.items[0].error, Catch::Contains("larger than 100 bytes"));
  CHECK(r.items[1].error.empty());
}

TEST_CASE("multi-document YAML, a YAML List, and a broken document", "[audit][stream]") {
  const std::string text = R"(# a comment before anything
apiVersion: v1
kind: Pod
metadata:
  name: first
---
# only a comment
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: listed-1}
- apiVersion: v1
  kind: Pod
  metadata: {name: listed-2}
--- 
apiVersion: v1
kind: Pod
metadata: {name: [unclosed
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: last
...
)";
  auto r = read_all(text);
  REQUIRE(r.stats.fatal.empty());
  REQUIRE(r.items.size() == 5);
  CHECK(name_of(r.items[0]) == "first");
  CHECK(r.items[0].where == "document 1");
  CHECK(r.items[0].line == 2);
  CHECK(name_of(r.items[1]) == "listed-1");
  CHECK(r.items[1].where == "document 2 items[0]");
  CHECK(r.items[1].line == 12);
  CHECK(name_of(r.items[2]) == "listed-2");
  CHECK(r.items[3].where == "document 3");
  CHECK_THAT(r.items[3].error, Catch::Contains("invalid YAML at line"));
  CHECK(name_of(r.items[4]) == "last");
  CHECK(r.items[4].line == 23);
}

TEST_CASE("a byte order mark is skipped", "[audit][stream]") {
  auto r = read_all("\xEF\xBB\xBF{\"metadata\":{\"name\":\"bom\"}}");
  REQUIRE(r.items.size() == 1);
  CHECK(name_of(r.items[0]) == "bom");
}

TEST_CASE("a long List streams through without being held", "[audit][stream]") {
  generated_list source(20000);
  std::istream in(&source);
  std::size_t count = 0, errors = 0;
  std::string last;
  stream_options options;
  options.chunk_bytes = 4096;
  auto stats = read_objects(
      in,
      [&](input_item&& item) {
        ++count;
        errors += !item.error.empty();
        last = name_of(item);
      },
      options);
  CHECK(stats.fatal.empty());
  CHECK(count == 20000);
  CHECK(errors == 0);
  CHECK(last == "p19999");
}

// Whitespace before YAML is part of it: a read buffer that ends inside it must not drop it. Here an
// indented document (two spaces on each line): read without the first chunk's spaces it would not
// be one mapping. Every buffer size from 1 byte gives the items and lines of the default one.
TEST_CASE("YAML after chunks of whitespace reads as it does in one chunk", "[audit][stream]") {
  const std::string text = "\n\n  apiVersion: v1\n  kind: Pod\n  metadata:\n    name: indented\n";
  const collected whole = read_all(text);
  REQUIRE(whole.items.size() == 1);
  CHECK(name_of(whole.items[0]) == "indented");
  for (std::size_t chunk = 1; chunk <= 8; ++chunk) {
    INFO("chunk " << chunk);
    const collected cut = read_all(text, chunk);
    REQUIRE(cut.items.size() == 1);
    CHECK(cut.items[0].value == whole.items[0].value);
    CHECK(cut.items[0].line == whole.items[0].line);
    CHECK(cut.stats.bytes == whole.stats.bytes);
  }
}

// A byte order mark is three bytes: a read buffer of one or two takes it in several reads and must
// still recognise it, for JSON and for YAML, as the default buffer does.
TEST_CASE("a byte order mark is recognised whatever the read buffer's size", "[audit][stream]") {
  for (const std::string& body :
       {std::string(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "marked"}})"),
        std::string("apiVersion: v1\nkind: Pod\nmetadata:\n  name: marked\n"),
        std::string(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "marked"}} {"kind": )")}) {
    const std::string text = "\xEF\xBB\xBF" + body;
    const collected whole = read_all(text);
    REQUIRE(!whole.items.empty());
    CHECK(name_of(whole.items[0]) == "marked");
    for (std::size_t chunk = 1; chunk <= 4; ++chunk) {
      INFO(body << " chunk " << chunk);
      const collected cut = read_all(text, chunk);
      REQUIRE(cut.items.size() == whole.items.size());
      CHECK(cut.stats.fatal == whole.stats.fatal);
      CHECK(cut.items[0].value == whole.items[0].value);
      CHECK(cut.items[0].error == whole.items[0].error);
      CHECK(cut.items[0].where == whole.items[0].where);  // read as JSON, not as YAML
      CHECK(cut.items[0].line == whole.items[0].line);
      CHECK(cut.stats.bytes == whole.stats.bytes);
    }
  }
}
