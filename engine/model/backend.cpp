#include "engine/model/backend.h"

#include "common/error.h"

#include <cmath>

namespace ys::engine {

const char* kv_type_name(KvType t) { return t == KvType::f16 ? "f16" : "f32"; }

KvType parse_kv_type(const std::string& name, const std::string& flag) {
  if (name == "f32") return KvType::f32;
  if (name == "f16") return KvType::f16;
  fail(ErrorKind::invalid_input, "{}: expected f32 or f16, got '{}'", flag, name);
}

RowSummary row_summary(const float* logits, int64_t n, bool with_sum) {
  RowSummary s;
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  s.argmax = int32_t(best);
  s.max = logits[best];
  if (!with_sum) return s;
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(logits[i]) - s.max);
  s.log_sum = std::log(sum);
  return s;
}

void Backend::scale(Act, float) { fail(ErrorKind::unsupported, "{}: the backend has no 'scale' operation", device()); }
void Backend::geglu(Act, Act, Act) { fail(ErrorKind::unsupported, "{}: the backend has no 'geglu' operation", device()); }
void Backend::softcap(Act, float) {
  fail(ErrorKind::unsupported, "{}: the backend has no 'softcap' operation", device());
}
void Backend::scale_by_position(Act, const PosScale&) {
  fail(ErrorKind::unsupported, "{}: the backend has no 'scale_by_position' operation", device());
}

RowAnswer row_stats(const float* logits, int64_t n, int32_t target) {
  const RowSummary s = row_summary(logits, n, target >= 0);
  return {target >= 0 ? log_softmax_at(logits, s, target) : 0.0, s.argmax};
}

}  // namespace ys::engine
