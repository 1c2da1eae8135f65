#pragma once
// The HTML report's stylesheet and script: audit/render/report.css and report.js, built into the
// binary by cmake/embed.cmake so that the page stays one self-contained file.

#include <string_view>

namespace peergate::audit {

std::string_view report_css();
std::string_view report_js();

}  // namespace peergate::audit
