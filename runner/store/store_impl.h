// Private: the state behind ys::store::Store, shared by store.cpp and store_results.cpp.
#pragma once

#include "runner/store/sqlite.h"
#include "runner/store/store.h"

namespace ys::store {

struct Store::Impl {
  Db db;
};

}  // namespace ys::store
