// Error types shared by every layer (STYLE.md §11).
//
// Rules: throw ys::Error for anything a user can cause (bad file, bad flag, missing
// data, unsupported model); the message names the file/key/flag and says what was
// expected versus what was found. Expected outcomes (a test that fails, a sample that
// times out) are values, not exceptions. Programmer errors use assert.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace ys {

enum class ErrorKind {
  io,            // cannot open/read/write a file or database
  format,        // a file's content is malformed (GGUF, CSV, JSONL, config)
  invalid_input, // a flag, argument or value is out of range
  unsupported,   // well-formed but not supported (tensor type, architecture)
  internal,      // a bug: an invariant did not hold
};

const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
  throw Error(kind, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ys
