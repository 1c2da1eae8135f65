#pragma once
// What the review parser (webhook/review_parser.hpp) must produce, computed the slow way from
// boost::json::parse's document: shared by the review fuzz targets and the review parser's tests
// (here rather than in tests/support: the container build copies fuzz/, not tests/).

#include <boost/json.hpp>
#include <string_view>
#include <utility>

#include "engine/json_pruned_parse.hpp"
#include "webhook/review_parser.hpp"

namespace peergate::testing {

// boost::json::parse's document pruned the slow, obvious way to what the review parser keeps
// (webhook/review_parser.hpp's review_shape()).
inline boost::json::value pruned_review(const boost::json::value& document) {
  return pruned_copy(document, webhook::review_shape());
}

}  // namespace peergate::testing
