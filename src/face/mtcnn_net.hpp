// Private: MTCNN's three networks as facenet-pytorch builds them (names equal its state_dicts,
// under the prefixes pnet., rnet., onet. of the converted file).
#pragma once

#include <torch/torch.h>

namespace dfd::mtcnn {

struct PNetImpl : torch::nn::Module {
  PNetImpl();
  // x: [b, 3, h, w] normalised → (box regression [b, 4, h', w'], face probability [b, 2, h', w']).
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4_1{nullptr}, conv4_2{nullptr};
  torch::nn::PReLU prelu1{nullptr}, prelu2{nullptr}, prelu3{nullptr};
};
TORCH_MODULE(PNet);

struct RNetImpl : torch::nn::Module {
  RNetImpl();
  // x: [n, 3, 24, 24] → (regression [n, 4], probability [n, 2]).
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::PReLU prelu1{nullptr}, prelu2{nullptr}, prelu3{nullptr}, prelu4{nullptr};
  torch::nn::Linear dense4{nullptr}, dense5_1{nullptr}, dense5_2{nullptr};
};
TORCH_MODULE(RNet);

struct ONetOutputs {
  torch::Tensor regression;  // [n, 4]
  torch::Tensor landmarks;   // [n, 10]: 5 x, then 5 y, relative to the box
  torch::Tensor probability; // [n, 2]
};

struct ONetImpl : torch::nn::Module {
  ONetImpl();
  // x: [n, 3, 48, 48].
  ONetOutputs forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr};
  torch::nn::PReLU prelu1{nullptr}, prelu2{nullptr}, prelu3{nullptr}, prelu4{nullptr}, prelu5{nullptr};
  torch::nn::Linear dense5{nullptr}, dense6_1{nullptr}, dense6_2{nullptr}, dense6_3{nullptr};
};
TORCH_MODULE(ONet);

// The three under one parent, so one converted file loads with load_state_dict.
struct MtcnnNetsImpl : torch::nn::Module {
  MtcnnNetsImpl();
  PNet pnet{nullptr};
  RNet rnet{nullptr};
  ONet onet{nullptr};
};
TORCH_MODULE(MtcnnNets);

}  // namespace dfd::mtcnn
