// Differential fuzzing of the review codec: every input goes through webhook::handle_review for
// each step (admit, mutate, validate) twice, with the webhook's own codec (the parser that builds
// only what the steps read, json_shape; the response written straight into a string) and with
// the reference codec it replaced (boost::json::parse of the whole body, the response serialized
// by Boost.JSON), against the same policies at the same time (fuzz/review_differential.hpp). Any
// difference in the answer - status, body byte for byte, outcome, log fields, findings - aborts
// with the field and both values: most likely a field that a step reads and the shape
// (engine/object_shape.cpp, webhook/review_parser.cpp) leaves out.
//
// A libFuzzer build (fuzz/CMakeLists.txt) runs it as
//   build-libfuzzer/fuzz/review_differential_fuzz -dict=fuzz/review_decoder.dict new-corpus/
//   fuzz/corpus/review_differential/

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz/review_differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (peergate::step_kind step : peergate::testing::differential_steps) {
    const peergate::testing::differential_result r = peergate::testing::run_differential(step, body);
    if (!r.difference.empty()) {
      std::fprintf(stderr,
                   "review_differential_fuzz: the fast codec and the reference codec disagree\n"
                   "  step %s, outcome fast %s / reference %s\n  %s\n",
                   peergate::to_string(step), peergate::webhook::to_string(r.fast.result),
                   peergate::webhook::to_string(r.reference.result), r.difference.c_str());
      std::abort();
    }
  }
  return 0;
}
