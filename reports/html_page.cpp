#include "reports/html_page.h"

#include "reports/escape.h"

namespace ys::reports {
namespace {

const char* kCss = R"css(
:root{--fg:#1b1f24;--mut:#57606a;--line:#d0d7de;--bar:#4c78a8;--bg:#fff;--ok:#1a7f37;--bad:#cf222e}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:12px 16px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.2em;margin:1.4em 0 .4em;border-bottom:1px solid var(--line)}h3{font-size:1.05em;margin:1em 0 .3em}
.meta{color:var(--mut);font-size:.9em}
.tw{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.4em 0}
table{border-collapse:collapse;font-size:.88em;min-width:50%}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{color:var(--ok);font-weight:600}.fail{color:var(--bad);font-weight:600}
#summary-table td.scope{min-width:16em}#summary-table td.score{text-align:right}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:4px 8px;margin:4px 0}
svg.chart{width:100%;max-width:760px;height:auto;display:block;margin:.4em 0}
svg .ttl{font-size:14px;font-weight:600}svg .tick,svg .val,svg .plbl,svg .lgd{font-size:11px;fill:#333}
svg .lbl{font-size:11px}svg .axt{font-size:12px;fill:#333}
svg .grid{stroke:#e5e5e5}svg .zero{stroke:#555;stroke-dasharray:4 3}svg .band{fill:#f3f5f7}svg .grp{font-size:12px;font-weight:600}
svg .better{fill:var(--ok);font-weight:600}svg .worse{fill:var(--bad);font-weight:600}svg .axis{stroke:#333;stroke-width:1}svg .bar{fill:var(--bar)}svg .err{stroke:#111;stroke-width:1.2;fill:none}
.grid-cells{display:flex;flex-wrap:wrap;gap:2px}.cell{width:14px;height:14px;border-radius:2px}.cell.p{background:var(--ok)}.cell.f{background:var(--bad)}
details{margin:.5em 0;border:1px solid var(--line);border-radius:4px;padding:4px 8px}summary{cursor:pointer;font-weight:600}
pre{white-space:pre-wrap;word-break:break-word;font-size:.85em;margin:0}
@media (max-width:600px){body{font-size:14px;padding:8px}th,td{padding:2px 4px}
#summary-table thead{display:none}#summary-table,#summary-table tbody,#summary-table tr{display:block;width:100%}
#summary-table tr{border:1px solid var(--line);margin:0 0 6px;padding:4px}#summary-table td{display:inline-block;border:none;text-align:left}
#summary-table td[data-label]::before{content:attr(data-label) ": ";color:var(--mut)}#summary-table td.score{text-align:left}#summary-table td:first-child,#summary-table td.scope{display:block;min-width:0}}
@media print{body{max-width:none;font-size:11px}details{border:none}details>*{display:block}.tw{overflow:visible}h2{break-after:avoid}svg.chart,table{break-inside:avoid}}
)css";

}  // namespace

std::string html_page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
         "<title>" +
         html_escape(title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n";
}

}  // namespace ys::reports
