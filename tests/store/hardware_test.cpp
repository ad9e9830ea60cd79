// Hardware fingerprint: parsers on fixed inputs, canonical JSON, and the live machine.
#include "common/hash.h"
#include "runner/hardware.h"
#include "runner/store/store.h"
#include "tests/store/store_helpers.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace ys::runner;

TEST_CASE("cpuinfo gives the model name and processor count and ISA flags") {
  const std::string text =
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
      "flags\t\t: fpu sse avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile amx_int8\n\n"
      "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu\n";
  HardwareFingerprint hw;
  parse_cpuinfo(text, hw);
  CHECK(hw.cpu_model == "Intel(R) Xeon(R) Platinum 8480+");
  CHECK(hw.logical_cores == 2);
  CHECK(hw.isa.avx2);
  CHECK(hw.isa.avx512f);
  CHECK(hw.isa.avx512bw);
  CHECK(hw.isa.avx512vl);
  CHECK(hw.isa.avx512_vnni);
  CHECK(hw.isa.avx512_bf16);
  CHECK(hw.isa.amx_tile);
  CHECK(hw.isa.amx_int8);
  CHECK_FALSE(hw.isa.amx_bf16);
  CHECK_FALSE(hw.isa.avx_vnni);

  HardwareFingerprint old;
  parse_cpuinfo("processor : 0\nmodel name : Old CPU\nflags : fpu sse2 avx\n", old);
  CHECK_FALSE(old.isa.avx2);
  CHECK_FALSE(old.isa.avx512f);
}

TEST_CASE("meminfo and nvidia-smi parsing") {
  CHECK(parse_meminfo_total("MemFree: 5 kB\nMemTotal:       65843200 kB\n") == int64_t{65843200} * 1024);
  CHECK(parse_meminfo_total("nothing here\n") == 0);
  auto gpus = parse_nvidia_smi("NVIDIA H100 80GB HBM3, 81559 MiB, 550.54.15\nNVIDIA A10, 23028 MiB, 535.1\n\n");
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(gpus[0].memory_bytes == int64_t{81559} * 1024 * 1024);
  CHECK(gpus[0].driver == "550.54.15");
  CHECK(gpus[1].name == "NVIDIA A10");
  CHECK(parse_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate with the driver\n").empty());
}

TEST_CASE("canonical JSON is stable and sorted and hashes to the id") {
  HardwareFingerprint hw;
  hw.cpu_model = "Test CPU";
  hw.logical_cores = 8;
  hw.memory_bytes = 1 << 30;
  hw.isa.avx2 = true;
  hw.gpus.push_back({"GPU \"X\"", 1024, "1.0"});
  std::string j = canonical_json(hw);
  CHECK(j == canonical_json(hw));
  CHECK(j.find(' ') == j.find("\"Test CPU\"") + 5);  // the only space is inside the CPU name
  CHECK(j.find("\"arch\"") < j.find("\"cpu_model\""));
  CHECK(j.find("\"cpu_model\"") < j.find("\"gpus\""));
  auto parsed = nlohmann::json::parse(j);
  CHECK(parsed["gpus"][0]["name"] == "GPU \"X\"");
  CHECK(parsed["isa"]["avx2"] == true);
  CHECK(hardware_id(hw) == ys::sha256_hex(j));
  HardwareFingerprint other = hw;
  other.logical_cores = 16;
  CHECK(hardware_id(other) != hardware_id(hw));
  auto rec = to_record(hw);
  CHECK(rec.id == hardware_id(hw));
  CHECK(nlohmann::json::parse(rec.gpu_json).size() == 1);
}

TEST_CASE("the live machine is detected and stored once") {
  HardwareFingerprint hw = detect_hardware();
  CHECK(hw.logical_cores == sysconf(_SC_NPROCESSORS_ONLN));
  CHECK(hw.memory_bytes > (int64_t{64} << 20));
  CHECK(hw.os == "Linux");
  CHECK_FALSE(hw.kernel.empty());
#if defined(__x86_64__)
  CHECK_FALSE(hw.cpu_model.empty());
  __builtin_cpu_init();
  CHECK(hw.isa.avx2 == static_cast<bool>(__builtin_cpu_supports("avx2")));
  CHECK(hw.isa.avx512f == static_cast<bool>(__builtin_cpu_supports("avx512f")));
#endif
  CHECK(hardware_id(detect_hardware()) == hardware_id(hw));
  WARN("hardware: " << describe(hw));

  ys_test::TempDir dir("store-hwlive");
  auto st = ys::store::Store::open(dir.path / "r.db");
  std::string id = st.upsert_hardware(to_record(hw));
  CHECK(st.upsert_hardware(to_record(detect_hardware())) == id);
  auto got = st.get_hardware(id);
  REQUIRE(got);
  CHECK(got->cpu_model == hw.cpu_model);
  CHECK(got->fingerprint_json == canonical_json(hw));
}
