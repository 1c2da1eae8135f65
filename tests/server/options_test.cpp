#include <catch2/catch.hpp>

#include "webhook/server/options.hpp"

using namespace peergate::webhook::server;
using std::chrono::milliseconds;

TEST_CASE("durations: units and bare seconds") {
  CHECK(parse_duration("10s") == milliseconds(10'000));
  CHECK(parse_duration("250ms") == milliseconds(250));
  CHECK(parse_duration("1m") == milliseconds(60'000));
  CHECK(parse_duration("2h") == milliseconds(7'200'000));
  CHECK(parse_duration("1.5s") == milliseconds(1500));
  CHECK(parse_duration("3") == milliseconds(3000));
  CHECK(parse_duration("0") == milliseconds(0));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("ten seconds"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("5 s"));
}

TEST_CASE("byte sizes: binary and decimal suffixes") {
  CHECK(parse_byte_size("8388608") == 8388608u);
  CHECK(parse_byte_size("8Mi") == 8u * 1024 * 1024);
  CHECK(parse_byte_size("8MiB") == 8u * 1024 * 1024);
  CHECK(parse_byte_size("512Ki") == 512u * 1024);
  CHECK(parse_byte_size("8M") == 8'000'000u);
  CHECK(parse_byte_size("1Gi") == 1024u * 1024 * 1024);
  CHECK_FALSE(parse_byte_size("Mi"));
  CHECK_FALSE(parse_byte_size("1.5Mi"));
  CHECK_FALSE(parse_byte_size("lots"));
  CHECK_FALSE(parse_byte_size("99999999Gi"));
}

TEST_CASE("listen addresses") {
  std::string error;
  auto a = parse_listen_address("0.0.0.0:9443", error);
  REQUIRE(a);
  CHECK(a->host == "0.0.0.0");
  CHECK(a->port == 9443);
  a = parse_listen_address("127.0.0.1:0", error);
  REQUIRE(a);
  CHECK(a->port == 0);
  a = parse_listen_address("[::1]:8443", error);
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK(a->port == 8443);
  a = parse_listen_address(":9443", error);
  REQUIRE(a);
  CHECK(a->host == "0.0.0.0");
  a = parse_listen_address("localhost:1", error);
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK_FALSE(parse_listen_address("9443", error));
  CHECK_FALSE(parse_listen_address("::1:9443", error));
  CHECK(error.find("[ADDR]:PORT") != std::string::npos);
  CHECK_FALSE(parse_listen_address("127.0.0.1:70000", error));
  CHECK_FALSE(parse_listen_address("127.0.0.1:", error));
  CHECK_FALSE(parse_listen_address("[::1]9443", error));
}

TEST_CASE("the CPU quota of a cgroup v2 cpu.max line, rounded up") {
  CHECK(cpus_from_cgroup_cpu_max("max 100000") == std::nullopt);
  CHECK(cpus_from_cgroup_cpu_max("150000 100000\n") == 2u);
  CHECK(cpus_from_cgroup_cpu_max("100000 100000") == 1u);
  CHECK(cpus_from_cgroup_cpu_max("5000 100000") == 1u);  // 50m still gets a thread
  CHECK(cpus_from_cgroup_cpu_max("400000 100000") == 4u);
  CHECK(cpus_from_cgroup_cpu_max("") == std::nullopt);
  CHECK(cpus_from_cgroup_cpu_max("abc 100000") == std::nullopt);
  CHECK(cpus_from_cgroup_cpu_max("100000 0") == std::nullopt);
  CHECK(cpus_from_cgroup_cpu_max("-1 100000") == std::nullopt);  // cgroup v1 cfs_quota_us: no quota
  CHECK(default_thread_count() >= 1u);
}

TEST_CASE("validate reports every problem") {
  server_options o;
  CHECK(validate(o).empty());
  o.tls.cert_file = "cert.pem";
  o.max_connections = 0;
  o.header_timeout = milliseconds(0);
  o.max_inflight_bytes = o.max_body_bytes - 1;
  o.max_document_bytes = 1024;
  const std::string problems = validate(o);
  CHECK(problems.find("--max-inflight-bytes must be at least --max-body-bytes") != std::string::npos);
  CHECK(problems.find("--max-document-bytes must be at least 65536") != std::string::npos);
  CHECK(problems.find("--tls-cert and --tls-key") != std::string::npos);
  CHECK(problems.find("--max-connections") != std::string::npos);
  CHECK(problems.find("--header-timeout") != std::string::npos);

  server_options suites;
  suites.tls.min_version = tls_version::v1_3;
  suites.tls.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"};
  CHECK(validate(suites).find("TLS 1.3") != std::string::npos);
}
