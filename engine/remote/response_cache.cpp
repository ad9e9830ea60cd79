#include "engine/remote/response_cache.h"

#include "common/hash.h"

namespace ys::engine::remote {

std::string CacheKey::digest() const {
  std::string all;
  for (const std::string* s : {&endpoint, &model, &request_json, &protocol}) {
    all += std::to_string(s->size());
    all += ':';
    all += *s;
  }
  return sha256_hex(all);
}

}  // namespace ys::engine::remote
