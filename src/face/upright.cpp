#include "upright.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "dfd/error.hpp"
#include "dfd/image.hpp"

namespace dfd {
namespace {

constexpr size_t kFaceProbes = 5;   // the best faces probed: small patches, cheap
constexpr size_t kFrameProbes = 4;  // faceless whole frames probed: full detections, dearer
// A face probe's side in pixels: its face is about half of it, 128 px, which every detector's
// defaults find (MTCNN at half size sees 64 px, above the default preset's 40).
constexpr int kProbeSide = 256;
// MTCNN's O-Net gives a sideways or upside-down face 0.8-0.997 (turned FF++ videos) and the best
// upright faces of a clear video 0.999+ (all five probed ones in 109 of the 115 dev files): when
// every probed face is that sure, nothing is probed. (How sure it is of an upright face depends on
// the source — 0.81-0.96 in a 1080p DFDC video with small faces — so no turn is judged by this.)
constexpr float kCertain = 0.999f;
// A turn must make the detector this much surer than as decoded, in median logit (odds x7.4): an
// upright frame's own turned probes score far below it, never near. The median, because one
// probe may be a spurious face that no turn finds again.
constexpr double kMinLogitGain = 2.0;
constexpr double kScoreClamp = 1e-6;  // "no face" scores this; certainties are capped at 1 - this

double logit(double score) {
  const double p = std::clamp(score, kScoreClamp, 1.0 - kScoreClamp);
  return std::log(p / (1.0 - p));
}

// The face the detector is surest of; nullptr when there is none.
const Face* best_face(const std::vector<Face>& faces) {
  const auto it = std::max_element(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score < b.score; });
  return it == faces.end() ? nullptr : &*it;
}

double best_score(const std::vector<Face>& faces) {
  const Face* face = best_face(faces);
  return face ? static_cast<double>(face->score) : 0.0;
}

// The square twice the face's longer side around its centre (black beyond the image's edge),
// resized to kProbeSide: room for the face however it is turned, and one size for every probe, so
// all probes and their turns share each network call.
cv::Mat patch_around(const cv::Mat& image, const Box& box) {
  const int side = std::max(1, cvRound(2.0f * std::max(box.x2 - box.x1, box.y2 - box.y1)));
  const cv::Rect square(cvRound(0.5f * (box.x1 + box.x2)) - side / 2, cvRound(0.5f * (box.y1 + box.y2)) - side / 2, side, side);
  const cv::Rect inside = square & cv::Rect(0, 0, image.cols, image.rows);
  if (inside.empty()) return {};
  cv::Mat patch = cv::Mat::zeros(side, side, image.type());
  image(inside).copyTo(patch(inside - square.tl()));
  cv::Mat out;
  cv::resize(patch, out, cv::Size(kProbeSide, kProbeSide), 0, 0, side > kProbeSide ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

// (dfd::aggregate has a median, but the face layer may not use detect's.)
double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// The detector's best score on each probe, per quarter turn q in `turns` (the probes turned
// clockwise by 90 q degrees), all in one detector call.
std::array<std::vector<double>, 4> best_scores(FaceDetector& detector, const std::vector<cv::Mat>& probes,
                                               const std::vector<int>& turns) {
  std::vector<cv::Mat> turned;
  for (int q : turns) {
    for (const cv::Mat& p : probes) turned.push_back(turn_clockwise(p, 90 * q));
  }
  const std::vector<std::vector<Face>> found = detector.detect(turned);
  std::array<std::vector<double>, 4> out;
  for (size_t t = 0; t < turns.size(); ++t) {
    for (size_t i = 0; i < probes.size(); ++i) out[static_cast<size_t>(turns[t])].push_back(best_score(found[t * probes.size() + i]));
  }
  return out;
}

// Stage 1: patches around the best faces found as decoded, searched again in all four turns. A
// turn wins when the median logit of its probes' best scores beats the untouched patches' by
// kMinLogitGain.
int turn_of_faces(FaceDetector& detector, const std::vector<cv::Mat>& images, const std::vector<std::vector<Face>>& found,
                  const std::vector<std::pair<double, size_t>>& best) {
  std::vector<cv::Mat> probes;
  for (const auto& [s, i] : best) {
    cv::Mat patch = patch_around(images[i], best_face(found[i])->box);  // frames in `best` have faces
    if (!patch.empty()) probes.push_back(std::move(patch));
  }
  if (probes.empty()) return 0;
  // Turn 0 is searched again too: a patch's score is not the whole frame's, and turns compare alike.
  const auto scores = best_scores(detector, probes, {0, 1, 2, 3});
  std::array<double, 4> evidence{};
  for (size_t q = 0; q < 4; ++q) {
    std::vector<double> logits;
    for (double s : scores[q]) logits.push_back(logit(s));
    evidence[q] = median(std::move(logits));
  }
  size_t turn = 0;
  for (size_t q = 1; q < 4; ++q) {
    if (evidence[q] > evidence[turn]) turn = q;
  }
  const bool taken = turn != 0 && evidence[turn] >= evidence[0] + kMinLogitGain;
  return taken ? static_cast<int>(90 * turn) : 0;
}

// Stage 2: frames where nothing was found as decoded, when they are most of the frames (a face
// the detector cannot see sideways at all), searched whole in the three other turns. The turn that
// finds faces in the most of them (the surest, between equals) wins if that is at least half and
// the detector is surer of its faces, on average in logit, than of the faces found as decoded
// (`decoded_logit`; none found: any) — so a few spurious faces in turned frames cannot turn a
// video whose upright faces were found.
int turn_of_faceless_frames(FaceDetector& detector, const std::vector<cv::Mat>& images,
                            const std::vector<std::vector<Face>>& found, double decoded_logit) {
  std::vector<size_t> faceless;
  for (size_t i = 0; i < found.size(); ++i) {
    if (found[i].empty()) faceless.push_back(i);
  }
  if (faceless.empty() || 2 * faceless.size() <= images.size()) return 0;
  const size_t n = std::min(kFrameProbes, faceless.size());
  std::vector<cv::Mat> probes;
  for (size_t k = 0; k < n; ++k) probes.push_back(images[faceless[(2 * k + 1) * faceless.size() / (2 * n)]]);
  const auto scores = best_scores(detector, probes, {1, 2, 3});
  // Per turn: the probes where it found a face, then (a detector often finds an upside-down face
  // too) how sure it was of them, summed in logit.
  std::array<std::pair<size_t, double>, 4> found_turned{};
  for (size_t q = 1; q < 4; ++q) {
    for (double s : scores[q]) {
      if (s > 0) found_turned[q] = {found_turned[q].first + 1, found_turned[q].second + logit(s)};
    }
  }
  const size_t turn = static_cast<size_t>(std::max_element(found_turned.begin() + 1, found_turned.end()) - found_turned.begin());
  const auto& [faces, logit_sum] = found_turned[turn];
  const bool taken = faces >= (n + 1) / 2 && logit_sum / static_cast<double>(faces) > decoded_logit;
  return taken ? static_cast<int>(90 * turn) : 0;
}

}  // namespace

int upright_rotation(FaceDetector& detector, const std::vector<cv::Mat>& images,
                     const std::vector<std::vector<Face>>& found) {
  if (found.size() != images.size()) {
    throw InvalidArgument("found", "must hold one detection list per image");
  }
  // The frames whose best faces score highest: where a face most likely is.
  std::vector<std::pair<double, size_t>> best;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!found[i].empty()) best.emplace_back(best_score(found[i]), i);
  }
  std::stable_sort(best.begin(), best.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (best.size() > kFaceProbes) best.resize(kFaceProbes);

  if (!best.empty() && std::all_of(best.begin(), best.end(), [](const auto& b) { return b.first >= kCertain; })) return 0;
  double decoded_logit = logit(0.0);  // how sure the detector is of the faces found as decoded
  if (!best.empty()) {
    if (const int turn = turn_of_faces(detector, images, found, best)) return turn;
    std::vector<double> logits;
    for (const auto& b : best) logits.push_back(logit(b.first));
    decoded_logit = median(std::move(logits));
  }
  return turn_of_faceless_frames(detector, images, found, decoded_logit);
}

}  // namespace dfd
