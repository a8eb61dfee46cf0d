#include "dfd_test.hpp"

#include <cstring>
#include <fstream>

#include "dfd/error.hpp"
#include "dfd/safetensors.hpp"

using dfd::test::temp_dir;

namespace {

std::string write_raw(const std::string& name, const std::string& header_json, const std::string& data) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = header_json.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header_json << data;
  return path;
}

template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const dfd::ModelError& e) {
    return e.what();
  }
  return "(no ModelError)";
}

}  // namespace

TEST_CASE("safetensors round trip" * doctest::test_suite("unit")) {
  const std::string path = temp_dir() + "/round_trip.safetensors";
  std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  dfd::TensorData t;
  t.dtype = dfd::Dtype::F32;
  t.shape = {2, 3};
  t.bytes.resize(values.size() * 4);
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  dfd::TensorData scalar{dfd::Dtype::I64, {}, std::vector<uint8_t>(8, 0)};
  scalar.bytes[0] = 42;
  dfd::save_safetensors(path, {{"weights/a", t}, {"count", scalar}}, {{"source", "test"}});

  const dfd::SafetensorsFile file(path);
  CHECK(file.names().size() == 2);
  CHECK(file.tensor("weights/a").shape == std::vector<int64_t>{2, 3});
  CHECK(file.values<float>("weights/a") == values);
  CHECK(file.values<double>("weights/a")[2] == 3.25);
  CHECK(file.values<int64_t>("count") == std::vector<int64_t>{42});
  CHECK(file.tensor("count").numel() == 1);
  CHECK(file.metadata("source") == "test");
  CHECK_THROWS_AS(file.values<int64_t>("weights/a"), dfd::ModelError);
}

TEST_CASE("safetensors rejects damaged files with the tensor's name" * doctest::test_suite("unit")) {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(error_message([&] { dfd::SafetensorsFile f(write_raw("trunc.st", ok, "1234")); }).find("'w'") != std::string::npos);
  CHECK(error_message([&] { dfd::SafetensorsFile f(write_raw("short.st", "", "")); }).find("no header") == std::string::npos);
  const std::string bad_dtype = R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})";
  CHECK(error_message([&] { dfd::SafetensorsFile f(write_raw("dtype.st", bad_dtype, "12345678")); })
            .find("unsupported dtype") != std::string::npos);
  const std::string bad_shape = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
  CHECK(error_message([&] { dfd::SafetensorsFile f(write_raw("shape.st", bad_shape, "12345678")); })
            .find("tensor 'w': 8 bytes stored") != std::string::npos);
  CHECK(error_message([&] { dfd::SafetensorsFile f(write_raw("json.st", "{not json", "")); })
            .find("not valid JSON") != std::string::npos);
  // The header length claims more bytes than the file has.
  const std::string path = temp_dir() + "/tiny.st";
  std::ofstream(path, std::ios::binary) << std::string("\xff\x00\x00\x00\x00\x00\x00\x00", 8);
  CHECK(error_message([&] { dfd::SafetensorsFile f(path); }).find("truncated") != std::string::npos);
  CHECK_THROWS_AS(dfd::SafetensorsFile(temp_dir() + "/missing.st"), dfd::IoError);
}

TEST_CASE("safetensors reads the reference goldens") {
  const dfd::SafetensorsFile file(dfd::test::shared_path("golden/g6_models/formula_inputs.safetensors"));
  CHECK(file.tensor("input_flat_433200").numel() == 433200);
  CHECK(file.tensor("check/bn1.num_batches_tracked").shape.empty());
  CHECK(file.contains("check/é/ünicode.weight"));
  CHECK(file.metadata().count("group") == 1);
}
