// Aggregation of per-face scores; confident_strategy against selimsef's (golden g5).
#include "dfd_test.hpp"

#include <cmath>
#include <cstring>

#include "dfd/detector.hpp"
#include "dfd/safetensors.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;

TEST_CASE("g5: confident_strategy equals selimsef's, float64 and float32") {
  const dfd::SafetensorsFile golden(shared_path("golden/g5_aggregation/confident_strategy.safetensors"));
  int cases = 0;
  for (const std::string& name : golden.names()) {
    const auto slash = name.find("/pred");
    if (slash == std::string::npos) continue;
    const std::string c = name.substr(0, slash);
    INFO(c);
    const dfd::TensorView& pred = golden.tensor(name);
    const dfd::TensorView& result = golden.tensor(c + "/result");
    const int64_t branch = *reinterpret_cast<const int64_t*>(golden.tensor(c + "/branch").data);
    if (pred.dtype == dfd::Dtype::F32) {
      std::vector<float> p(static_cast<size_t>(pred.numel()));
      std::memcpy(p.data(), pred.data, pred.nbytes);
      const dfd::ConfidentResult r = dfd::confident_strategy(p);
      const float expected = *reinterpret_cast<const float*>(result.data);
      CHECK(static_cast<float>(r.value) == expected);  // bit for bit, as numpy's float32 mean
      CHECK(r.branch == branch);
    } else {
      std::vector<double> p(static_cast<size_t>(pred.numel()));
      std::memcpy(p.data(), pred.data, pred.nbytes);
      const dfd::ConfidentResult r = dfd::confident_strategy(p);
      CHECK(std::abs(r.value - *reinterpret_cast<const double*>(result.data)) <= 1e-12);
      CHECK(r.branch == branch);
      CHECK(dfd::aggregate(p, dfd::Aggregation::Confident) == r.value);
    }
    ++cases;
  }
  CHECK(cases == 16);
}

TEST_CASE("aggregation: mean, median, max, per identity, and no silent score for no face" * doctest::test_suite("unit")) {
  const std::vector<double> p = {0.1, 0.9, 0.4, 0.6};
  CHECK(dfd::aggregate(p, dfd::Aggregation::Mean) == doctest::Approx(0.5));
  CHECK(dfd::aggregate(p, dfd::Aggregation::Median) == doctest::Approx(0.5));
  CHECK(dfd::aggregate({0.1, 0.9, 0.4}, dfd::Aggregation::Median) == doctest::Approx(0.4));
  CHECK(dfd::aggregate(p, dfd::Aggregation::Max) == 0.9);
  // Two people: one clearly real, one swapped. The video is as fake as its most fake person.
  const std::vector<std::vector<double>> tracks = {{0.05, 0.1, 0.08}, {0.7, 0.9, 0.8}, {}};
  CHECK(dfd::aggregate_identities(tracks, dfd::Aggregation::Mean) == doctest::Approx(0.8));
  CHECK_THROWS_AS(dfd::aggregate({}, dfd::Aggregation::Mean), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::aggregate_identities({{}, {}}, dfd::Aggregation::Max), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::confident_strategy(std::vector<double>{}), dfd::InvalidArgument);
  CHECK(dfd::aggregation("confident") == dfd::Aggregation::Confident);
  CHECK(dfd::to_string(dfd::Aggregation::Median) == "median");
  CHECK_THROWS_AS(dfd::aggregation("vote"), dfd::InvalidArgument);
}

TEST_CASE("combine_scores: a face's models combined as the Detector and dfd explain do; checked weights" * doctest::test_suite("unit")) {
  using Combine = dfd::Combine;
  CHECK(dfd::combine_scores({0.2f, 0.8f}, {1.0f, 3.0f}, Combine::Probabilities) == doctest::Approx(0.65));
  const double z = (1 * std::log(0.2 / 0.8) + 3 * std::log(0.8 / 0.2)) / 4;
  CHECK(dfd::combine_scores({0.2f, 0.8f}, {1.0f, 3.0f}, Combine::Logits) == doctest::Approx(1 / (1 + std::exp(-z))));
  CHECK(dfd::combine_scores({0.0f}, {1.0f}, Combine::Logits) == doctest::Approx(1e-7));  // a finite logit
  CHECK_THROWS_AS(dfd::combine_scores({0.5f}, {1.0f, 1.0f}, Combine::Probabilities), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::combine_scores({}, {}, Combine::Probabilities), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::combine_scores({0.5f, 0.5f}, {0.0f, 0.0f}, Combine::Probabilities), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::combine_scores({0.5f}, {-1.0f}, Combine::Probabilities), dfd::InvalidArgument);
}
