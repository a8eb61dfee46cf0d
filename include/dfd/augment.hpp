// dfd/augment.hpp — training augmentations of face crops, the DFDC winner's set (selimsef's
// create_train_transforms, albumentations), seeded so a run can be repeated to the pixel.
//
// In order, each with its probability: JPEG re-compression (quality 60–100, p 0.5), Gaussian
// noise (variance 10–50, p 0.1), Gaussian blur (3x3, p 0.05), horizontal flip (p 0.5), the
// isotropic resize to `size` with a random pair of interpolations (down AREA / up CUBIC, AREA /
// LINEAR, LINEAR / LINEAR) and centred zero padding to size x size, one colour change (p 0.7:
// brightness/contrast ±0.2, FancyPCA (alpha 0.1) or hue/saturation/value ±20/30/20), grey (p 0.2),
// shift-scale-rotate (shift ±0.1, scale ±0.2, rotation ±10°, zero border, p 0.5). With 68
// landmarks, part dropout first (p `part_dropout_p`): the eyes, the nose, the mouth or the lower
// face blanked, as his landmark-guided cutout does.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

struct AugmentParams {
  int size = 380;                  // the square output side
  double jpeg_p = 0.5;
  int jpeg_quality_min = 60, jpeg_quality_max = 100;
  double noise_p = 0.1;
  double noise_variance_min = 10, noise_variance_max = 50;
  double blur_p = 0.05;
  double flip_p = 0.5;
  double colour_p = 0.7;
  double gray_p = 0.2;
  double shift_scale_rotate_p = 0.5;
  double shift = 0.1, scale = 0.2, rotate_degrees = 10;
  double part_dropout_p = 0.3;     // only with landmarks
};

// One augmented copy of `face`. `landmarks`: its 68 points (dfd/face_landmarks.hpp) for part
// dropout, or empty (no dropout).
// requires: face CV_8UC3 RGB non-empty; landmarks empty or 68 points; size >= 1; probabilities in
// [0, 1]; 1 <= jpeg quality min <= max <= 100; variances, shift, scale, rotation >= 0.
// ensures: size x size CV_8UC3; the same face, landmarks, seed and params give the same image.
// throws: InvalidArgument.
cv::Mat augment(const cv::Mat& face, uint64_t seed, const AugmentParams& params = {},
                const std::vector<cv::Point2f>& landmarks = {});

// Part dropout alone: `part` 0 the eyes, 1 the nose, 2 the mouth, 3 the lower face (below the
// nose), filled with zeros (the convex hull of that part's landmarks, grown a little).
// requires: face CV_8UC3, 68 landmarks, 0 <= part <= 3. throws: InvalidArgument.
cv::Mat drop_face_part(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, int part);

}  // namespace dfd
DFD_END_API
