// The 8 fixed chain-of-thought exemplars of lm-eval's gsm8k_cot (Wei et al. 2022,
// Table 20; lm_eval/tasks/gsm8k/gsm8k-cot.yaml fewshot_config.samples), as data.
#pragma once

#include <string>
#include <vector>

namespace ys::suites {

struct CotExemplar {
  std::string question;
  std::string target;  // ends "The answer is N."
};

const std::vector<CotExemplar>& gsm8k_cot_exemplars();

}  // namespace ys::suites
