// Inline SVG charts for the HTML reports: horizontal bar charts (with optional error
// bars) and scatter plots (with series legend and point labels). Every label is escaped;
// every chart has axes with ticks, an axis title with its unit, and a legend or caption.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

struct Bar {
  std::string label;
  double value = 0;
  std::optional<double> err;  // +/- error bar (e.g. stderr)
  std::string note;           // shown after the value, e.g. "n=57"
};

// axis: the value axis title with unit, e.g. "accuracy (%)". max <= 0: from the data.
std::string svg_bars(const std::vector<Bar>& bars, const std::string& title, const std::string& axis, double max = 0);

struct Point {
  double x = 0, y = 0;
  std::string label;   // next to the point (e.g. the quant type)
  std::string series;  // colour + legend entry (e.g. the model)
};

std::string svg_scatter(const std::vector<Point>& points, const std::string& title, const std::string& x_axis,
                        const std::string& y_axis);

// A fixed palette colour for series i.
const char* series_color(size_t i);

}  // namespace ys::reports
