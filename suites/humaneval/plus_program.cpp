#include "suites/humaneval/plus_program.h"

#include "common/error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ys::suites::humaneval {

namespace {

// A Python string literal for arbitrary (valid UTF-8) text: a JSON string literal is
// one, since nlohmann never emits the "\/" escape Python lacks.
std::string py_literal(const std::string& text) { return nlohmann::json(text).dump(); }

constexpr const char* kHarness = R"PY(
import copy as _ys_copy
import json as _ys_json
def _ys_is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False
def _ys_allclose(out, exp, atol):
    if isinstance(exp, (list, tuple)):
        return all(_ys_allclose(a, b, atol) for a, b in zip(out, exp))
    return abs(out - exp) <= atol + 1e-07 * abs(exp)
def _ys_check_plus(ref_ns, cand, entry, inputs, atol):
    ref = ref_ns[entry]
    for i, inp in enumerate(inputs):
        exp = ref(*_ys_copy.deepcopy(inp))
        out = cand(*_ys_copy.deepcopy(inp))
        if entry == "find_zero":
            assert abs(ref_ns["poly"](*inp, out)) <= atol, "plus input %d" % i
            continue
        exact = out == exp
        if atol == 0 and _ys_is_floats(exp):
            atol = 1e-6
        if not exact and atol != 0:
            assert type(out) == type(exp), "plus input %d: type" % i
            if isinstance(exp, (list, tuple)):
                assert len(out) == len(exp), "plus input %d: length" % i
            assert _ys_allclose(out, exp, atol), "plus input %d" % i
        else:
            assert exact, "plus input %d" % i
)PY";

}  // namespace

std::string build_plus_program(const datasets::HumanEvalProblem& p, const std::string& completion,
                               bool include_base, size_t max_plus) {
  if (p.plus_input_json.empty())
    fail(ErrorKind::invalid_input, "humaneval+: problem {} has no plus_input (load HumanEvalPlus.jsonl.gz)",
         p.task_id);
  // The raw JSON texts (exact big integers), joined in Python.
  std::string inputs = include_base ? "_ys_json.loads(" + py_literal(p.base_input_json) + ") + " : "";
  inputs += "_ys_json.loads(" + py_literal(p.plus_input_json) + ")";
  if (max_plus > 0) inputs += fmt::format("[:{}]", max_plus);
  std::string ref_src = p.prompt + p.canonical_solution;
  std::string prog = p.prompt + completion + "\n" + p.test + "\n" + "check(" + p.entry_point + ")\n";
  prog += kHarness;
  prog += fmt::format("_ys_ref_ns = {{}}\nexec(compile({}, '<reference>', 'exec'), _ys_ref_ns)\n", py_literal(ref_src));
  prog += fmt::format("_ys_check_plus(_ys_ref_ns, {}, {},\n    {},\n    {})\n", p.entry_point,
                      py_literal(p.entry_point), inputs, nlohmann::json(p.atol).dump());
  return prog;
}

}  // namespace ys::suites::humaneval
