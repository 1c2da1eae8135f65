#include "webhook/server/request_budget.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "webhook/server/metrics.hpp"

using namespace peergate::webhook::server;

TEST_CASE("the budget of request bytes in flight takes what fits and nothing more") {
  request_budget budget(100);
  budget_lease a, b, c;
  CHECK(a.acquire(budget, 60));
  CHECK_FALSE(b.acquire(budget, 41));  // 60 + 41 > 100: nothing taken
  CHECK(budget.in_use() == 60);
  CHECK(b.acquire(budget, 40));
  CHECK(budget.in_use() == 100);
  CHECK(c.acquire(budget, 0));  // a request without a body always fits
  CHECK_FALSE(c.acquire(budget, 1));
  a.release();
  CHECK(budget.in_use() == 40);
  CHECK(c.acquire(budget, 60));
  {
    budget_lease d;
    CHECK_FALSE(d.acquire(budget, 1));
  }
  c.release();
  c.release();  // twice gives back once
  CHECK(budget.in_use() == 40);
  CHECK(b.acquire(budget, 10));  // acquiring again gives back what was held first
  CHECK(budget.in_use() == 10);
}

TEST_CASE("a lease gives back its bytes when destroyed, and threads never overdraw") {
  request_budget budget(1000);
  {
    budget_lease lease;
    REQUIRE(lease.acquire(budget, 1000));
  }
  CHECK(budget.in_use() == 0);

  std::vector<std::thread> threads;
  std::atomic<bool> overdrawn{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        budget_lease lease;
        if (lease.acquire(budget, 300) && budget.in_use() > 1000) overdrawn = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK_FALSE(overdrawn.load());
  CHECK(budget.in_use() == 0);
}

TEST_CASE("metrics show the bytes in flight, the limit and the requests shed") {
  metrics m("test");
  request_budget budget(4096);
  m.watch_request_budget(&budget);
  budget_lease lease;
  REQUIRE(lease.acquire(budget, 1000));
  m.request_shed();
  const std::string text = m.render();
  CHECK(text.find("peergate_request_bytes_in_flight 1000\n") != std::string::npos);
  CHECK(text.find("peergate_request_bytes_in_flight_limit 4096\n") != std::string::npos);
  CHECK(text.find("peergate_requests_shed_total 1\n") != std::string::npos);
}
