#include "face/mtcnn_net.hpp"

namespace dfd::mtcnn {

namespace F = torch::nn::functional;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;
using torch::nn::Linear;
using torch::nn::PReLU;
using torch::nn::PReLUOptions;

namespace {
torch::Tensor max_pool_ceil(const torch::Tensor& x, int64_t kernel, int64_t stride) {
  return F::max_pool2d(x, F::MaxPool2dFuncOptions(kernel).stride(stride).ceil_mode(true));
}
}  // namespace

PNetImpl::PNetImpl() {
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(3, 10, 3)));
  prelu1 = register_module("prelu1", PReLU(PReLUOptions().num_parameters(10)));
  conv2 = register_module("conv2", Conv2d(Conv2dOptions(10, 16, 3)));
  prelu2 = register_module("prelu2", PReLU(PReLUOptions().num_parameters(16)));
  conv3 = register_module("conv3", Conv2d(Conv2dOptions(16, 32, 3)));
  prelu3 = register_module("prelu3", PReLU(PReLUOptions().num_parameters(32)));
  conv4_1 = register_module("conv4_1", Conv2d(Conv2dOptions(32, 2, 1)));
  conv4_2 = register_module("conv4_2", Conv2d(Conv2dOptions(32, 4, 1)));
}

std::pair<torch::Tensor, torch::Tensor> PNetImpl::forward(torch::Tensor x) {
  x = max_pool_ceil(prelu1(conv1(x)), 2, 2);
  x = prelu3(conv3(prelu2(conv2(x))));
  return {conv4_2(x), torch::softmax(conv4_1(x), 1)};
}

RNetImpl::RNetImpl() {
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(3, 28, 3)));
  prelu1 = register_module("prelu1", PReLU(PReLUOptions().num_parameters(28)));
  conv2 = register_module("conv2", Conv2d(Conv2dOptions(28, 48, 3)));
  prelu2 = register_module("prelu2", PReLU(PReLUOptions().num_parameters(48)));
  conv3 = register_module("conv3", Conv2d(Conv2dOptions(48, 64, 2)));
  prelu3 = register_module("prelu3", PReLU(PReLUOptions().num_parameters(64)));
  dense4 = register_module("dense4", Linear(576, 128));
  prelu4 = register_module("prelu4", PReLU(PReLUOptions().num_parameters(128)));
  dense5_1 = register_module("dense5_1", Linear(128, 2));
  dense5_2 = register_module("dense5_2", Linear(128, 4));
}

std::pair<torch::Tensor, torch::Tensor> RNetImpl::forward(torch::Tensor x) {
  x = max_pool_ceil(prelu1(conv1(x)), 3, 2);
  x = max_pool_ceil(prelu2(conv2(x)), 3, 2);
  x = prelu3(conv3(x));
  // The Caffe original flattens in (w, h, c) order.
  x = x.permute({0, 3, 2, 1}).contiguous();
  x = prelu4(dense4(x.flatten(1)));  // flatten, not view(n, -1): n may be 0
  return {dense5_2(x), torch::softmax(dense5_1(x), 1)};
}

ONetImpl::ONetImpl() {
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(3, 32, 3)));
  prelu1 = register_module("prelu1", PReLU(PReLUOptions().num_parameters(32)));
  conv2 = register_module("conv2", Conv2d(Conv2dOptions(32, 64, 3)));
  prelu2 = register_module("prelu2", PReLU(PReLUOptions().num_parameters(64)));
  conv3 = register_module("conv3", Conv2d(Conv2dOptions(64, 64, 3)));
  prelu3 = register_module("prelu3", PReLU(PReLUOptions().num_parameters(64)));
  conv4 = register_module("conv4", Conv2d(Conv2dOptions(64, 128, 2)));
  prelu4 = register_module("prelu4", PReLU(PReLUOptions().num_parameters(128)));
  dense5 = register_module("dense5", Linear(1152, 256));
  prelu5 = register_module("prelu5", PReLU(PReLUOptions().num_parameters(256)));
  dense6_1 = register_module("dense6_1", Linear(256, 2));
  dense6_2 = register_module("dense6_2", Linear(256, 4));
  dense6_3 = register_module("dense6_3", Linear(256, 10));
}

ONetOutputs ONetImpl::forward(torch::Tensor x) {
  x = max_pool_ceil(prelu1(conv1(x)), 3, 2);
  x = max_pool_ceil(prelu2(conv2(x)), 3, 2);
  x = max_pool_ceil(prelu3(conv3(x)), 2, 2);
  x = prelu4(conv4(x));
  x = x.permute({0, 3, 2, 1}).contiguous();
  x = prelu5(dense5(x.flatten(1)));
  return {dense6_2(x), dense6_3(x), torch::softmax(dense6_1(x), 1)};
}

MtcnnNetsImpl::MtcnnNetsImpl() {
  pnet = register_module("pnet", PNet());
  rnet = register_module("rnet", RNet());
  onet = register_module("onet", ONet());
}

}  // namespace dfd::mtcnn
