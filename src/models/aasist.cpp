// AASIST and AASIST-L (Jung et al., ICASSP 2022; clovaai/aasist models/AASIST.py, MIT): raw
// waveform in, two logits out (column 0 spoof, column 1 bona fide). A fixed sinc filter bank, |.|
// and a 3x3 max-pool make a 70-band "spectrogram"; six residual blocks encode it; graph attention
// over its 23 spectral and its time nodes (GAT-S, GAT-T), top-k graph pooling, two heterogeneous
// stacks (HS-GAL) with a master node, and the max of the two read out a 160-d embedding.
// Parameter names equal the reference's state_dict (229 tensors), so its checkpoints load 1:1.
//
// Two things of the reference are kept as they are because its weights were trained with them:
// a residual block's bn1 is computed but its output unused (conv1 reads the block's input), and
// the first HS-GAL of each stack takes the unbatched master parameter, which broadcasts.
#include <cmath>

#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm1d;
using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;
using torch::nn::Linear;

constexpr int kSampleRate = 16000;
constexpr int64_t kWindow = 64600;  // the reference's nb_samp: 4.04 s at 16 kHz
constexpr int64_t kSpectralNodes = 23;

struct Config {
  int64_t sinc_filters = 70;
  int64_t sinc_kernel = 128;  // made odd (129), as the reference does
  std::vector<std::pair<int64_t, int64_t>> blocks;  // (in, out) channels of the six residual blocks
  int64_t gat_dim = 0, htrg_dim = 32;
  double pool_s = 0, pool_t = 0, pool_h = 0;  // the share of nodes each graph pooling keeps
  double temp_s = 2.0, temp_t = 2.0, temp_h = 100.0;
};

// config/AASIST.conf and config/AASIST-L.conf: the light one has narrower late blocks and graph
// layers, and pools its graphs by other ratios.
Config aasist_config(bool light) {
  Config c;
  const int64_t channels = light ? 24 : 64;
  c.blocks = {{1, 32}, {32, 32}, {32, channels}, {channels, channels}, {channels, channels}, {channels, channels}};
  c.gat_dim = channels;
  if (light) {
    c.pool_s = 0.4, c.pool_t = 0.5, c.pool_h = 0.7;
  } else {
    c.pool_s = 0.5, c.pool_t = 0.7, c.pool_h = 0.5;
  }
  return c;
}

// The reference's fixed filter bank (CONV.__init__): 70 band-pass filters whose edges are equally
// spaced on the mel scale from 0 to 8 kHz, each the difference of two windowed sincs. Built in
// double (the reference mixes float64 and float32; the two agree to ~1e-7, golden g12).
torch::Tensor sinc_band_pass(int64_t filters, int64_t kernel, int sample_rate) {
  auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  auto to_hz = [](double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); };
  auto sinc = [](double x) { return x == 0.0 ? 1.0 : std::sin(M_PI * x) / (M_PI * x); };
  const double mel_max = to_mel(sample_rate / 2);  // the highest of the 257 FFT bins' frequencies
  std::vector<double> edges(static_cast<size_t>(filters) + 1);
  for (int64_t i = 0; i <= filters; ++i) edges[i] = to_hz(mel_max * static_cast<double>(i) / static_cast<double>(filters));
  torch::Tensor bank = torch::empty({filters, 1, kernel});
  auto a = bank.accessor<float, 3>();
  const double half = static_cast<double>(kernel - 1) / 2.0;
  for (int64_t i = 0; i < filters; ++i) {
    for (int64_t k = 0; k < kernel; ++k) {
      const double t = static_cast<double>(k) - half;
      const double high = 2.0 * edges[i + 1] / sample_rate * sinc(2.0 * edges[i + 1] * t / sample_rate);
      const double low = 2.0 * edges[i] / sample_rate * sinc(2.0 * edges[i] * t / sample_rate);
      const double hamming = 0.54 - 0.46 * std::cos(2.0 * M_PI * static_cast<double>(k) / static_cast<double>(kernel - 1));
      a[i][0][k] = static_cast<float>(hamming * (high - low));
    }
  }
  return bank;
}

// Batch-norm over the last dimension of [b, nodes, dim] (the reference's _apply_BN).
torch::Tensor node_norm(BatchNorm1d& bn, const torch::Tensor& x) {
  return bn(x.reshape({-1, x.size(-1)})).view(x.sizes());
}

// Inference (no autograd) may overwrite activations in place: AASIST's first blocks hold 16 M
// values per window, and a fresh tensor for each SELU or sum costs more than the arithmetic.
bool inference() { return !torch::GradMode::is_enabled(); }

// max_pool2d with kernel = stride (kh, kw), no padding, floor: the maximum of the kh * kw strided
// views. In inference it replaces max_pool2d, whose index bookkeeping made it 10x slower on these
// wide maps (bench/aasist.py); training keeps max_pool2d for its gradient (one winner per window).
torch::Tensor max_pool(const torch::Tensor& x, int64_t kh, int64_t kw) {
  if (!inference()) return torch::max_pool2d(x, {kh, kw});
  const int64_t h = x.size(2) / kh * kh, w = x.size(3) / kw * kw;
  torch::Tensor out = x.slice(3, 0, w, kw);
  for (int64_t i = 1; i < kw; ++i) out = torch::maximum(out, x.slice(3, i, w, kw));
  torch::Tensor rows = out.slice(2, 0, h, kh);
  for (int64_t j = 1; j < kh; ++j) rows = torch::maximum(rows, out.slice(2, j, h, kh));
  return rows;
}

torch::Tensor selu_activation(torch::Tensor x) { return inference() ? torch::selu_(x) : torch::selu(x); }

// x_i * x_j for every pair of nodes: [b, n, n, d].
torch::Tensor pairwise(const torch::Tensor& x) { return x.unsqueeze(2) * x.unsqueeze(1); }

torch::Tensor new_attention_weight(int64_t dim) {
  torch::Tensor w = torch::empty({dim, 1});
  torch::nn::init::xavier_normal_(w);
  return w;
}

struct ResidualBlockImpl : torch::nn::Module {
  ResidualBlockImpl(int64_t in, int64_t out, bool first) {
    if (!first) bn1 = register_module("bn1", BatchNorm2d(in));
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(in, out, {2, 3}).padding({1, 1})));
    bn2 = register_module("bn2", BatchNorm2d(out));
    conv2 = register_module("conv2", Conv2d(Conv2dOptions(out, out, {2, 3}).padding({0, 1})));
    if (in != out) conv_downsample = register_module("conv_downsample", Conv2d(Conv2dOptions(in, out, {1, 3}).padding({0, 1})));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (bn1 && is_training()) bn1(x);  // its output unused, as in the reference; its statistics still move
    torch::Tensor out = conv2(selu_activation(is_training() || !inference() ? bn2(conv1(x)) : conv1_bn2(x)));
    const torch::Tensor identity = conv_downsample ? conv_downsample(x) : x;
    out = inference() ? out.add_(identity) : out + identity;
    return max_pool(out, 1, 3);
  }
  // bn2(conv1(x)) in eval as one convolution (batch-norm with running statistics is an affine map
  // per channel, folded into conv1's weights): one pass less over the block's widest activation.
  torch::Tensor conv1_bn2(const torch::Tensor& x) {
    const torch::Tensor scale = bn2->weight / torch::sqrt(bn2->running_var + bn2->options.eps());
    const torch::Tensor weight = conv1->weight * scale.view({-1, 1, 1, 1});
    const torch::Tensor bias = (conv1->bias - bn2->running_mean) * scale + bn2->bias;
    return torch::conv2d(x, weight, bias, 1, {1, 1});  // conv1's padding
  }
  BatchNorm2d bn1{nullptr}, bn2{nullptr};
  Conv2d conv1{nullptr}, conv2{nullptr}, conv_downsample{nullptr};
};
TORCH_MODULE(ResidualBlock);

// Graph attention over one node type (GAT-S, GAT-T).
struct GraphAttentionImpl : torch::nn::Module {
  GraphAttentionImpl(int64_t in, int64_t out, double temperature) : temperature(temperature) {
    att_proj = register_module("att_proj", Linear(in, out));
    att_weight = register_parameter("att_weight", new_attention_weight(out));
    proj_with_att = register_module("proj_with_att", Linear(in, out));
    proj_without_att = register_module("proj_without_att", Linear(in, out));
    bn = register_module("bn", BatchNorm1d(out));
  }
  torch::Tensor forward(const torch::Tensor& input) {  // [b, n, in] -> [b, n, out]
    const torch::Tensor x = torch::dropout(input, 0.2, is_training());
    torch::Tensor att = torch::matmul(torch::tanh(att_proj(pairwise(x))), att_weight) / temperature;
    att = torch::softmax(att, -2).squeeze(-1);
    torch::Tensor y = proj_with_att(torch::matmul(att, x)) + proj_without_att(x);
    return torch::selu(node_norm(bn, y));
  }
  double temperature;
  Linear att_proj{nullptr}, proj_with_att{nullptr}, proj_without_att{nullptr};
  torch::Tensor att_weight;
  BatchNorm1d bn{nullptr};
};
TORCH_MODULE(GraphAttention);

struct HeteroOutput {
  torch::Tensor type1, type2, master;
};

// Heterogeneous graph attention over temporal (type 1) and spectral (type 2) nodes with a master
// node (HS-GAL): one attention weight per pair of node types (the two cross pairs share one).
struct HeteroGraphAttentionImpl : torch::nn::Module {
  HeteroGraphAttentionImpl(int64_t in, int64_t out, double temperature) : temperature(temperature) {
    proj_type1 = register_module("proj_type1", Linear(in, in));
    proj_type2 = register_module("proj_type2", Linear(in, in));
    att_proj = register_module("att_proj", Linear(in, out));
    att_projM = register_module("att_projM", Linear(in, out));
    att_weight11 = register_parameter("att_weight11", new_attention_weight(out));
    att_weight22 = register_parameter("att_weight22", new_attention_weight(out));
    att_weight12 = register_parameter("att_weight12", new_attention_weight(out));
    att_weightM = register_parameter("att_weightM", new_attention_weight(out));
    proj_with_att = register_module("proj_with_att", Linear(in, out));
    proj_without_att = register_module("proj_without_att", Linear(in, out));
    proj_with_attM = register_module("proj_with_attM", Linear(in, out));
    proj_without_attM = register_module("proj_without_attM", Linear(in, out));
    bn = register_module("bn", BatchNorm1d(out));
  }

  HeteroOutput forward(const torch::Tensor& x1_in, const torch::Tensor& x2_in, const torch::Tensor& master) {
    const int64_t n1 = x1_in.size(1), n2 = x2_in.size(1);
    const torch::Tensor x = torch::dropout(torch::cat({proj_type1(x1_in), proj_type2(x2_in)}, 1), 0.2, is_training());
    // Node attention: each block of the [n, n] map scored with its pair's weight.
    const torch::Tensor h = torch::tanh(att_proj(pairwise(x)));
    const torch::Tensor is1 = torch::arange(n1 + n2, x.options().dtype(torch::kLong)) < n1;
    const torch::Tensor same = is1.unsqueeze(1) == is1.unsqueeze(0);
    const torch::Tensor both1 = (is1.unsqueeze(1) & is1.unsqueeze(0)).unsqueeze(-1);
    torch::Tensor att = torch::where(same.unsqueeze(-1), torch::where(both1, torch::matmul(h, att_weight11), torch::matmul(h, att_weight22)),
                                     torch::matmul(h, att_weight12));
    att = torch::softmax(att / temperature, -2).squeeze(-1);
    // The master node attends to every node.
    torch::Tensor att_m = torch::matmul(torch::tanh(att_projM(x * master)), att_weightM) / temperature;
    att_m = torch::softmax(att_m, -2).squeeze(-1).unsqueeze(1);  // [b, 1, n]
    torch::Tensor new_master = proj_with_attM(torch::matmul(att_m, x)) + proj_without_attM(master);
    torch::Tensor y = proj_with_att(torch::matmul(att, x)) + proj_without_att(x);
    y = torch::selu(node_norm(bn, y));
    return {y.narrow(1, 0, n1), y.narrow(1, n1, n2), new_master};
  }

  double temperature;
  Linear proj_type1{nullptr}, proj_type2{nullptr}, att_proj{nullptr}, att_projM{nullptr};
  torch::Tensor att_weight11, att_weight22, att_weight12, att_weightM;
  Linear proj_with_att{nullptr}, proj_without_att{nullptr}, proj_with_attM{nullptr}, proj_without_attM{nullptr};
  BatchNorm1d bn{nullptr};
};
TORCH_MODULE(HeteroGraphAttention);

// Keeps the top `ratio` of the nodes by a learnt score, each scaled by its score (graph pooling).
struct GraphPoolImpl : torch::nn::Module {
  GraphPoolImpl(double ratio, int64_t dim) : ratio(ratio) { proj = register_module("proj", Linear(dim, 1)); }
  torch::Tensor forward(const torch::Tensor& h) {
    const torch::Tensor scores = torch::sigmoid(proj(torch::dropout(h, 0.3, is_training())));  // [b, n, 1]
    const int64_t keep = std::max<int64_t>(static_cast<int64_t>(static_cast<double>(h.size(1)) * ratio), 1);
    const torch::Tensor idx = std::get<1>(torch::topk(scores, keep, 1)).expand({-1, -1, h.size(2)});
    return torch::gather(h * scores, 1, idx);
  }
  double ratio;
  Linear proj{nullptr};
};
TORCH_MODULE(GraphPool);

struct Aasist : ZooModule {
  Aasist(const Config& c, int64_t num_outputs) {
    band_pass = sinc_band_pass(c.sinc_filters, c.sinc_kernel | 1, kSampleRate);
    first_bn = register_module("first_bn", BatchNorm2d(1));
    encoder = register_module("encoder", Seq());
    for (size_t i = 0; i < c.blocks.size(); ++i) {
      ResidualBlock block(c.blocks[i].first, c.blocks[i].second, i == 0);
      Seq stage;
      stage->push_back(block);  // encoder.<i>.0.*, as the reference's nested Sequentials
      encoder->push_back(stage);
      blocks.push_back(block);
    }
    const int64_t channels = c.blocks.back().second;
    pos_S = register_parameter("pos_S", torch::randn({1, kSpectralNodes, channels}));
    master1 = register_parameter("master1", torch::randn({1, 1, c.gat_dim}));
    master2 = register_parameter("master2", torch::randn({1, 1, c.gat_dim}));
    GAT_layer_S = register_module("GAT_layer_S", GraphAttention(channels, c.gat_dim, c.temp_s));
    GAT_layer_T = register_module("GAT_layer_T", GraphAttention(channels, c.gat_dim, c.temp_t));
    HtrgGAT_layer_ST11 = register_module("HtrgGAT_layer_ST11", HeteroGraphAttention(c.gat_dim, c.htrg_dim, c.temp_h));
    HtrgGAT_layer_ST12 = register_module("HtrgGAT_layer_ST12", HeteroGraphAttention(c.htrg_dim, c.htrg_dim, c.temp_h));
    HtrgGAT_layer_ST21 = register_module("HtrgGAT_layer_ST21", HeteroGraphAttention(c.gat_dim, c.htrg_dim, c.temp_h));
    HtrgGAT_layer_ST22 = register_module("HtrgGAT_layer_ST22", HeteroGraphAttention(c.htrg_dim, c.htrg_dim, c.temp_h));
    pool_S = register_module("pool_S", GraphPool(c.pool_s, c.gat_dim));
    pool_T = register_module("pool_T", GraphPool(c.pool_t, c.gat_dim));
    pool_hS1 = register_module("pool_hS1", GraphPool(c.pool_h, c.htrg_dim));
    pool_hT1 = register_module("pool_hT1", GraphPool(c.pool_h, c.htrg_dim));
    pool_hS2 = register_module("pool_hS2", GraphPool(c.pool_h, c.htrg_dim));
    pool_hT2 = register_module("pool_hT2", GraphPool(c.pool_h, c.htrg_dim));
    out_layer = register_module("out_layer", Linear(5 * c.htrg_dim, num_outputs));
  }

  // One heterogeneous stack: two HS-GALs with graph pooling between them, the second residual.
  HeteroOutput stack(HeteroGraphAttention& first, HeteroGraphAttention& second, GraphPool& pool_s, GraphPool& pool_t,
                     const torch::Tensor& t, const torch::Tensor& s, const torch::Tensor& master) {
    HeteroOutput a = first(t, s, master);
    a.type2 = pool_s(a.type2);
    a.type1 = pool_t(a.type1);
    const HeteroOutput b = second(a.type1, a.type2, a.master);
    return {a.type1 + b.type1, a.type2 + b.type2, a.master + b.master};
  }

  torch::Tensor forward_with(const torch::Tensor& waveform, std::map<std::string, torch::Tensor>* features) override {
    // [b, samples] -> 70 sinc bands -> |.| and a 3x3 max-pool over (band, time): [b, 1, 23, t].
    torch::Tensor x = torch::conv1d(waveform.unsqueeze(1), band_pass.to(waveform.device()));
    offer(features, "sinc", x);  // [b, 70, samples - 128]: the fixed filter bank's bands
    const bool bands_kept = features && features->count("sinc");
    x = x.unsqueeze(1);
    x = selu_activation(first_bn(max_pool(inference() && !bands_kept ? x.abs_() : x.abs(), 3, 3)));
    for (auto& block : blocks) x = block->forward(x);
    offer(features, "encoder", x);
    offer(features, "features", x);  // [b, c, 23 bands, time]: what Grad-CAM maps
    const torch::Tensor magnitude = x.abs();
    const torch::Tensor e_s = std::get<0>(magnitude.max(3)).transpose(1, 2) + pos_S;  // spectral nodes
    const torch::Tensor e_t = std::get<0>(magnitude.max(2)).transpose(1, 2);          // temporal nodes
    const torch::Tensor out_s = pool_S(GAT_layer_S(e_s));
    const torch::Tensor out_t = pool_T(GAT_layer_T(e_t));
    const HeteroOutput one = stack(HtrgGAT_layer_ST11, HtrgGAT_layer_ST12, pool_hS1, pool_hT1, out_t, out_s, master1);
    const HeteroOutput two = stack(HtrgGAT_layer_ST21, HtrgGAT_layer_ST22, pool_hS2, pool_hT2, out_t, out_s, master2);
    const bool train = is_training();
    auto drop = [train](const torch::Tensor& v) { return torch::dropout(v, 0.2, train); };
    const torch::Tensor t = torch::max(drop(one.type1), drop(two.type1));
    const torch::Tensor s = torch::max(drop(one.type2), drop(two.type2));
    const torch::Tensor master = torch::max(drop(one.master), drop(two.master)).expand({t.size(0), 1, -1});
    torch::Tensor hidden = torch::cat({std::get<0>(t.abs().max(1)), t.mean(1), std::get<0>(s.abs().max(1)), s.mean(1),
                                       master.squeeze(1)},
                                      1);
    offer(features, "last_hidden", hidden);
    hidden = torch::dropout(hidden, 0.5, train);
    return out_layer(hidden);
  }

  torch::Tensor band_pass;  // not a parameter: the reference rebuilds it, its state_dict lacks it
  BatchNorm2d first_bn{nullptr};
  Seq encoder{nullptr};
  std::vector<ResidualBlock> blocks;
  torch::Tensor pos_S, master1, master2;
  GraphAttention GAT_layer_S{nullptr}, GAT_layer_T{nullptr};
  HeteroGraphAttention HtrgGAT_layer_ST11{nullptr}, HtrgGAT_layer_ST12{nullptr}, HtrgGAT_layer_ST21{nullptr},
      HtrgGAT_layer_ST22{nullptr};
  GraphPool pool_S{nullptr}, pool_T{nullptr}, pool_hS1{nullptr}, pool_hT1{nullptr}, pool_hS2{nullptr}, pool_hT2{nullptr};
  Linear out_layer{nullptr};
};

}  // namespace

void register_aasist(std::map<std::string, Entry>& registry) {
  const std::vector<std::string> endpoints{"sinc", "encoder", "features", "last_hidden"};
  for (const bool light : {false, true}) {
    const std::string name = light ? "aasist_l" : "aasist";
    ModelInfo info{name, std::string("clovaai/aasist models/AASIST.py with config/") + (light ? "AASIST-L" : "AASIST") + ".conf",
                   static_cast<int>(kWindow), 2, endpoints, "out_layer.weight"};
    info.input = ModelInput::Waveform;
    info.sample_rate = kSampleRate;
    info.embedding = "last_hidden";
    const Config config = aasist_config(light);
    registry[name] = Entry{info, [config](int n) { return std::make_shared<Aasist>(config, n); }, false};
  }
}

}  // namespace dfd::zoo
