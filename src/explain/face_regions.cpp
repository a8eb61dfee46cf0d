// Face regions from detector landmarks, and the share of a CAM's mass in each.
//
// Regions are laid out in the face's own frame: origin at the eyes' midpoint, u along the eye line
// (image left to right), v perpendicular (down), unit = the eye distance. The proportions below
// are those of a frontal face (eyes 1 apart, nose tip ~0.6 and mouth ~1.0 below the eye line);
// nose and mouth come from the landmarks themselves, so they follow the face.
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "dfd/face_regions.hpp"

namespace dfd {
namespace {

enum Region : uint8_t {
  kLeftEye, kRightEye, kMouth, kNose, kEyebrowsForehead, kLeftCheek, kRightCheek, kJaw, kLeftEar, kRightEar,
  kBackground
};

struct Ellipse {
  cv::Point2f centre;
  float ru, rv;
  bool contains(cv::Point2f p) const {
    const float du = (p.x - centre.x) / ru, dv = (p.y - centre.y) / rv;
    return du * du + dv * dv <= 1.0f;
  }
};

}  // namespace

const std::vector<std::string>& face_region_names() {
  static const std::vector<std::string> names = {"left_eye",   "right_eye",   "mouth", "nose",     "eyebrows_forehead",
                                                 "left_cheek", "right_cheek", "jaw",   "left_ear", "right_ear",
                                                 "background"};
  return names;
}

cv::Mat face_region_labels(cv::Size size, const std::vector<cv::Point2f>& landmarks,
                           const std::vector<std::string>& landmark_names) {
  if (size.empty()) throw InvalidArgument("size", "must not be empty");
  if (landmarks.size() != landmark_names.size()) {
    throw InvalidArgument("landmarks", fmt::format("{} points for {} names", landmarks.size(), landmark_names.size()));
  }
  std::map<std::string, cv::Point2f> at;
  for (size_t i = 0; i < landmarks.size(); ++i) at[landmark_names[i]] = landmarks[i];
  for (const char* needed : {"left_eye", "right_eye", "nose"}) {
    if (!at.count(needed)) {
      throw InvalidArgument("landmarks", fmt::format("no '{}' landmark: face regions need a detector with landmarks "
                                                     "(BlazeFace or MTCNN)", needed));
    }
  }
  if (!at.count("mouth")) {
    if (!at.count("mouth_left") || !at.count("mouth_right")) throw InvalidArgument("landmarks", "no mouth landmark");
    at["mouth"] = (at["mouth_left"] + at["mouth_right"]) * 0.5f;
  }
  const cv::Point2f left_eye = at["left_eye"], right_eye = at["right_eye"];
  const cv::Point2f origin = (left_eye + right_eye) * 0.5f;
  // u from the image-left eye to the image-right one.
  cv::Point2f axis = left_eye.x <= right_eye.x ? right_eye - left_eye : left_eye - right_eye;
  const float eye_distance = std::max(1.0f, std::hypot(axis.x, axis.y));
  axis /= eye_distance;
  const cv::Point2f down(-axis.y, axis.x);
  auto to_face = [&](cv::Point2f p) {
    const cv::Point2f d = p - origin;
    return cv::Point2f(d.dot(axis) / eye_distance, d.dot(down) / eye_distance);
  };
  const cv::Point2f nose = to_face(at["nose"]), mouth = to_face(at["mouth"]);
  const float mouth_half_width =
      at.count("mouth_left") ? std::max(0.3f, std::abs(to_face(at["mouth_right"]).x - to_face(at["mouth_left"]).x) / 2 + 0.1f)
                             : 0.45f;
  const float chin = mouth.y + 0.75f;
  const Ellipse eyes[2] = {{{-0.5f, 0.0f}, 0.3f, 0.2f}, {{0.5f, 0.0f}, 0.3f, 0.2f}};
  const Ellipse mouth_region{mouth, mouth_half_width, 0.22f};
  const float nose_top = 0.12f, nose_bottom = nose.y + 0.1f;
  const Ellipse nose_region{{nose.x, (nose_top + nose_bottom) / 2}, 0.22f, std::max(0.15f, (nose_bottom - nose_top) / 2)};
  // Ears: BlazeFace gives their tragions; otherwise beside the eyes, a little lower.
  const bool image_left_is_left = left_eye.x <= right_eye.x;
  cv::Point2f ear[2] = {{-1.15f, 0.35f}, {1.15f, 0.35f}};  // [0] image left, [1] image right
  if (at.count("left_ear")) ear[image_left_is_left ? 0 : 1] = to_face(at["left_ear"]);
  if (at.count("right_ear")) ear[image_left_is_left ? 1 : 0] = to_face(at["right_ear"]);
  const Ellipse ears[2] = {{ear[0], 0.3f, 0.45f}, {ear[1], 0.3f, 0.45f}};

  cv::Mat labels(size, CV_8U);
  for (int y = 0; y < size.height; ++y) {
    uint8_t* row = labels.ptr<uint8_t>(y);
    for (int x = 0; x < size.width; ++x) {
      const cv::Point2f p = to_face(cv::Point2f(x + 0.5f, y + 0.5f));
      Region r = kBackground;
      if (eyes[0].contains(p)) r = image_left_is_left ? kLeftEye : kRightEye;
      else if (eyes[1].contains(p)) r = image_left_is_left ? kRightEye : kLeftEye;
      else if (mouth_region.contains(p)) r = kMouth;
      else if (nose_region.contains(p)) r = kNose;
      else if (p.y >= -0.95f && p.y < -0.15f && std::abs(p.x) <= 1.0f) r = kEyebrowsForehead;
      else if (p.y >= 0.15f && p.y < mouth.y && p.x < -0.25f && p.x >= -1.0f) r = image_left_is_left ? kLeftCheek : kRightCheek;
      else if (p.y >= 0.15f && p.y < mouth.y && p.x > 0.25f && p.x <= 1.0f) r = image_left_is_left ? kRightCheek : kLeftCheek;
      else if (p.y >= mouth.y && p.y <= chin && std::abs(p.x) <= 0.95f) r = kJaw;
      else if (ears[0].contains(p)) r = image_left_is_left ? kLeftEar : kRightEar;
      else if (ears[1].contains(p)) r = image_left_is_left ? kRightEar : kLeftEar;
      row[x] = r;
    }
  }
  return labels;
}

std::vector<RegionShare> region_shares(const cv::Mat& cam, const cv::Mat& labels) {
  if (cam.empty() || cam.type() != CV_32F) throw InvalidArgument("cam", "expected a non-empty float32 map");
  if (labels.size() != cam.size() || labels.type() != CV_8U) throw InvalidArgument("labels", "must be CV_8U of the map's size");
  const auto& names = face_region_names();
  std::vector<double> mass(names.size(), 0.0);
  double total = 0.0;
  for (int y = 0; y < cam.rows; ++y) {
    const float* c = cam.ptr<float>(y);
    const uint8_t* l = labels.ptr<uint8_t>(y);
    for (int x = 0; x < cam.cols; ++x) {
      const double v = std::max(0.0f, c[x]);
      mass[std::min<size_t>(l[x], names.size() - 1)] += v;
      total += v;
    }
  }
  std::vector<RegionShare> shares;
  if (total <= 0) return shares;
  for (size_t i = 0; i < names.size(); ++i) {
    if (mass[i] > 0) shares.push_back({names[i], static_cast<float>(mass[i] / total)});
  }
  std::stable_sort(shares.begin(), shares.end(), [](const RegionShare& a, const RegionShare& b) { return a.share > b.share; });
  return shares;
}

std::string describe(const std::vector<RegionShare>& shares) {
  if (shares.empty()) return "no evidence anywhere (an all-zero map)";
  std::vector<std::string> parts;
  float covered = 0.0f;
  for (const RegionShare& s : shares) {
    std::string name = s.region;
    std::replace(name.begin(), name.end(), '_', ' ');
    if (name == "eyebrows forehead") name = "eyebrows and forehead";
    parts.push_back(fmt::format("the {} ({:.0f}%)", name, 100.0f * s.share));
    covered += s.share;
    if (covered >= 0.6f || parts.size() == 3) break;
  }
  std::string text = "mostly on " + parts[0];
  for (size_t i = 1; i < parts.size(); ++i) text += (i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return text;
}

}  // namespace dfd
