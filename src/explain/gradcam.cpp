// The Grad-CAM family, as jacobgil/pytorch-grad-cam 1.5.5 defines it (base_cam.py and one file per
// method), computed with LibTorch: activations from the model's named endpoints, gradients from
// torch::autograd::grad, the per-layer and multi-layer scaling with OpenCV as the reference does.
#include "dfd/gradcam.hpp"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "classify/clip_length.hpp"
#include "core/enum_names.hpp"
#include "dfd/face.hpp"

namespace dfd {

namespace {
const detail::EnumName<CamMethod> kCamMethods[] = {
    {"gradcam", CamMethod::GradCAM},   {"gradcam++", CamMethod::GradCAMPlusPlus}, {"xgradcam", CamMethod::XGradCAM},
    {"layercam", CamMethod::LayerCAM}, {"eigencam", CamMethod::EigenCAM},         {"gradcamplusplus", CamMethod::GradCAMPlusPlus}};
}  // namespace

CamMethod cam_method(const std::string& name) { return detail::parse_enum(kCamMethods, name, "CAM method"); }
std::string to_string(CamMethod method) { return detail::enum_name(kCamMethods, method); }

CamTarget cam_target(const std::string& name) {
  if (name == "predicted") return CamTarget::predicted();
  if (name == "fake") return CamTarget::fake();
  if (name == "real") return CamTarget::real();
  throw InvalidArgument("target", fmt::format("unknown CAM target '{}' (valid: predicted, fake, real, or a class index)",
                                              utf8_escaped(name)));
}

namespace {

// get_cam_image of one layer for the whole batch: [n, h, w], before the ReLU.
torch::Tensor layer_cam(CamMethod method, const torch::Tensor& acts, const torch::Tensor& grads) {
  switch (method) {
    case CamMethod::GradCAM: {
      const torch::Tensor weights = grads.mean({2, 3}, true);
      return (weights * acts).sum(1);
    }
    case CamMethod::GradCAMPlusPlus: {
      const torch::Tensor g2 = grads.pow(2), g3 = g2 * grads;
      const torch::Tensor sum_acts = acts.sum({2, 3}, true);
      torch::Tensor aij = g2 / (2 * g2 + sum_acts * g3 + 1e-6);
      aij = torch::where(grads != 0, aij, torch::zeros_like(aij));
      const torch::Tensor weights = (torch::relu(grads) * aij).sum({2, 3}, true);
      return (weights * acts).sum(1);
    }
    case CamMethod::XGradCAM: {
      const torch::Tensor sum_acts = acts.sum({2, 3}, true);
      const torch::Tensor weights = (grads * acts / (sum_acts + 1e-7)).sum({2, 3}, true);
      return (weights * acts).sum(1);
    }
    case CamMethod::LayerCAM:
      return (torch::relu(grads) * acts).sum(1);
    case CamMethod::EigenCAM: {
      // Projection of the centred [h*w, c] activations on the first right-singular vector.
      std::vector<torch::Tensor> maps;
      for (int64_t i = 0; i < acts.size(0); ++i) {
        torch::Tensor a = acts[i].reshape({acts.size(1), -1}).t();  // [hw, c]
        a = torch::nan_to_num(a - a.mean(0, true), 0.0);
        const auto svd = torch::linalg_svd(a.to(torch::kDouble), /*full_matrices=*/false);
        const torch::Tensor v0 = std::get<2>(svd)[0].to(torch::kFloat);
        maps.push_back(torch::mv(a, v0).reshape({acts.size(2), acts.size(3)}));
      }
      return torch::stack(maps);
    }
  }
  return {};
}

// scale_cam_image: (x - min) / (1e-7 + max), then cv2.resize to `size` (bilinear) when given.
cv::Mat scale_cam(const cv::Mat& cam, cv::Size size) {
  double lo = 0, hi = 0;
  cv::Mat m = cam.clone();
  cv::minMaxLoc(m, &lo, nullptr);
  m -= lo;
  cv::minMaxLoc(m, nullptr, &hi);
  m /= (1e-7 + static_cast<float>(hi));
  if (!size.empty() && size != m.size()) cv::resize(m, m, size, 0, 0, cv::INTER_LINEAR);
  return m;
}

cv::Mat to_mat(const torch::Tensor& map2d) {
  const torch::Tensor t = map2d.detach().to(torch::kCPU, torch::kFloat).contiguous();
  cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_32F);
  std::memcpy(m.data, t.data_ptr<float>(), m.total() * sizeof(float));
  return m;
}

}  // namespace

struct GradCAM::Impl {
  Model* model = nullptr;
  Classifier* classifier = nullptr;
  GradCamParams params;

  // The score whose gradient explains each input, and the class it names (-1: negated logit).
  torch::Tensor scores(const torch::Tensor& logits, const CamTarget& target, std::vector<int>& classes) const {
    const int64_t n = logits.size(0), k = logits.size(1);
    std::vector<torch::Tensor> picked;
    for (int64_t i = 0; i < n; ++i) {
      int column = 0;
      double sign = 1.0;
      switch (target.kind) {
        case CamTarget::Kind::Predicted:
          column = static_cast<int>(logits[i].argmax().item<int64_t>());
          break;
        case CamTarget::Kind::Class:
          column = target.index;
          break;
        case CamTarget::Kind::Fake:
        case CamTarget::Kind::Real: {
          if (!classifier) {
            throw InvalidArgument("target", "fake/real targets need a GradCAM built from a Classifier (its preset "
                                            "says what the output means)");
          }
          const Preprocess& p = classifier->preprocess_spec();
          const bool want_fake = target.kind == CamTarget::Kind::Fake;
          if (p.output == Preprocess::Output::Softmax) {
            if (k != 2 && !want_fake) throw InvalidArgument("target", "real is defined for a two-class softmax only");
            column = want_fake ? p.fake_index : 1 - p.fake_index;
          } else {
            const bool logit_means_fake = !p.output_means_real;
            sign = (want_fake == logit_means_fake) ? 1.0 : -1.0;
          }
          break;
        }
      }
      if (column < 0 || column >= k) {
        throw InvalidArgument("target", fmt::format("class {} but the model gives {} outputs", column, k));
      }
      classes.push_back(sign < 0 ? -1 : column);
      picked.push_back(logits[i][column] * sign);
    }
    return torch::stack(picked);
  }

  // One batch: per layer, the unscaled ReLU(cam) maps; the final maps at the input's size.
  void run(const torch::Tensor& x, const CamTarget& target, CamResult& out) const {
    const std::vector<std::string>& layers = params.layers;
    std::map<std::string, at::Tensor> acts;
    torch::Tensor logits;
    std::vector<torch::Tensor> grads;
    {
      const bool gradients = params.method != CamMethod::EigenCAM;
      torch::AutoGradMode grad_mode(gradients);
      // An input that requires grad makes a graph even when no parameter does (a frozen TorchScript).
      logits = model->forward(gradients ? x.detach().requires_grad_(true) : x, layers, acts);
      if (logits.dim() != 2) throw ModelError(model->info().reference, "logits are not [n, k]");
      const torch::Tensor loss = scores(logits, target, out.classes).sum();
      if (params.method != CamMethod::EigenCAM) {
        std::vector<torch::Tensor> inputs;
        for (const std::string& l : layers) inputs.push_back(acts.at(l));
        grads = torch::autograd::grad({loss}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                      /*allow_unused=*/true);
      }
    }
    torch::NoGradGuard no_grad;
    // A clip model's endpoints hold its clips' frames ([n * T, c, h, w]): one map per frame.
    const int64_t images = x.dim() == 5 ? x.size(0) * x.size(1) : x.size(0);
    const cv::Size input_size(static_cast<int>(x.size(-1)), static_cast<int>(x.size(-2)));
    std::vector<std::vector<cv::Mat>> scaled(static_cast<size_t>(images));
    for (size_t l = 0; l < layers.size(); ++l) {
      const torch::Tensor a = acts.at(layers[l]).detach().to(torch::kFloat).contiguous();
      torch::Tensor g;
      if (params.method != CamMethod::EigenCAM) {
        g = grads[l].defined() ? grads[l].detach().to(torch::kFloat).contiguous() : torch::zeros_like(a);
      }
      const torch::Tensor cams = torch::relu(layer_cam(params.method, a, g));
      for (int64_t i = 0; i < images; ++i) {
        cv::Mat low = to_mat(cams[i]);
        out.layer_maps[l].push_back(low);
        scaled[static_cast<size_t>(i)].push_back(scale_cam(low, input_size));
      }
    }
    for (size_t l = 0; l < layers.size(); ++l) {
      for (const auto& per_layer : scaled) out.layer_final[l].push_back(scale_cam(per_layer[l], cv::Size()));
    }
    for (auto& per_layer : scaled) {
      cv::Mat mean = cv::Mat::zeros(input_size, CV_32F);
      for (const cv::Mat& m : per_layer) mean += cv::max(m, 0.0f);
      mean /= static_cast<float>(per_layer.size());
      out.maps.push_back(scale_cam(mean, cv::Size()));
    }
  }
};

GradCAM::GradCAM(Model& model, const GradCamParams& params) : impl_(std::make_unique<Impl>()) {
  impl_->model = &model;
  impl_->params = params;
  if (impl_->params.layers.empty()) impl_->params.layers = {"features"};
  if (params.batch_size < 1) throw InvalidArgument("batch_size", "must be >= 1");
  const auto& known = model.info().endpoints;
  for (const std::string& l : impl_->params.layers) {
    if (std::find(known.begin(), known.end(), l) == known.end()) {
      throw InvalidArgument("layers", fmt::format("{} has no endpoint '{}' (it has: {})", model.info().arch, l,
                                                  fmt::join(known, ", ")));
    }
  }
}

GradCAM::GradCAM(Classifier& classifier, const GradCamParams& params) : GradCAM(classifier.model(), params) {
  impl_->classifier = &classifier;
}

GradCAM::~GradCAM() = default;

const GradCamParams& GradCAM::params() const { return impl_->params; }

CamResult GradCAM::compute(const at::Tensor& inputs, const CamTarget& target) const {
  if (impl_->model->info().input == ModelInput::Clip) {
    if (inputs.dim() != 5 || inputs.size(2) != 3 || inputs.scalar_type() != torch::kFloat32) {
      throw InvalidArgument("inputs", fmt::format("{} takes clips: expected float32 [n, {}, 3, h, w]", impl_->model->info().arch,
                                                  impl_->model->info().segments));
    }
  } else if (inputs.dim() != 4 || inputs.size(1) != 3 || inputs.scalar_type() != torch::kFloat32) {
    throw InvalidArgument("inputs", "expected float32 [n, 3, h, w]");
  }
  CamResult out;
  out.layer_maps.resize(impl_->params.layers.size());
  out.layer_final.resize(impl_->params.layers.size());
  const torch::Device device(impl_->model->device());
  for (int64_t start = 0; start < inputs.size(0); start += impl_->params.batch_size) {
    impl_->run(inputs.slice(0, start, start + impl_->params.batch_size).to(device), target, out);
  }
  return out;
}

namespace {

// Each map (and each layer's) back in its crop's own pixels: the preset's resize and padding undone.
void to_crop_pixels(const std::vector<cv::Mat>& crops, const Preprocess& p, CamResult& out) {
  for (size_t i = 0; i < crops.size(); ++i) {
    if (crops[i].rows == p.size && crops[i].cols == p.size) continue;  // fed as it is
    const cv::Rect placed = placed_region(crops[i].size(), p.size, p.pad, default_resize_rule(p.pad));
    cv::resize(out.maps[i](placed), out.maps[i], crops[i].size(), 0, 0, cv::INTER_LINEAR);
    for (auto& layer : out.layer_final) cv::resize(layer[i](placed), layer[i], crops[i].size(), 0, 0, cv::INTER_LINEAR);
  }
}

}  // namespace

CamResult GradCAM::compute(const std::vector<cv::Mat>& crops, const CamTarget& target) const {
  if (!impl_->classifier) throw InvalidArgument("crops", "crops need a GradCAM built from a Classifier (its preset)");
  if (impl_->model->info().input == ModelInput::Clip) {
    throw InvalidArgument("crops", fmt::format("{} takes clips: explain them with compute_clips", impl_->model->info().arch));
  }
  for (const cv::Mat& c : crops) require_rgb_image(c, "gradcam");
  CamResult out = compute(impl_->classifier->preprocess(crops), target);
  to_crop_pixels(crops, impl_->classifier->preprocess_spec(), out);
  return out;
}

CamResult GradCAM::compute_clips(const std::vector<std::vector<cv::Mat>>& clips, const CamTarget& target) const {
  if (!impl_->classifier) throw InvalidArgument("clips", "clips need a GradCAM built from a Classifier (its preset)");
  const ModelInfo& info = impl_->model->info();
  if (info.input != ModelInput::Clip) throw InvalidArgument("clips", fmt::format("{} takes single images, not clips", info.arch));
  classify::require_clip_length(clips, info);
  std::vector<cv::Mat> frames;
  for (const std::vector<cv::Mat>& clip : clips) {
    for (const cv::Mat& f : clip) require_rgb_image(f, "gradcam");
    frames.insert(frames.end(), clip.begin(), clip.end());
  }
  CamResult out = compute(preprocess_clips(impl_->classifier->preprocess_spec(), clips), target);
  to_crop_pixels(frames, impl_->classifier->preprocess_spec(), out);
  return out;
}

}  // namespace dfd
