// The shell of a self-contained HTML report: viewport meta (phones), inline CSS with a
// print stylesheet, no scripts, no network.
#pragma once

#include <string>

namespace ys::reports {

// `title` is escaped here; `body` must already be safe HTML.
std::string html_page(const std::string& title, const std::string& body);

}  // namespace ys::reports
