#include "runner/hardware.h"

#include "common/hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace ys::runner {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string read_text(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "key\t: value" -> (key, value); false when the line has no colon.
bool split_kv(const std::string& line, std::string& key, std::string& value) {
  size_t colon = line.find(':');
  if (colon == std::string::npos) return false;
  key = trim(line.substr(0, colon));
  value = trim(line.substr(colon + 1));
  return true;
}

bool on_path(const std::string& exe) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && access((dir + "/" + exe).c_str(), X_OK) == 0) return true;
  return false;
}

std::string run_command(const char* cmd) {
  std::string out;
  FILE* p = popen(cmd, "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0 && out.size() < (1u << 20)) out.append(buf.data(), n);
  int rc = pclose(p);
  return rc == 0 ? out : std::string();
}

// "81559 MiB" -> bytes.
int64_t parse_mib(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v < 0) return 0;
  std::string unit = trim(end);
  double mult = unit == "GiB" ? 1024.0 * 1024 * 1024 : unit == "KiB" ? 1024.0 : 1024.0 * 1024;
  return static_cast<int64_t>(v * mult);
}

}  // namespace

void parse_cpuinfo(const std::string& text, HardwareFingerprint& hw) {
  std::stringstream ss(text);
  std::string line, key, value;
  std::set<std::string> flags;
  int64_t processors = 0;
  bool have_flags = false;
  while (std::getline(ss, line)) {
    if (!split_kv(line, key, value)) continue;
    if (key == "processor") processors++;
    if (key == "model name" && hw.cpu_model.empty()) hw.cpu_model = value;
    if (key == "flags" && !have_flags) {
      have_flags = true;
      std::stringstream fs(value);
      std::string f;
      while (fs >> f) flags.insert(f);
    }
  }
  auto has = [&](const char* f) { return flags.count(f) > 0; };
  hw.isa = {has("avx2"),        has("avx512f"),     has("avx512bw"), has("avx512vl"), has("avx512_vnni"),
            has("avx_vnni"),    has("avx512_bf16"), has("amx_tile"), has("amx_int8"), has("amx_bf16")};
  if (processors > 0) hw.logical_cores = processors;
}

int64_t parse_meminfo_total(const std::string& text) {
  std::stringstream ss(text);
  std::string line, key, value;
  while (std::getline(ss, line)) {
    if (!split_kv(line, key, value) || key != "MemTotal") continue;
    long long kb = std::strtoll(value.c_str(), nullptr, 10);
    return kb > 0 ? static_cast<int64_t>(kb) * 1024 : 0;
  }
  return 0;
}

std::vector<GpuInfo> parse_nvidia_smi(const std::string& text) {
  std::vector<GpuInfo> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    line = trim(line);
    if (line.empty()) continue;
    size_t c1 = line.find(',');
    size_t c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string::npos) continue;  // not the expected three columns
    out.push_back({trim(line.substr(0, c1)), parse_mib(trim(line.substr(c1 + 1, c2 - c1 - 1))),
                   trim(line.substr(c2 + 1))});
  }
  return out;
}

HardwareFingerprint detect_hardware() {
  HardwareFingerprint hw;
  parse_cpuinfo(read_text("/proc/cpuinfo"), hw);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) hw.logical_cores = n;
  hw.memory_bytes = parse_meminfo_total(read_text("/proc/meminfo"));
  if (hw.memory_bytes == 0) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) hw.memory_bytes = static_cast<int64_t>(pages) * page;
  }
#if defined(__x86_64__) || defined(__i386__)
  if (hw.cpu_model.empty()) {  // no /proc/cpuinfo: ask the CPU itself
    __builtin_cpu_init();
    hw.isa.avx2 = __builtin_cpu_supports("avx2");
    hw.isa.avx512f = __builtin_cpu_supports("avx512f");
    hw.isa.avx512bw = __builtin_cpu_supports("avx512bw");
    hw.isa.avx512vl = __builtin_cpu_supports("avx512vl");
    hw.isa.avx512_vnni = __builtin_cpu_supports("avx512vnni");
  }
#endif
  struct utsname u {};
  if (uname(&u) == 0) {
    hw.os = u.sysname;
    hw.kernel = u.release;
    hw.arch = u.machine;
  }
  if (on_path("nvidia-smi"))
    hw.gpus = parse_nvidia_smi(
        run_command("nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null"));
  return hw;
}

std::string canonical_json(const HardwareFingerprint& hw) {
  nlohmann::json isa = {{"avx2", hw.isa.avx2},           {"avx512f", hw.isa.avx512f},
                        {"avx512bw", hw.isa.avx512bw},   {"avx512vl", hw.isa.avx512vl},
                        {"avx512_vnni", hw.isa.avx512_vnni}, {"avx_vnni", hw.isa.avx_vnni},
                        {"avx512_bf16", hw.isa.avx512_bf16}, {"amx_tile", hw.isa.amx_tile},
                        {"amx_int8", hw.isa.amx_int8},   {"amx_bf16", hw.isa.amx_bf16}};
  nlohmann::json gpus = nlohmann::json::array();
  for (const GpuInfo& g : hw.gpus) gpus.push_back({{"name", g.name}, {"memory_bytes", g.memory_bytes}, {"driver", g.driver}});
  nlohmann::json j = {{"cpu_model", hw.cpu_model}, {"isa", isa},           {"logical_cores", hw.logical_cores},
                      {"memory_bytes", hw.memory_bytes}, {"os", hw.os}, {"kernel", hw.kernel},
                      {"arch", hw.arch},           {"gpus", gpus}};
  return j.dump();  // nlohmann::json objects keep keys sorted
}

std::string hardware_id(const HardwareFingerprint& hw) { return sha256_hex(canonical_json(hw)); }

store::HardwareRecord to_record(const HardwareFingerprint& hw) {
  store::HardwareRecord r;
  r.fingerprint_json = canonical_json(hw);
  r.id = sha256_hex(r.fingerprint_json);
  r.cpu_model = hw.cpu_model;
  r.cores = hw.logical_cores;
  r.memory_bytes = hw.memory_bytes;
  r.gpu_json = nlohmann::json::parse(r.fingerprint_json)["gpus"].dump();
  return r;
}

std::string describe(const HardwareFingerprint& hw) {
  std::string isa = hw.isa.avx512f ? "AVX-512" : hw.isa.avx2 ? "AVX2" : "no AVX2";
  if (hw.isa.avx512_vnni || hw.isa.avx_vnni) isa += " VNNI";
  if (hw.isa.avx512_bf16) isa += " BF16";
  if (hw.isa.amx_tile) isa += " AMX";
  std::string s = fmt::format("{} ({} threads, {:.1f} GiB, {})", hw.cpu_model.empty() ? "unknown CPU" : hw.cpu_model,
                              hw.logical_cores, static_cast<double>(hw.memory_bytes) / (1u << 30), isa);
  for (const GpuInfo& g : hw.gpus)
    s += fmt::format(", {} ({:.1f} GiB, driver {})", g.name, static_cast<double>(g.memory_bytes) / (1u << 30), g.driver);
  return s;
}

}  // namespace ys::runner
