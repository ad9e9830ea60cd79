// HumanEval+ (evalplus v0.1.10 data) as one self-checking program per completion.
//
// The HumanEval+ "test" field is the original check(); the extra inputs are data
// (base_input + plus_input). evalplus (evalplus/evaluate.py, eval/__init__.py) computes
// each expected output by running prompt + canonical_solution on the input, then calls
// the candidate on a deep copy and requires `out == exp`, or, when atol != 0 (atol
// becomes 1e-6 from the first float-valued expected output on), the same type, the same
// length and np.allclose(out, exp, rtol=1e-7, atol); for find_zero (HumanEval/32) it
// requires |poly(xs, out)| <= atol instead. The program built here does the same in
// one process: the reference runs in its own namespace (exec of a string literal), the
// candidate at top level; it first runs the original check(), then every extra input.
// Differences from evalplus: one wall-clock limit for the whole program instead of
// per-input limits scaled from the reference's time; pure-Python allclose (no numpy).
#pragma once

#include "datasets/humaneval.h"

#include <cstddef>
#include <string>

namespace ys::suites::humaneval {

// The program for a HumanEval+ problem (loaded with plus fields) and a completion.
// include_base: also check base_input (the original tests' inputs) besides plus_input;
// max_plus: use only the first max_plus extra inputs (0 = all; evalplus uses all).
std::string build_plus_program(const datasets::HumanEvalProblem& p, const std::string& completion,
                               bool include_base = true, size_t max_plus = 0);

}  // namespace ys::suites::humaneval
