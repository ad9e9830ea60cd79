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
  bool present(const std::string& key) const { return f.find(arch + "." + key) != nullptr; }
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

// RMSNorm of x[off, off + n) in place; w empty = no weights.
void rmsnorm_at(Vec& x, size_t off, size_t n, const Vec& w, double eps) {
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += x[off + i] * x[off + i];
  const double s = 1.0 / std::sqrt(ss / double(n) + eps);
  for (size_t i = 0; i < n; ++i) x[off + i] = x[off + i] * s * (w.empty() ? 1.0 : w[i]);
}
Vec rmsnorm(Vec x, const Vec& w, double eps) {
  rmsnorm_at(x, 0, x.size(), w, eps);
  return x;
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
double gelu_tanh(double g) { return 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g))); }

// Gated FFN of expert e (e = 0 for a dense FFN); stacked experts are consecutive row blocks.
Vec glu(const Mat& g, const Mat& u, const Mat& d, const Vec& x, int64_t e, bool gelu) {
  const int64_t n_ff = d.cols;
  const Vec gv = mul(g, x, e * n_ff, n_ff), uv = mul(u, x, e * n_ff, n_ff);
  Vec h(static_cast<size_t>(n_ff));
  for (int64_t i = 0; i < n_ff; ++i) h[size_t(i)] = (gelu ? gelu_tanh(gv[size_t(i)]) : silu(gv[size_t(i)])) * uv[size_t(i)];
  const int64_t n_embd = int64_t(x.size());
  return mul(d, h, e * n_embd, n_embd);
}

struct Ffn {
  bool moe = false, gelu = false;
  Mat router, g, u, d;     // dense, or stacked experts
  Mat sg, su, sd;          // Llama 4's shared expert
};

// The rules of each architecture, written from its definition (llama.cpp's graph), not from
// the engine.
struct Arch {
  std::string name;
  int n_layer = 0, n_head = 0, n_kv = 0, n_embd = 0, hd = 0, k_used = 0;
  double eps = 1e-5;
  Rope rope, rope_local;
  // gemma3: sliding window; llama4: chunked attention, NoPE layers, temperature
  int64_t window = 0, chunk = 0;
  int pattern = 0, nope_step = 0, moe_step = 1;
  double attn_scale = 0, final_softcap = 0;
  bool kq_l2 = false, norm_topk = true;

  bool sliding(int il) const { return pattern > 0 && il % pattern < pattern - 1; }
  bool use_rope(int il) const { return nope_step == 0 || (il + 1) % nope_step != 0; }
  bool moe_layer(int il, bool has_experts) const {
    return has_experts && (name != "llama4" || (il + 1) % moe_step == 0);
  }
  int64_t first_key(int il, int64_t p) const {
    if (window > 0 && sliding(il)) return std::max<int64_t>(0, p - window + 1);
    if (chunk > 0 && sliding(il)) return p - p % chunk;
    return 0;
  }
};

Arch read_arch(const Ref& R) {
  Arch a;
  a.name = R.arch;
  a.n_layer = R.integer("block_count", 0), a.n_head = R.integer("attention.head_count", 0);
  a.n_kv = R.integer("attention.head_count_kv", a.n_head), a.n_embd = R.integer("embedding_length", 0);
  a.hd = R.integer("attention.key_length", a.n_embd / a.n_head);
  a.k_used = R.integer("expert_used_count", 0);
  a.eps = R.num("attention.layer_norm_rms_epsilon", 1e-5);
  Rope& rp = a.rope;
  rp.n_rot = R.integer("rope.dimension_count", a.hd);
  rp.neox = a.name == "qwen2" || a.name == "qwen3" || a.name == "qwen3moe" || a.name == "gemma3";
  rp.base = R.num("rope.freq_base", 10000);
  const std::string st = R.f.get_string(R.arch + ".rope.scaling.type", "none");
  if (st == "linear" || st == "yarn") rp.scale = 1.0 / R.num("rope.scaling.factor", 1);
  if (st == "yarn") rp.ext = 1, rp.orig = R.integer("rope.scaling.original_context_length", 0);
  if (R.has("rope_freqs.weight")) rp.factors = R.vec("rope_freqs.weight");
  a.rope_local = rp;
  a.attn_scale = 1.0 / std::sqrt(double(a.hd));
  if (a.name == "gemma3") {
    a.window = R.integer("attention.sliding_window", 0);
    a.pattern = a.window > 0 ? R.integer("attention.sliding_window_pattern", 6) : 0;
    a.rope_local.base = R.num("rope.freq_base_swa", 10000), a.rope_local.scale = 1, a.rope_local.ext = 0;
    a.final_softcap = R.num("final_logit_softcapping", 0);
    a.attn_scale = R.num("attention.scale", a.attn_scale);
  } else if (a.name == "llama4") {
    a.moe_step = R.integer("interleave_moe_layer_step", 1);
    const int64_t sw = R.present("attention.sliding_window") ? R.integer("attention.sliding_window", 0) : 8192;
    if (sw > 0) a.chunk = sw, a.pattern = R.integer("attention.sliding_window_pattern", 4), a.nope_step = 4;
    if (sw == 0) a.nope_step = a.n_layer;  // llama.cpp: no chunks, only the last layer without rope
    a.rope_local.base = R.num("rope.freq_base_swa", rp.base);
    a.kq_l2 = R.integer("expert_count", 0) != 128;
  } else if (a.name == "qwen3moe") {
    a.norm_topk = R.f.get_bool(R.arch + ".expert_weights_norm", true);
  }
  return a;
}

Ffn load_ffn(const Ref& R, const Arch& A, int il) {
  const std::string p = "blk." + std::to_string(il) + ".";
  Ffn F;
  F.gelu = A.name == "gemma3";
  F.moe = A.moe_layer(il, A.k_used > 0);
  if (!F.moe) {
    F.g = R.load(p + "ffn_gate.weight"), F.u = R.load(p + "ffn_up.weight"), F.d = R.load(p + "ffn_down.weight");
    return F;
  }
  F.router = R.load(p + "ffn_gate_inp.weight");
  F.g = R.load(p + "ffn_gate_exps.weight"), F.u = R.load(p + "ffn_up_exps.weight");
  F.d = R.load(p + "ffn_down_exps.weight");
  if (R.has(p + "ffn_gate_shexp.weight"))
    F.sg = R.load(p + "ffn_gate_shexp.weight"), F.su = R.load(p + "ffn_up_shexp.weight"),
    F.sd = R.load(p + "ffn_down_shexp.weight");
  return F;
}

// MoE: the top k experts by router logit (ties to the lower id). Gate weights: softmax over
// ALL logits of the selected, renormalised over them (Mixtral / norm_topk_prob; not
// renormalised for qwen3moe without expert_weights_norm), or the sigmoid of the logit for
// Llama 4, whose expert gets the weighted input instead of a weighted output.
Vec moe(const Ffn& F, const Arch& A, const Vec& x) {
  const Vec logit = mul(F.router, x);
  const double mx = *std::max_element(logit.begin(), logit.end());
  Vec prob(logit.size());
  double all = 0;
  for (size_t i = 0; i < logit.size(); ++i) all += prob[i] = std::exp(logit[i] - mx);
  std::vector<int> ids(logit.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logit[size_t(a)] > logit[size_t(b)]; });
  double total = 0;
  for (int j = 0; j < A.k_used; ++j) total += prob[size_t(ids[size_t(j)])];
  if (!A.norm_topk) total = all;
  Vec out(x.size(), 0.0);
  for (int j = 0; j < A.k_used; ++j) {
    const int e = ids[size_t(j)];
    if (A.name == "llama4") {
      const double w = 1 / (1 + std::exp(-logit[size_t(e)]));
      Vec xw = x;
      for (double& v : xw) v *= w;
      const Vec y = glu(F.g, F.u, F.d, xw, e, false);
      for (size_t i = 0; i < out.size(); ++i) out[i] += y[i];
      continue;
    }
    const Vec y = glu(F.g, F.u, F.d, x, e, F.gelu);
    for (size_t i = 0; i < out.size(); ++i) out[i] += prob[size_t(e)] / total * y[i];
  }
  if (F.sg.rows > 0) {
    const Vec y = glu(F.sg, F.su, F.sd, x, 0, false);
    for (size_t i = 0; i < out.size(); ++i) out[i] += y[i];
  }
  return out;
}

// q, k, v of every position in layer il, with biases, QK norms, rope and temperature.
void qkv(const Ref& R, const Arch& A, int il, const std::vector<Vec>& x, std::vector<Vec>& q, std::vector<Vec>& k,
         std::vector<Vec>& v) {
  const std::string p = "blk." + std::to_string(il) + ".";
  const Mat wq = R.load(p + "attn_q.weight"), wk = R.load(p + "attn_k.weight"), wv = R.load(p + "attn_v.weight");
  const Vec an = R.vec(p + "attn_norm.weight");
  const bool bias = R.has(p + "attn_q.bias"), qk_norm = R.has(p + "attn_q_norm.weight");
  const Vec bq = bias ? R.vec(p + "attn_q.bias") : Vec(), bk = bias ? R.vec(p + "attn_k.bias") : Vec(),
            bv = bias ? R.vec(p + "attn_v.bias") : Vec();
  const Vec qn = qk_norm ? R.vec(p + "attn_q_norm.weight") : Vec(), kn = qk_norm ? R.vec(p + "attn_k_norm.weight") : Vec();
  const Rope& rp = (A.name == "gemma3" || A.name == "llama4") && A.sliding(il) ? A.rope_local : A.rope;
  const size_t hd = size_t(A.hd);
  for (size_t t = 0; t < x.size(); ++t) {
    const Vec xn = rmsnorm(x[t], an, A.eps);
    q[t] = mul(wq, xn), k[t] = mul(wk, xn), v[t] = mul(wv, xn);
    if (bias) {
      for (size_t i = 0; i < q[t].size(); ++i) q[t][i] += bq[i];
      for (size_t i = 0; i < k[t].size(); ++i) k[t][i] += bk[i], v[t][i] += bv[i];
    }
    if (qk_norm) {
      for (int h = 0; h < A.n_head; ++h) rmsnorm_at(q[t], size_t(h) * hd, hd, qn, A.eps);
      for (int h = 0; h < A.n_kv; ++h) rmsnorm_at(k[t], size_t(h) * hd, hd, kn, A.eps);
    }
    if (A.use_rope(il)) {
      for (int h = 0; h < A.n_head; ++h) rope_head(&q[t][size_t(h) * hd], int(t), rp);
      for (int h = 0; h < A.n_kv; ++h) rope_head(&k[t][size_t(h) * hd], int(t), rp);
      if (A.kq_l2) {
        for (int h = 0; h < A.n_head; ++h) rmsnorm_at(q[t], size_t(h) * hd, hd, {}, A.eps);
        for (int h = 0; h < A.n_kv; ++h) rmsnorm_at(k[t], size_t(h) * hd, hd, {}, A.eps);
      }
    } else if (A.chunk > 0) {  // Llama 4's attention temperature on NoPE layers
      const double s = std::log(std::floor((double(t) + 1.0) / 8192.0) + 1.0) * 0.1 + 1.0;
      for (double& e : q[t]) e *= s;
    }
  }
}

}  // namespace

std::vector<std::vector<double>> reference_logits(const std::filesystem::path& path,
                                                  const std::vector<int32_t>& tokens) {
  const gguf::File f = gguf::File::open(path);
  Ref R{f, f.get_string("general.architecture", "")};
  const Arch A = read_arch(R);
  const int hd = A.hd, n_embd = A.n_embd;
  const Mat emb = R.load("token_embd.weight");
  const Mat out_w = R.has("output.weight") ? R.load("output.weight") : emb;
  const size_t n = tokens.size();
  std::vector<Vec> x(n);
  const double emb_scale = A.name == "gemma3" ? std::sqrt(double(n_embd)) : 1.0;
  for (size_t t = 0; t < n; ++t) {
    x[t].assign(emb.row(tokens[t]), emb.row(tokens[t]) + n_embd);
    for (double& e : x[t]) e *= emb_scale;
  }
  for (int il = 0; il < A.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    const Mat wo = R.load(p + "attn_output.weight");
    const Vec fn = R.vec(p + "ffn_norm.weight");
    const bool post = R.has(p + "post_attention_norm.weight");
    const Vec pan = post ? R.vec(p + "post_attention_norm.weight") : Vec(),
              pfn = post ? R.vec(p + "post_ffw_norm.weight") : Vec();
    const Ffn F = load_ffn(R, A, il);
    std::vector<Vec> q(n), k(n), v(n);
    qkv(R, A, il, x, q, k, v);
    for (size_t t = 0; t < n; ++t) {
      Vec att(size_t(A.n_head * hd), 0.0);
      const size_t j0 = size_t(A.first_key(il, int64_t(t)));
      for (int h = 0; h < A.n_head; ++h) {
        const int kh = h / (A.n_head / A.n_kv);
        Vec s(t + 1 - j0);
        for (size_t j = j0; j <= t; ++j) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[t][size_t(h * hd + i)] * k[j][size_t(kh * hd + i)];
          s[j - j0] = d * A.attn_scale;
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double z = 0;
        for (double& e : s) e = std::exp(e - mx), z += e;
        for (size_t j = j0; j <= t; ++j)
          for (int i = 0; i < hd; ++i) att[size_t(h * hd + i)] += s[j - j0] / z * v[j][size_t(kh * hd + i)];
      }
      Vec o = mul(wo, att);
      if (post) o = rmsnorm(o, pan, A.eps);
      for (int i = 0; i < n_embd; ++i) x[t][size_t(i)] += o[size_t(i)];
      const Vec xn = rmsnorm(x[t], fn, A.eps);
      Vec y = F.moe ? moe(F, A, xn) : glu(F.g, F.u, F.d, xn, 0, F.gelu);
      if (post) y = rmsnorm(y, pfn, A.eps);
      for (int i = 0; i < n_embd; ++i) x[t][size_t(i)] += y[size_t(i)];
    }
  }
  const Vec on = R.vec("output_norm.weight");
  std::vector<Vec> logits(n);
  for (size_t t = 0; t < n; ++t) {
    logits[t] = mul(out_w, rmsnorm(x[t], on, A.eps));
    if (A.final_softcap > 0)
      for (double& l : logits[t]) l = A.final_softcap * std::tanh(l / A.final_softcap);
  }
  return logits;
}

}  // namespace ys::test
