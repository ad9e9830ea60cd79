// The hardware fingerprint stored with every run: CPU model and ISA extensions, logical
// cores, memory, OS/kernel, and GPUs (from nvidia-smi when it is installed). Its canonical
// JSON (sorted keys, no whitespace) hashed with SHA-256 is the hardware id, so one
// machine is stored once however many runs it makes.
#pragma once

#include "runner/store/records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ys::runner {

struct GpuInfo {
  std::string name;          // "NVIDIA H100 80GB HBM3"
  int64_t memory_bytes = 0;  // from memory.total
  std::string driver;        // "550.54.15"
};

struct CpuIsa {
  bool avx2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_vnni = false;
  bool avx_vnni = false;
  bool avx512_bf16 = false;
  bool amx_tile = false;
  bool amx_int8 = false;
  bool amx_bf16 = false;
};

struct HardwareFingerprint {
  std::string cpu_model;
  CpuIsa isa;
  int64_t logical_cores = 0;
  int64_t memory_bytes = 0;
  std::string os;      // "Linux"
  std::string kernel;  // uname release, e.g. "6.1.0-18-amd64"
  std::string arch;    // uname machine, e.g. "x86_64"
  std::vector<GpuInfo> gpus;
};

// Reads /proc/cpuinfo, /proc/meminfo, uname and nvidia-smi (when on PATH).
HardwareFingerprint detect_hardware();

// Sorted keys, no whitespace: the same machine always gives the same bytes.
std::string canonical_json(const HardwareFingerprint& hw);
// sha256 of canonical_json.
std::string hardware_id(const HardwareFingerprint& hw);
// The row for Store::upsert_hardware.
store::HardwareRecord to_record(const HardwareFingerprint& hw);
// One line for humans: "Intel Xeon ... (16 threads, 62.8 GiB, AVX-512 VNNI BF16), 1x NVIDIA H100 (79.6 GiB)".
std::string describe(const HardwareFingerprint& hw);

// Parsers, exposed for tests. Unknown or missing fields stay empty/zero.
void parse_cpuinfo(const std::string& text, HardwareFingerprint& hw);  // model name, flags, processors
int64_t parse_meminfo_total(const std::string& text);                   // MemTotal in bytes, 0 if absent
// Lines of `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader`.
std::vector<GpuInfo> parse_nvidia_smi(const std::string& text);

}  // namespace ys::runner
