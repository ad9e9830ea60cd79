#include "tests/model/reference.h"

#include "engine/gguf/gguf.h"
#include "engine/quant/quant.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace ys::test {

namespace {

using Vec = std::vector<double>;
struct Mat {
  int64_t rows = 0, cols = 0;
  std::vector<double> a;  // row-major
  const double* row(int64_t r) const { return &a[size_t(r * cols)]; }
};

struct Ref {
  const gguf::File& f;
  std::string arch;

  const gguf::TensorInfo& info(const std::string& name) const {
    const auto* t = f.find_tensor(name);
    if (!t) throw std::runtime_error("reference: missing tensor " + name);
    return *t;
  }
  bool has(const std::string& name) const { return f.find_tensor(name) != nullptr; }
  // All rows of a tensor: dims[0] = row length.
  Mat load(const std::string& name) const {
    const auto& t = info(name);
    Mat m;
    m.cols = int64_t(t.dims[0]);
    m.rows = int64_t(t.n_elements()) / m.cols;
    std::vector<float> tmp(size_t(m.cols));
    const auto* p = f.tensor_data(t).data();
    const uint64_t rb = quant::row_bytes(t.type, uint64_t(m.cols));
    for (int64_t r = 0; r < m.rows; ++r) {
      quant::dequantize_row(t.type, p + uint64_t(r) * rb, tmp.data(), m.cols);
      m.a.insert(m.a.end(), tmp.begin(), tmp.end());
    }
    return m;
  }
  Vec vec(const std::string& name) const { return load(name).a; }
  double num(const std::string& key, double fb) const { return f.get_float(arch + "." + key, fb); }
  int integer(const std::string& key, int fb) const { return int(f.get_uint(arch + "." + key, uint64_t(fb))); }
};

// y = M x (+ row offset for stacked expert matrices)
Vec mul(const Mat& m, const Vec& x, int64_t row0 = 0, int64_t rows = -1) {
  if (rows < 0) rows = m.rows;
  Vec y(size_t(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const double* w = m.row(row0 + r);
    double s = 0.0;
    for (int64_t k = 0; k < m.cols; ++k) s += w[k] * x[size_t(k)];
    y[size_t(r)] = s;
  }
  return y;
}

Vec rmsnorm(const Vec& x, const Vec& w, double eps) {
  double ss = 0.0;
  for (double v : x) ss += v * v;
  const double s = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w[i];
  return y;
}

struct Rope {
  int n_rot = 0;
  bool neox = false;
  double base = 10000, scale = 1, ext = 0, attn = 1, beta_fast = 32, beta_slow = 1;
  int orig = 0;
  Vec factors;
};

// Rotates one head vector in place at position pos (ggml rope semantics, incl. YaRN).
void rope_head(double* x, int pos, const Rope& r) {
  const int half = r.n_rot / 2;
  double lo = 0, hi = 0;
  if (r.ext != 0) {
    auto cd = [&](double b) { return r.n_rot * std::log(r.orig / (b * 2 * M_PI)) / (2 * std::log(r.base)); };
    lo = std::max(0.0, std::floor(cd(r.beta_fast)));
    hi = std::min(double(r.n_rot - 1), std::ceil(cd(r.beta_slow)));
  }
  for (int i = 0; i < half; ++i) {
    double th_e = pos / std::pow(r.base, 2.0 * i / r.n_rot);
    if (!r.factors.empty()) th_e /= r.factors[size_t(i)];
    double th = th_e * r.scale, ms = r.attn;
    if (r.ext != 0) {
      const double y = (i - lo) / std::max(0.001, hi - lo);
      const double mix = (1 - std::clamp(y, 0.0, 1.0)) * r.ext;
      th = th * (1 - mix) + th_e * mix;
      ms *= 1 + 0.1 * std::log(1 / r.scale);
    }
    const int a = r.neox ? i : 2 * i, b = r.neox ? i + half : 2 * i + 1;
    const double x0 = x[a], x1 = x[b];
    x[a] = (x0 * std::cos(th) - x1 * std::sin(th)) * ms;
    x[b] = (x0 * std::sin(th) + x1 * std::cos(th)) * ms;
  }
}

double silu(double g) { return g / (1 + std::exp(-g)); }

// SwiGLU FFN of expert e (e = 0 for a dense FFN); stacked experts are consecutive row blocks.
Vec swiglu(const Mat& g, const Mat& u, const Mat& d, const Vec& x, int64_t e = 0) {
  const int64_t n_ff = d.cols;
  const Vec gv = mul(g, x, e * n_ff, n_ff), uv = mul(u, x, e * n_ff, n_ff);
  Vec h(static_cast<size_t>(n_ff));
  for (int64_t i = 0; i < n_ff; ++i) h[size_t(i)] = silu(gv[size_t(i)]) * uv[size_t(i)];
  const int64_t n_embd = int64_t(x.size());
  return mul(d, h, e * n_embd, n_embd);
}

// MoE: softmax over ALL router logits, keep the top k, renormalize (equal to Mixtral's
// softmax over the selected logits).
struct Ffn {
  Mat router, g, u, d;
};

Ffn load_ffn(const Ref& R, const std::string& p, bool moe) {
  if (!moe) return {{}, R.load(p + "ffn_gate.weight"), R.load(p + "ffn_up.weight"), R.load(p + "ffn_down.weight")};
  return {R.load(p + "ffn_gate_inp.weight"), R.load(p + "ffn_gate_exps.weight"), R.load(p + "ffn_up_exps.weight"),
          R.load(p + "ffn_down_exps.weight")};
}

Vec moe(const Ffn& F, const Vec& x, int k) {
  const Mat &router = F.router, &g = F.g, &u = F.u, &d = F.d;
  Vec logit = mul(router, x);
  const double mx = *std::max_element(logit.begin(), logit.end());
  Vec prob(logit.size());
  for (size_t i = 0; i < logit.size(); ++i) prob[i] = std::exp(logit[i] - mx);
  std::vector<int> ids(logit.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logit[size_t(a)] > logit[size_t(b)]; });
  double total = 0;
  for (int j = 0; j < k; ++j) total += prob[size_t(ids[size_t(j)])];
  Vec out(x.size(), 0.0);
  for (int j = 0; j < k; ++j) {
    const Vec y = swiglu(g, u, d, x, ids[size_t(j)]);
    for (size_t i = 0; i < out.size(); ++i) out[i] += prob[size_t(ids[size_t(j)])] / total * y[i];
  }
  return out;
}

}  // namespace

std::vector<std::vector<double>> reference_logits(const std::filesystem::path& path,
                                                  const std::vector<int32_t>& tokens) {
  const gguf::File f = gguf::File::open(path);
  Ref R{f, f.get_string("general.architecture", "")};
  const int n_layer = R.integer("block_count", 0), n_head = R.integer("attention.head_count", 0);
  const int n_kv = R.integer("attention.head_count_kv", n_head), n_embd = R.integer("embedding_length", 0);
  const int hd = n_embd / n_head, n_exp_used = R.integer("expert_used_count", 0);
  const double eps = R.num("attention.layer_norm_rms_epsilon", 1e-5);
  Rope rp;
  rp.n_rot = R.integer("rope.dimension_count", hd);
  rp.neox = R.arch == "qwen2";
  rp.base = R.num("rope.freq_base", 10000);
  const std::string st = f.get_string(R.arch + ".rope.scaling.type", "none");
  if (st == "linear" || st == "yarn") rp.scale = 1.0 / R.num("rope.scaling.factor", 1);
  if (st == "yarn") rp.ext = 1, rp.orig = R.integer("rope.scaling.original_context_length", 0);
  if (R.has("rope_freqs.weight")) rp.factors = R.vec("rope_freqs.weight");
  const Mat emb = R.load("token_embd.weight");
  const Mat out_w = R.has("output.weight") ? R.load("output.weight") : emb;
  const size_t n = tokens.size();
  std::vector<Vec> x(n);
  for (size_t t = 0; t < n; ++t) x[t].assign(emb.row(tokens[t]), emb.row(tokens[t]) + n_embd);
  for (int il = 0; il < n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    const Mat wq = R.load(p + "attn_q.weight"), wk = R.load(p + "attn_k.weight"), wv = R.load(p + "attn_v.weight"),
              wo = R.load(p + "attn_output.weight");
    const Vec an = R.vec(p + "attn_norm.weight"), fn = R.vec(p + "ffn_norm.weight");
    const Ffn F = load_ffn(R, p, n_exp_used > 0);
    std::vector<Vec> q(n), k(n), v(n);
    for (size_t t = 0; t < n; ++t) {
      const Vec xn = rmsnorm(x[t], an, eps);
      q[t] = mul(wq, xn), k[t] = mul(wk, xn), v[t] = mul(wv, xn);
      if (R.has(p + "attn_q.bias")) {
        const Vec bq = R.vec(p + "attn_q.bias"), bk = R.vec(p + "attn_k.bias"), bv = R.vec(p + "attn_v.bias");
        for (size_t i = 0; i < q[t].size(); ++i) q[t][i] += bq[i];
        for (size_t i = 0; i < k[t].size(); ++i) k[t][i] += bk[i], v[t][i] += bv[i];
      }
      for (int h = 0; h < n_head; ++h) rope_head(&q[t][size_t(h * hd)], int(t), rp);
      for (int h = 0; h < n_kv; ++h) rope_head(&k[t][size_t(h * hd)], int(t), rp);
    }
    for (size_t t = 0; t < n; ++t) {
      Vec att(size_t(n_head * hd), 0.0);
      for (int h = 0; h < n_head; ++h) {
        const int kh = h / (n_head / n_kv);
        Vec s(t + 1);
        for (size_t j = 0; j <= t; ++j) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[t][size_t(h * hd + i)] * k[j][size_t(kh * hd + i)];
          s[j] = d / std::sqrt(double(hd));
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double z = 0;
        for (double& e : s) e = std::exp(e - mx), z += e;
        for (size_t j = 0; j <= t; ++j)
          for (int i = 0; i < hd; ++i) att[size_t(h * hd + i)] += s[j] / z * v[j][size_t(kh * hd + i)];
      }
      const Vec o = mul(wo, att);
      for (int i = 0; i < n_embd; ++i) x[t][size_t(i)] += o[size_t(i)];
      const Vec xn = rmsnorm(x[t], fn, eps);
      const Vec y = n_exp_used ? moe(F, xn, n_exp_used) : swiglu(F.g, F.u, F.d, xn);
      for (int i = 0; i < n_embd; ++i) x[t][size_t(i)] += y[size_t(i)];
    }
  }
  const Vec on = R.vec("output_norm.weight");
  std::vector<Vec> logits(n);
  for (size_t t = 0; t < n; ++t) logits[t] = mul(out_w, rmsnorm(x[t], on, eps));
  return logits;
}

}  // namespace ys::test
