#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <fstream>

#include "engine/policy/loader.hpp"
#include "webhook/server/metrics.hpp"
#include "webhook/server/policy_store.hpp"
#include "webhook/server/router.hpp"

using namespace peergate::webhook::server;

namespace {

std::string sample(const std::string& name) {
  std::string path = PEERGATE_SOURCE_DIR;  // appended step by step: GCC 12 warns falsely on a + chain
  path.append("/samples/reviews/").append(name);
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct fixture {
  metrics stats{"test"};
  policy_store policies{{}, stats};
  std::string not_ready_reason;
  router routes{policies, stats, [this] { return not_ready_reason; }};
  fixture() { policies.install_for_test(peergate::load_policies({}).policies); }

  http_response post(std::string_view target, std::string_view body,
                     std::string_view content_type = "application/json") {
    return routes.handle(http_request_view{"POST", target, content_type, body});
  }
};

boost::json::object response_of(const http_response& r) {
  return boost::json::parse(r.body).as_object().at("response").as_object();
}

}  // namespace

TEST_CASE("routes are chosen on the path alone") {
  CHECK(route_for("/validate") == route::validate);
  CHECK(route_for("/validate?timeout=10s") == route::validate);
  CHECK(route_for("/mutate") == route::mutate);
  CHECK(route_for("/mutate-v1-pod?timeout=30s") == route::mutate);
  CHECK(route_for("/admit") == route::admit);
  CHECK(route_for("/healthz") == route::healthz);
  CHECK(route_for("/readyz") == route::readyz);
  CHECK(route_for("/metrics") == route::metrics);
  CHECK(route_for("/validate/") == route::not_found);
  CHECK(route_for("/admitx") == route::not_found);
  CHECK(route_for("") == route::not_found);
}

TEST_CASE("content types: application/json with any parameters") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("application/json; charset=utf-8"));
  CHECK(is_json_content_type("Application/JSON;charset=UTF-8"));
  CHECK(is_json_content_type(" application/json "));
  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("application/jsonx"));
  CHECK_FALSE(is_json_content_type("application/yaml"));
}

TEST_CASE("admission requests are decided with the current snapshot") {
  fixture f;
  http_response denied = f.post("/admit?timeout=10s", sample("pod-peer-denied.json"));
  CHECK(denied.status == 200);
  CHECK(denied.content_type == "application/json");
  CHECK_FALSE(response_of(denied).at("allowed").as_bool());

  http_response allowed = f.post("/mutate-v1-pod", sample("pod-peer-allowed.json"), "application/json; charset=utf-8");
  CHECK(response_of(allowed).at("allowed").as_bool());
  CHECK(response_of(allowed).contains("patch"));

  const std::string text = f.stats.render();
  CHECK(text.find(R"(peergate_admission_requests_total{endpoint="admit",decision="denied"} 1)") != std::string::npos);
  CHECK(text.find(R"(peergate_admission_requests_total{endpoint="mutate",decision="allowed"} 1)") != std::string::npos);
  CHECK(
      text.find(
          R"(peergate_policy_results_total{policy="peer-pods-allowed-namespaces",rule="allowed-namespaces",action="deny",result="violation"} 1)") !=
      std::string::npos);
}

TEST_CASE("bad requests get their status and a short JSON error") {
  fixture f;
  auto check_error = [](const http_response& r, int status) {
    CHECK(r.status == status);
    CHECK(r.content_type == "application/json");
    CHECK(boost::json::parse(r.body).as_object().at("error").is_string());
  };
  const std::string review = sample("pod-peer-denied.json");
  http_response r = f.routes.handle({"GET", "/validate", "application/json", review});
  check_error(r, 405);
  CHECK(r.allow == "POST");
  check_error(f.post("/validate", review, "text/plain"), 415);
  check_error(f.post("/validate", review, ""), 415);
  check_error(f.post("/validate", "{not json"), 400);
  check_error(f.post("/validate", R"({"kind":"Pod"})"), 400);
  check_error(f.post("/nope", review), 404);
  r = f.routes.handle({"POST", "/metrics", "", ""});
  check_error(r, 405);
  CHECK(r.allow == "GET, HEAD");
  CHECK(f.routes.handle({"HEAD", "/healthz", "", ""}).status == 200);

  r = f.routes.reject("/admit?timeout=10s", 413, "too large");
  check_error(r, 413);
  CHECK(r.close);
  // Shed for load: refused before the handler like the rest (peergate_requests_shed_total counts
  // it apart), never an internal error.
  r = f.routes.reject("/mutate", 503, "server busy");
  check_error(r, 503);
  CHECK(r.close);
  const std::string text = f.stats.render();
  CHECK(text.find(R"(peergate_admission_requests_total{endpoint="mutate",decision="bad_request"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(peergate_admission_requests_total{endpoint="mutate",decision="error"} 0)") != std::string::npos);
  CHECK(text.find(R"(peergate_admission_requests_total{endpoint="admit",decision="bad_request"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(peergate_admission_requests_total{endpoint="validate",decision="bad_request"} 5)") !=
        std::string::npos);
  CHECK(text.find(R"(peergate_http_responses_total{code="415"} 2)") != std::string::npos);
}

TEST_CASE("a review over --max-document-bytes gets 413 and a JSON error, a normal one is served") {
  metrics stats{"test"};
  policy_store policies{{}, stats};
  policies.install_for_test(peergate::load_policies({}).policies);
  const router routes{policies, stats, [] { return std::string(); }, nullptr, 64 * 1024};
  std::string body = sample("pod-peer-allowed.json");
  const std::string normal = body;
  std::string zeros = "\"padding\":[0";
  for (int i = 1; i < 20'000; ++i) zeros += ",0";
  zeros += "],";
  // Under metadata.annotations, which the review parser keeps whole: a document tree is built.
  // (Under spec, a part no step reads, the zeros would be scanned and never built.)
  body.insert(body.find('{', body.find("\"metadata\"", body.find("\"object\""))) + 1,
              "\"annotations\":{" + zeros.substr(0, zeros.size() - 1) + "},");
  http_response r = routes.handle({"POST", "/admit", "application/json", body});
  CHECK(r.status == 413);
  CHECK_FALSE(r.close);  // the body was read whole: the connection stays usable
  CHECK(boost::json::parse(r.body).as_object().at("error").as_string().find("--max-document-bytes") !=
        boost::json::string::npos);
  CHECK(r.document_bytes <= 64 * 1024);
  r = routes.handle({"POST", "/admit", "application/json", normal});
  CHECK(r.status == 200);
  CHECK(response_of(r).at("allowed") == true);
  CHECK(stats.render().find(R"(peergate_http_responses_total{code="413"} 1)") != std::string::npos);
}

TEST_CASE("health, readiness and metrics") {
  fixture f;
  http_response r = f.routes.handle({"GET", "/healthz", "", ""});
  CHECK(r.status == 200);
  r = f.routes.handle({"GET", "/readyz", "", ""});
  CHECK(r.status == 200);
  f.not_ready_reason = "shutting down";
  r = f.routes.handle({"GET", "/readyz", "", ""});
  CHECK(r.status == 503);
  CHECK(r.body.find("shutting down") != std::string::npos);
  r = f.routes.handle({"GET", "/metrics?x", "", ""});
  CHECK(r.status == 200);
  CHECK(r.content_type == metrics::content_type);
  CHECK(r.body.find("peergate_build_info{version=\"test\",compiler=") != std::string::npos);
}

TEST_CASE("without policies, admission requests are refused, never allowed") {
  metrics stats("test");
  policy_store empty({}, stats);
  router routes(empty, stats, {});
  http_response r = routes.handle({"POST", "/admit", "application/json", sample("pod-peer-allowed.json")});
  CHECK(r.status == 503);
  CHECK(r.body.find("allowed") == std::string::npos);
}
