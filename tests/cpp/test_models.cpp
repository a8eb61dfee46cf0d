#include <torch/torch.h>
#include <ATen/autocast_mode.h>

#include "dfd_test.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "dfd/classifier.hpp"
#include "dfd/models.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/trainer.hpp"
#include "formula_weights.hpp"

using dfd::test::shared_path;

namespace {

torch::Tensor golden_tensor(const dfd::SafetensorsFile& file, const std::string& name) {
  const dfd::TensorView& t = file.tensor(name);
  const auto type = t.dtype == dfd::Dtype::F64   ? torch::kFloat64
                    : t.dtype == dfd::Dtype::I64 ? torch::kInt64
                    : t.dtype == dfd::Dtype::U8  ? torch::kUInt8
                                                 : torch::kFloat32;
  return torch::from_blob(const_cast<uint8_t*>(t.data), t.shape, type).clone();
}

}  // namespace

TEST_CASE("formula weights and inputs are bit-exact with the golden's check tensors") {
  const dfd::SafetensorsFile file(shared_path("golden/g6_models/formula_inputs.safetensors"));
  int checked = 0;
  for (const std::string& name : file.names()) {
    if (name.rfind("check_f64/", 0) != 0) continue;
    const std::string tensor = name.substr(10);
    INFO(tensor);
    const torch::Tensor expected = golden_tensor(file, name);
    const torch::Tensor ours = dfd::test::formula_tensor(tensor, expected.sizes().vec());
    CHECK(torch::equal(ours.to(expected.scalar_type()), expected));
    CHECK(torch::equal(ours.to(torch::kFloat32), golden_tensor(file, "check/" + tensor).to(torch::kFloat32)));
    ++checked;
  }
  CHECK(checked >= 10);
  const torch::Tensor input = golden_tensor(file, "input_flat_433200");
  CHECK(torch::equal(dfd::test::formula_input({433200}), input));
}

TEST_CASE("g6: zoo models with formula weights give the reference logits") {
  struct Case { const char* golden; const char* arch; std::vector<int64_t> input; double tolerance; };
  const Case cases[] = {
      {"tv_resnet18", "resnet18", {1, 3, 224, 224}, 1e-4},
      {"tv_resnext50_32x4d", "resnext50_32x4d", {1, 3, 224, 224}, 1e-4},
      {"fakeavceleb_meso4", "meso4", {1, 3, 224, 224}, 1e-4},
      {"tv_efficientnet_b0", "efficientnet_b0", {1, 3, 224, 224}, 1e-4},
      {"tv_efficientnet_b7", "efficientnet_b7", {1, 3, 380, 380}, 1e-3},
      {"ffpp_xception", "xception", {1, 3, 299, 299}, 1e-3},
      {"fakeavceleb_mesoinception4", "mesoinception4", {1, 3, 224, 224}, 1e-4},
      {"timm_tf_efficientnet_b0", "tf_efficientnet_b0", {1, 3, 224, 224}, 1e-4},
      {"selimsef_tf_efficientnet_b7_ns", "tf_efficientnet_b7_dfdc", {1, 3, 380, 380}, 1e-3},
  };
  torch::NoGradGuard no_grad;
  for (const Case& c : cases) {
    INFO(c.golden);
    const dfd::SafetensorsFile golden(shared_path(std::string("golden/g6_models/") + c.golden + ".safetensors"));
    auto model = dfd::Model::create(c.arch);
    // Every name the reference's state_dict has, in its order, and nothing else.
    const auto names = nlohmann::json::parse(golden.metadata("state_dict"));
    std::vector<std::string> ours;
    for (const auto& p : model->module().named_parameters(true)) ours.push_back(p.key());
    for (const auto& b : model->module().named_buffers(true)) ours.push_back(b.key());
    CHECK(ours.size() == names.size());
    for (const auto& entry : names) {
      CHECK_MESSAGE(std::find(ours.begin(), ours.end(), entry[0].get<std::string>()) != ours.end(), entry[0]);
    }
    dfd::test::fill_with_formula(model->module());
    const torch::Tensor logits = model->forward(dfd::test::formula_input(c.input));
    const torch::Tensor expected = golden_tensor(golden, "logits");
    REQUIRE(logits.sizes() == expected.sizes());
    const double scale = std::max(1.0, expected.abs().max().item<double>());
    CHECK((logits - expected).abs().max().item<double>() / scale <= c.tolerance);
  }
}

TEST_CASE("Model: endpoints, unknown names, options" * doctest::test_suite("unit")) {
  auto model = dfd::Model::create("resnet18", {.num_outputs = 2});
  CHECK(model->info().num_outputs == 2);
  std::map<std::string, at::Tensor> features;
  torch::NoGradGuard no_grad;
  const at::Tensor logits = model->forward(torch::zeros({2, 3, 64, 64}), {"layer3", "features"}, features);
  CHECK(logits.sizes() == std::vector<int64_t>{2, 2});
  CHECK(features.at("layer3").sizes() == std::vector<int64_t>{2, 256, 4, 4});
  CHECK(features.at("features").sizes() == std::vector<int64_t>{2, 512, 2, 2});
  CHECK_THROWS_AS(model->forward(torch::zeros({1, 3, 64, 64}), {"layer9"}, features), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::Model::create("resnet9000"), dfd::InvalidArgument);
  const auto names = dfd::list_models();
  CHECK(std::find(names.begin(), names.end(), "resnext50_32x4d") != names.end());
}

// g7: FakeAVCeleb's published weights on real DFDC and MesoNet face crops, with FakeAVCeleb's
// preprocessing (x / 255, then its mean/std).
TEST_CASE("g7: FakeAVCeleb Meso4 and MesoInception4 with their published weights") {
  const dfd::SafetensorsFile inputs(shared_path("golden/g7_real_weights/inputs_fakeavceleb_224.safetensors"));
  const torch::Tensor images = golden_tensor(inputs, "images_u8").to(torch::kUInt8);
  torch::Tensor x = images.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0f;
  const torch::Tensor mean = torch::tensor({0.4489f, 0.3352f, 0.3106f}).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor({0.2380f, 0.1965f, 0.1962f}).view({1, 3, 1, 1});
  x = (x - mean) / std;
  CHECK((x.slice(0, 0, 1) - golden_tensor(inputs, "x_first1")).abs().max().item<double>() <= 1e-6);
  torch::NoGradGuard no_grad;
  for (const char* name : {"Meso4_realA_fakeC", "Meso4_realA_fakeB", "MesoInception4_realA_fakeC",
                           "MesoInception4_realA_fakeB"}) {
    INFO(name);
    const std::string arch = std::string(name).rfind("Meso4", 0) == 0 ? "meso4" : "mesoinception4";
    auto model = dfd::Model::create(arch);
    model->load_weights(dfd::test::test_model(std::string(name) + ".safetensors"));
    const dfd::SafetensorsFile golden(shared_path(std::string("golden/g7_real_weights/fakeavceleb_") + name + ".safetensors"));
    const torch::Tensor expected = golden_tensor(golden, "logits");
    const torch::Tensor logits = model->forward(x);
    const double scale = std::max(1.0, expected.abs().max().item<double>());
    CHECK((logits - expected).abs().max().item<double>() / scale <= 1e-4);
  }
}

TEST_CASE("Classifier: FakeAVCeleb MesoInception4 by spec gives the reference's softmax column 1") {
  const dfd::SafetensorsFile inputs(shared_path("golden/g7_real_weights/inputs_fakeavceleb_224.safetensors"));
  const torch::Tensor images = golden_tensor(inputs, "images_u8").to(torch::kUInt8).contiguous();
  std::vector<cv::Mat> crops;
  for (int64_t i = 0; i < images.size(0); ++i) {
    crops.push_back(cv::Mat(224, 224, CV_8UC3, images[i].data_ptr()).clone());
  }
  const std::string weights = dfd::test::test_model("MesoInception4_realA_fakeC.safetensors");
  dfd::ClassifierParams params;
  params.batch_size = 7;  // batches of uneven size
  auto classifier = dfd::Classifier::create("mesoinception4:" + weights + "@fakeavceleb_meso", params);
  CHECK(classifier->preprocess_spec().name == "fakeavceleb_meso");
  const std::vector<float> p = classifier->predict(crops);
  const dfd::SafetensorsFile golden(shared_path("golden/g7_real_weights/fakeavceleb_MesoInception4_realA_fakeC.safetensors"));
  const torch::Tensor softmax = golden_tensor(golden, "softmax");
  REQUIRE(p.size() == 20);
  for (size_t i = 0; i < p.size(); ++i) CHECK(p[i] == doctest::Approx(softmax[int64_t(i)][1].item<float>()).epsilon(1e-4));
  // The default preset of the architecture is the same; flip TTA changes scores but keeps them probabilities.
  CHECK(dfd::Classifier::create("mesoinception4:" + weights)->preprocess_spec().name == "fakeavceleb_meso");
  params.flip_tta = true;
  for (float q : dfd::Classifier::create("mesoinception4:" + weights, params)->predict(crops)) {
    CHECK(q >= 0.0f);
    CHECK(q <= 1.0f);
  }
  // Crops of another size are resized and padded per the preset.
  const cv::Mat big = dfd::resize_and_pad(crops[0], 300, dfd::PadMode::Center);
  CHECK(classifier->predict(std::vector<cv::Mat>{big}).size() == 1);
  CHECK_THROWS_AS(dfd::Classifier::create("mesoinception4"), dfd::ModelError);
  CHECK_THROWS_AS(dfd::Classifier::create("mesoinception4:" + weights + "@nope"), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::Classifier::create("meso4:" + weights), dfd::ModelError);  // wrong architecture
}

// g7: MesoNet's published Keras weights (converted from .h5) on the stored 256x256 inputs
// (x / 255); the logit's sigmoid means REAL, which the mesonet preset turns into p(fake).
TEST_CASE("g7: MesoNet Keras Meso4 and MesoInception4 with their published weights") {
  const dfd::SafetensorsFile inputs(shared_path("golden/g7_real_weights/inputs_mesonet_256.safetensors"));
  const torch::Tensor images = golden_tensor(inputs, "images_u8").to(torch::kUInt8).contiguous();
  const torch::Tensor x = images.permute({0, 3, 1, 2}).to(torch::kFloat32) * (1.0f / 255.0f);
  std::vector<cv::Mat> crops;
  for (int64_t i = 0; i < images.size(0); ++i) crops.push_back(cv::Mat(256, 256, CV_8UC3, images[i].data_ptr()).clone());
  torch::NoGradGuard no_grad;
  for (const char* name : {"Meso4_DF", "Meso4_F2F", "MesoInception_DF", "MesoInception_F2F"}) {
    INFO(name);
    const std::string arch = std::string(name).rfind("Meso4", 0) == 0 ? "meso4_keras" : "mesoinception4_keras";
    const std::string weights = dfd::test::test_model(std::string(name) + ".safetensors");
    auto model = dfd::Model::create(arch);
    model->load_weights(weights);
    const dfd::SafetensorsFile golden(shared_path(std::string("golden/g7_real_weights/mesonet_") + name + ".safetensors"));
    const torch::Tensor expected = golden_tensor(golden, "logit");
    const double scale = std::max(1.0, expected.abs().max().item<double>());
    CHECK((model->forward(x) - expected).abs().max().item<double>() / scale <= 1e-4);
    // Through the Classifier: p(fake) = 1 - the reference's prob (which means real).
    const auto p = dfd::Classifier::create(arch + ":" + weights)->predict(crops);
    const torch::Tensor prob = golden_tensor(golden, "prob");
    for (size_t i = 0; i < p.size(); ++i) CHECK(p[i] == doctest::Approx(1.0f - prob[int64_t(i)][0].item<float>()).epsilon(1e-4));
  }
}

namespace {

// The module's state as safetensors tensors, floats stored as `dtype`.
std::map<std::string, dfd::TensorData> state_as(torch::nn::Module& module, dfd::Dtype dtype, torch::ScalarType type) {
  std::map<std::string, dfd::TensorData> out;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    const bool is_float = t.is_floating_point();
    const torch::Tensor stored = (is_float ? t.to(type) : t.to(torch::kInt64)).contiguous();
    dfd::TensorData d{is_float ? dtype : dfd::Dtype::I64, stored.sizes().vec(), {}};
    const auto* bytes = static_cast<const uint8_t*>(stored.data_ptr());
    d.bytes.assign(bytes, bytes + stored.numel() * stored.element_size());
    out[name] = std::move(d);
  };
  for (const auto& p : module.named_parameters(true)) add(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) add(b.key(), b.value());
  return out;
}

}  // namespace

TEST_CASE("weights in F16 and BF16 load into float32 models; a wrong dtype names the tensor" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  auto reference = dfd::Model::create("meso4");
  dfd::test::fill_with_formula(reference->module());
  const torch::Tensor x = dfd::test::formula_input({2, 3, 224, 224});
  const torch::Tensor expected = reference->forward(x);
  const struct { dfd::Dtype dtype; torch::ScalarType type; double tolerance; } cases[] = {
      {dfd::Dtype::F16, torch::kHalf, 2e-2}, {dfd::Dtype::BF16, torch::kBFloat16, 1e-1}};
  for (const auto& c : cases) {
    INFO(dfd::to_string(c.dtype));
    const std::string path = dfd::test::temp_dir() + "/meso4_" + dfd::to_string(c.dtype) + ".safetensors";
    dfd::save_safetensors(path, state_as(reference->module(), c.dtype, c.type));
    auto model = dfd::Model::create("meso4");
    model->load_weights(path);
    // Each stored value is the float32 one rounded to the narrower type, and loads as exactly that.
    const torch::Tensor w = model->module().named_parameters(true)["conv1.weight"];
    CHECK(torch::equal(w, reference->module().named_parameters(true)["conv1.weight"].to(c.type).to(torch::kFloat32)));
    const double scale = std::max(1.0, expected.abs().max().item<double>());
    CHECK((model->forward(x) - expected).abs().max().item<double>() / scale <= c.tolerance);
  }
  auto state = state_as(reference->module(), dfd::Dtype::F32, torch::kFloat32);
  dfd::TensorData& fc = state["fc2.weight"];
  fc.dtype = dfd::Dtype::I32;  // same byte count, wrong kind
  const std::string bad = dfd::test::temp_dir() + "/meso4_bad_dtype.safetensors";
  dfd::save_safetensors(bad, state);
  try {
    dfd::Model::create("meso4")->load_weights(bad);
    FAIL("no error");
  } catch (const dfd::ModelError& e) {
    CHECK(std::string(e.what()).find("wrong dtypes: fc2.weight (I32") != std::string::npos);
  }
}

TEST_CASE("Model::load sizes the head from the weights; every arch names its head" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  // Every family is registered, in a static build too (an explicit list, not static initialisers).
  const std::vector<std::string> zoo = dfd::list_models();
  for (const char* arch : {"resnet18", "efficientnet_b0", "tf_efficientnet_b0", "tf_efficientnet_b7_dfdc", "meso4",
                           "mesoinception4_keras", "xception"}) {
    CHECK_MESSAGE(std::find(zoo.begin(), zoo.end(), arch) != zoo.end(), arch);
  }
  for (const std::string& arch : zoo) {
    INFO(arch);
    auto model = dfd::Model::create(arch, {.num_outputs = 3, .input_features = 8});  // the vector length: fusion_mlp's
    const auto params = model->module().named_parameters(true);
    REQUIRE(params.contains(model->info().head));
    CHECK(params[model->info().head].size(0) == 3);
  }
  auto single = dfd::Model::create("resnet18", {.num_outputs = 1});  // the DFDC kernel's head
  dfd::test::fill_with_formula(single->module());
  const std::string path = dfd::test::temp_dir() + "/resnet18_1logit.safetensors";
  dfd::save_safetensors(path, state_as(single->module(), dfd::Dtype::F32, torch::kFloat32));
  auto loaded = dfd::Model::load("resnet18", path);
  CHECK(loaded->info().num_outputs == 1);
  const torch::Tensor x = dfd::test::formula_input({1, 3, 64, 64});
  CHECK(torch::equal(loaded->forward(x), single->forward(x)));
  CHECK_THROWS_AS(dfd::Model::load("resnet34", path), dfd::ModelError);  // the names do not fit
}

TEST_CASE("channels-last and channels-first give the same logits and endpoints" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  for (const char* arch : {"resnet18", "tf_efficientnet_b0", "mesoinception4_keras"}) {
    INFO(arch);
    auto model = dfd::Model::create(arch);
    CHECK(model->channels_last());  // the zoo's default (bench/classifiers.py)
    dfd::test::fill_with_formula(model->module());
    const int64_t size = arch == std::string("mesoinception4_keras") ? 256 : 96;  // dense layers fix its size
    const torch::Tensor x = dfd::test::formula_input({2, 3, size, size});
    std::map<std::string, at::Tensor> nhwc, nchw;
    const torch::Tensor a = model->forward(x, {"features"}, nhwc);
    model->set_channels_last(false);
    CHECK_FALSE(model->channels_last());
    const torch::Tensor b = model->forward(x, {"features"}, nchw);
    CHECK((a - b).abs().max().item<double>() <= 1e-4 * std::max(1.0, b.abs().max().item<double>()));
    CHECK(torch::allclose(nhwc.at("features"), nchw.at("features"), 1e-4, 1e-5));
  }
}

TEST_CASE("Classifier precision: bf16 runs the face model under bfloat16 autocast and leaves no state behind" * doctest::test_suite("unit")) {
  auto make = [](dfd::Precision precision) {
    dfd::ModelOptions options;
    options.num_outputs = 1;
    auto model = dfd::Model::create("resnet18", options);
    dfd::test::fill_with_formula(model->module());
    dfd::ClassifierParams params;
    params.precision = precision;
    return std::make_unique<dfd::Classifier>(std::move(model), dfd::preset("dfdc_kernel_resnext"), params);
  };
  auto fp32 = make(dfd::Precision::Float32), bf16 = make(dfd::Precision::BFloat16), automatic = make(dfd::Precision::Auto);
  CHECK(fp32->precision() == dfd::Precision::Float32);
  CHECK(bf16->precision() == dfd::Precision::BFloat16);
  CHECK(automatic->precision() == (dfd::cpu_has_native_bf16() ? dfd::Precision::BFloat16 : dfd::Precision::Float32));
  const torch::Tensor x = dfd::test::formula_input({3, 3, 64, 64});
  const std::vector<float> a = fp32->predict(x), b = bf16->predict(x);
  CHECK_FALSE(at::autocast::is_cpu_enabled());  // restored
  double largest = 0;
  for (size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(double(a[i]) - b[i]));
  CHECK(largest > 1e-5);  // it did compute in bfloat16 (float32 reorderings stay below 1e-6 here)
  CHECK(largest < 0.1);
  CHECK((bf16->model().module().parameters()[0].scalar_type() == torch::kFloat32));  // weights untouched
  const bool bf16_again = bf16->predict(x) == b, fp32_again = fp32->predict(x) == a;
  CHECK(bf16_again);  // no stale cast copies between calls
  CHECK(fp32_again);
  // Audio models stay float32, whatever is asked (bfloat16 is not measured on them).
  auto aasist = dfd::Model::create("aasist_l");
  dfd::ClassifierParams params;
  params.precision = dfd::Precision::BFloat16;
  CHECK(dfd::Classifier(std::move(aasist), dfd::preset("aasist"), params).precision() == dfd::Precision::Float32);
  CHECK(dfd::resolve_precision(dfd::Precision::Auto, "cuda:0") == dfd::Precision::Float32);
  CHECK_THROWS_AS(dfd::resolve_precision(dfd::Precision::BFloat16, "cuda:0"), dfd::InvalidArgument);
  CHECK(dfd::resolve_precision(dfd::Precision::BFloat16, "cpu:0") == dfd::Precision::BFloat16);
}

TEST_CASE("an input the network cannot take is an InvalidArgument naming the model and shape" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  auto model = dfd::Model::create("meso4_keras");
  try {
    model->forward(torch::zeros({1, 3, 96, 96}));
    FAIL("no error");
  } catch (const dfd::InvalidArgument& e) {
    const std::string message = e.what();
    CHECK(message.find("meso4_keras cannot take an input of shape [1, 3, 96, 96] (it is built for 256x256)") !=
          std::string::npos);
    CHECK(message.find("frame #") == std::string::npos);  // no C++ backtrace
  }
  CHECK_THROWS_AS(model->forward(torch::zeros({3, 256, 256})), dfd::InvalidArgument);
}

TEST_CASE("fusion_mlp: standardised vectors through Linear-ReLU-Linear; its length from the weights" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  CHECK_THROWS_AS(dfd::Model::create("fusion_mlp"), dfd::InvalidArgument);  // no length given
  torch::manual_seed(7);
  auto model = dfd::Model::create("fusion_mlp", {.num_outputs = 1, .input_features = 6});
  CHECK(model->info().input == dfd::ModelInput::Embedding);
  CHECK(model->info().input_size == 6);  // its Linear layers keep their seeded random start
  auto buffers = model->module().named_buffers(true);
  buffers["input_mean"].copy_(torch::arange(6, torch::kFloat32) / 10);
  buffers["input_std"].copy_(torch::arange(1, 7, torch::kFloat32));
  auto params = model->module().named_parameters(true);
  const torch::Tensor x = dfd::test::formula_input({3, 6});
  const torch::Tensor z = (x - buffers["input_mean"]) / buffers["input_std"];
  const torch::Tensor hidden = torch::relu(torch::addmm(params["fc1.bias"], z, params["fc1.weight"].t()));
  const torch::Tensor expected = torch::addmm(params["fc2.bias"], hidden, params["fc2.weight"].t());
  std::map<std::string, torch::Tensor> features{{"features", {}}};
  const torch::Tensor logits = model->forward(x, {"features"}, features);
  CHECK(logits.sizes() == std::vector<int64_t>{3, 1});
  CHECK(torch::allclose(logits, expected, 1e-5, 1e-6));
  CHECK(torch::allclose(features.at("features"), hidden, 1e-5, 1e-6));
  CHECK_THROWS_AS(model->forward(torch::zeros({3, 5})), dfd::InvalidArgument);      // another length
  CHECK_THROWS_AS(model->forward(torch::zeros({1, 3, 2, 2})), dfd::InvalidArgument);  // not vectors

  const std::string path = dfd::test::temp_dir() + "/fusion_mlp.safetensors";
  dfd::save_model(*model, path);
  auto loaded = dfd::Model::load("fusion_mlp", path);  // d = 6 read from fc1.weight
  CHECK(loaded->info().input_size == 6);
  CHECK(torch::equal(loaded->forward(x), logits));
  // Weights of another architecture do not say a length: a clear error, not a crash.
  auto resnet = dfd::Model::create("resnet18", {.num_outputs = 1});
  const std::string other = dfd::test::temp_dir() + "/resnet_for_fusion.safetensors";
  dfd::save_model(*resnet, other);
  CHECK_THROWS_AS(dfd::Model::load("fusion_mlp", other), dfd::ModelError);
}
