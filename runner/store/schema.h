// The result database schema as an ordered list of migrations. Migration i (0-based)
// moves the schema from version i to i+1; schema_version holds the current version.
// Never edit a released migration: append a new one.
#pragma once

#include "runner/store/sqlite.h"

#include <string>
#include <vector>

namespace ys::store {

const std::vector<std::string>& migrations();

// Applies the missing migrations, each in its own IMMEDIATE transaction (safe when
// several processes open a fresh database at once). Returns the resulting version.
// A database newer than this binary is ys::Error(unsupported).
int migrate(Db& db);

// The version recorded in the database (0 for a fresh file).
int schema_version(Db& db);

}  // namespace ys::store
