#include "webhook/review_parser.hpp"

#include "engine/json_pruned_parse.hpp"
#include "engine/object_shape.hpp"

namespace peergate::webhook {

namespace {

using member = json_shape::member;

const member user_members[] = {{"username", &whole_json_value}, {"groups", &whole_json_value}};
const json_shape user_shape{false, user_members, nullptr};

// request.resource, requestKind, requestResource, options and userInfo's uid and extra are
// never read.
const member request_members[] = {{"uid", &whole_json_value},
                                  {"kind", &whole_json_value},
                                  {"operation", &whole_json_value},
                                  {"subResource", &whole_json_value},
                                  {"name", &whole_json_value},
                                  {"namespace", &whole_json_value},
                                  {"dryRun", &whole_json_value},
                                  {"userInfo", &user_shape},
                                  {"object", &evaluated_object_shape()},
                                  {"oldObject", &evaluated_object_shape()}};
const json_shape request_shape{false, request_members, nullptr};

const member review_members[] = {
    {"kind", &whole_json_value}, {"apiVersion", &whole_json_value}, {"request", &request_shape}};
const json_shape review{false, review_members, nullptr};

}  // namespace

const json_shape& review_shape() { return review; }

boost::json::value parse_review_body(std::string_view body, std::error_code& ec, boost::json::storage_ptr storage,
                                     boost::json::storage_ptr temp, bool padded) {
  if (padded) return parse_pruned_in_place(body, review, ec, std::move(storage), std::move(temp));
  return parse_pruned(body, review, ec, std::move(storage), std::move(temp));
}

}  // namespace peergate::webhook
