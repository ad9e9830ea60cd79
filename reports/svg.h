// Inline SVG charts for the HTML reports: horizontal bar charts (with optional error
// bars), scatter plots (with series legend, point labels and optional vertical intervals)
// and forest plots (differences with 95% intervals around a zero line). Every label is
// escaped; every chart has axes with ticks, an axis title with its unit, and a legend or
// caption.
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
  std::optional<double> y_lo, y_hi;  // a vertical interval (e.g. the 95% CI), drawn when both are set
};

std::string svg_scatter(const std::vector<Point>& points, const std::string& title, const std::string& x_axis,
                        const std::string& y_axis);

// One line of a forest plot. Rows of one `group` follow each other; a heading line with
// the group's name is drawn above them. Each row is an SVG <g class="frow"> carrying
// data-group, data-run, data-delta, data-lo and data-hi (the plotted numbers, %.6g).
struct ForestRow {
  std::string group;  // e.g. "acc (headline)", "acc/stem"
  std::string label;  // e.g. the run
  double estimate = 0, lo = 0, hi = 0;
  size_t series = 0;  // colour: series_color(series)
  int verdict = 0;    // +1 better, -1 worse (the interval excludes 0), 0 undecided
};

std::string svg_forest(const std::vector<ForestRow>& rows, const std::string& title, const std::string& axis);

// A fixed palette colour for series i.
const char* series_color(size_t i);

}  // namespace ys::reports
