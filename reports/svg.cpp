#include "reports/svg.h"

#include "reports/escape.h"
#include "reports/run_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace ys::reports {
namespace {

// A "nice" tick step so that [0, max] has about `ticks` intervals.
double nice_step(double range, int ticks) {
  if (!(range > 0) || !std::isfinite(range)) return 1;
  double raw = range / ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

std::string tick_label(double v) { return fmt::format("{:g}", std::fabs(v) < 1e-12 ? 0.0 : v); }

std::string text(double x, double y, const std::string& s, const char* anchor = "start", const char* cls = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" class=\"{}\">{}</text>", x, y, anchor, cls,
                     html_escape(s));
}

}  // namespace

const char* series_color(size_t i) {
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};
  return kColors[i % 8];
}

std::string svg_bars(const std::vector<Bar>& bars, const std::string& title, const std::string& axis, double max) {
  const double label_w = 190, plot_w = 420, right = 110, row_h = 20, top = 30, axis_h = 40;
  for (const auto& b : bars)
    if (std::isfinite(b.value)) max = std::max(max, b.value + b.err.value_or(0));
  if (!(max > 0)) max = 1;
  double step = nice_step(max, 5);
  max = std::ceil(max / step - 1e-9) * step;
  const double h = top + row_h * static_cast<double>(bars.size()) + axis_h;
  const double w = label_w + plot_w + right;
  auto xpos = [&](double v) { return label_w + plot_w * std::clamp(v, 0.0, max) / max; };
  std::string s = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" aria-label=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n<title>{}</title>\n",
      w, h, html_escape(title), html_escape(title));
  s += text(w / 2, 18, title, "middle", "ttl") + "\n";
  const double y_axis = top + row_h * static_cast<double>(bars.size());
  for (double t = 0; t <= max + step / 2; t += step) {
    s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" class=\"grid\"/>", xpos(t), top, y_axis + 4);
    s += text(xpos(t), y_axis + 16, tick_label(t), "middle", "tick");
  }
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" class=\"axis\"/>", label_w, label_w + plot_w, y_axis);
  s += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2:.1f}\" class=\"axis\"/>\n", label_w, top, y_axis);
  s += text(label_w + plot_w / 2, y_axis + 34, axis, "middle", "axt") + "\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double y = top + row_h * static_cast<double>(i);
    double v = std::isfinite(b.value) ? b.value : 0;
    s += text(label_w - 6, y + 14, one_line(b.label, 30), "end", "lbl");
    s += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" class=\"bar\"><title>{}: {:g}</title></rect>",
                     label_w, y + 3, xpos(v) - label_w, row_h - 6, html_escape(b.label), v);
    if (b.err && *b.err > 0) {
      double x0 = xpos(v - *b.err), x1 = xpos(v + *b.err), ym = y + row_h / 2;
      s += fmt::format("<path d=\"M{0:.1f} {1:.1f}H{2:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{2:.1f} {3:.1f}V{4:.1f}\" class=\"err\"/>",
                       x0, ym, x1, ym - 4, ym + 4);
    }
    std::string val = fmt::format("{:.3g}", v) + (b.err ? fmt::format(" ±{:.2g}", *b.err) : "") +
                      (b.note.empty() ? "" : " " + b.note);
    s += text(label_w + plot_w + 4, y + 14, val, "start", "val") + "\n";
  }
  return s + "</svg>\n";
}

std::string svg_scatter(const std::vector<Point>& points, const std::string& title, const std::string& x_axis,
                        const std::string& y_axis) {
  const double left = 60, plot_w = 460, plot_h = 260, top = 30, legend_w = 200, bottom = 45;
  const double w = left + plot_w + legend_w, h = top + plot_h + bottom;
  double xmax = 0, ymax = 0;
  for (const auto& p : points) {
    if (std::isfinite(p.x)) xmax = std::max(xmax, p.x);
    if (std::isfinite(p.y)) ymax = std::max(ymax, p.y);
    if (p.y_lo && p.y_hi && std::isfinite(*p.y_hi)) ymax = std::max(ymax, *p.y_hi);
  }
  double xs = nice_step(xmax > 0 ? xmax : 1, 5), ys = nice_step(ymax > 0 ? ymax : 1, 5);
  xmax = std::max(xs, std::ceil(xmax / xs - 1e-9) * xs);
  ymax = std::max(ys, std::ceil(ymax / ys - 1e-9) * ys);
  auto px = [&](double x) { return left + plot_w * std::clamp(x, 0.0, xmax) / xmax; };
  auto py = [&](double y) { return top + plot_h - plot_h * std::clamp(y, 0.0, ymax) / ymax; };
  std::string s = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" aria-label=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n<title>{}</title>\n",
      w, h, html_escape(title), html_escape(title));
  s += text(left + plot_w / 2, 18, title, "middle", "ttl") + "\n";
  for (double t = 0; t <= xmax + xs / 2; t += xs) {
    s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" class=\"grid\"/>", px(t), top, top + plot_h + 4);
    s += text(px(t), top + plot_h + 16, tick_label(t), "middle", "tick");
  }
  for (double t = 0; t <= ymax + ys / 2; t += ys) {
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" class=\"grid\"/>", left - 4, left + plot_w, py(t));
    s += text(left - 6, py(t) + 4, tick_label(t), "end", "tick");
  }
  s += fmt::format("<path d=\"M{0} {1}V{2}H{3}\" class=\"axis\" fill=\"none\"/>\n", left, top, top + plot_h, left + plot_w);
  s += text(left + plot_w / 2, top + plot_h + 36, x_axis, "middle", "axt");
  s += fmt::format("<text transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\" class=\"axt\">{}</text>\n",
                   top + plot_h / 2, html_escape(y_axis));
  std::map<std::string, size_t> series;
  for (const auto& p : points) series.emplace(p.series, series.size());
  size_t k = 0;
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    const double dy = -6.0 + 12.0 * static_cast<double>(k++ % 3);  // stagger labels of nearby points
    const char* color = series_color(series[p.series]);
    if (p.y_lo && p.y_hi && std::isfinite(*p.y_lo) && std::isfinite(*p.y_hi)) {
      const double x = px(p.x), y0 = py(*p.y_lo), y1 = py(*p.y_hi);
      s += fmt::format("<path d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
                       "stroke=\"{5}\" stroke-width=\"1.5\" fill=\"none\"/>",
                       x, y0, y1, x - 4, x + 4, color);
    }
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"><title>{}: {} ({:g}, {:g})</title></circle>",
                     px(p.x), py(p.y), color, html_escape(p.series), html_escape(p.label), p.x, p.y);
    s += text(px(p.x) + 7, py(p.y) + dy, p.label, "start", "plbl") + "\n";
  }
  double ly = top + 10;
  for (const auto& [name, i] : series) {
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"/>", left + plot_w + 20, ly, series_color(i));
    s += text(left + plot_w + 30, ly + 4, one_line(name, 26), "start", "lgd") + "\n";
    ly += 18;
  }
  return s + "</svg>\n";
}

std::string svg_forest(const std::vector<ForestRow>& rows, const std::string& title, const std::string& axis) {
  const double label_w = 210, plot_w = 360, right = 190, row_h = 18, top = 30, axis_h = 42;
  double m = 0;
  for (const auto& r : rows)
    for (double v : {r.estimate, r.lo, r.hi})
      if (std::isfinite(v)) m = std::max(m, std::fabs(v));
  if (!(m > 0)) m = 1;
  const double step = nice_step(m, 3);
  m = std::ceil(m / step - 1e-9) * step;
  auto xpos = [&](double v) { return label_w + plot_w * (std::clamp(v, -m, m) + m) / (2 * m); };
  size_t lines = 0;
  for (size_t i = 0; i < rows.size(); ++i) lines += (i == 0 || rows[i].group != rows[i - 1].group) ? 2 : 1;
  const double y_axis = top + row_h * static_cast<double>(lines);
  const double w = label_w + plot_w + right, h = y_axis + axis_h;
  std::string s = fmt::format(
      "<svg class=\"chart forest\" viewBox=\"0 0 {:.0f} {:.0f}\" role=\"img\" aria-label=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n<title>{}</title>\n",
      w, h, html_escape(title), html_escape(title));
  s += text(w / 2, 18, title, "middle", "ttl") + "\n";
  for (double t = -m; t <= m + step / 2; t += step) {
    s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" class=\"grid\"/>", xpos(t), top, y_axis + 4);
    s += text(xpos(t), y_axis + 16, (t > 1e-12 ? "+" : "") + tick_label(t), "middle", "tick");
  }
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" class=\"axis\"/>", label_w, label_w + plot_w, y_axis);
  s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2:.1f}\" class=\"zero\"/>\n", xpos(0), top, y_axis);
  s += text(label_w + plot_w / 2, y_axis + 34, axis, "middle", "axt") + "\n";
  double y = top;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ForestRow& r = rows[i];
    if (i == 0 || r.group != rows[i - 1].group) {
      s += fmt::format("<rect x=\"0\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{}\" class=\"band\"/>", y + 1, w, row_h - 2);
      s += text(6, y + 13, one_line(r.group, 60), "start", "grp") + "\n";
      y += row_h;
    }
    const double ym = y + row_h / 2;
    const char* color = series_color(r.series);
    s += fmt::format("<g class=\"frow\" data-group=\"{}\" data-run=\"{}\" data-delta=\"{:.6g}\" data-lo=\"{:.6g}\" "
                     "data-hi=\"{:.6g}\">",
                     html_escape(r.group), html_escape(r.label), r.estimate, r.lo, r.hi);
    s += text(label_w - 8, y + 13, one_line(r.label, 32), "end", "lbl");
    s += fmt::format("<path d=\"M{0:.1f} {1:.1f}H{2:.1f}M{0:.1f} {3:.1f}V{4:.1f}M{2:.1f} {3:.1f}V{4:.1f}\" stroke=\"{5}\" "
                     "stroke-width=\"2\" fill=\"none\"/>",
                     xpos(r.lo), ym, xpos(r.hi), ym - 4, ym + 4, color);
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"8\" height=\"8\" fill=\"{}\"/>", xpos(r.estimate) - 4, ym - 4, color);
    const char* cls = r.verdict > 0 ? "val better" : r.verdict < 0 ? "val worse" : "val";
    s += text(label_w + plot_w + 8, y + 13, fmt::format("{:+.2f} [{:+.2f}, {:+.2f}]", r.estimate, r.lo, r.hi), "start", cls);
    s += "</g>\n";
    y += row_h;
  }
  return s + "</svg>\n";
}

}  // namespace ys::reports
