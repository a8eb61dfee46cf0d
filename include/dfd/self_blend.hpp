// dfd/self_blend.hpp — self-blended images (Shiohara & Yamasaki, "Detecting Deepfakes with
// Self-Blended Images", CVPR 2022): a training fake made from one real face alone.
//
// A copy of the face (the source) is altered in colour and frequency, shifted and deformed a
// little, and blended back onto the face through a soft mask grown from the convex hull of its
// 68 landmarks. What remains is exactly what face swaps leave behind — a blending boundary, a
// colour and sharpness mismatch, a slightly misregistered face — without any manipulation
// method's own fingerprint, so a detector trained on them generalises across methods.
//
// Steps, each drawn from the seed (std::mt19937_64; the same seed gives the same images):
//  1. mask = the filled convex hull of the landmarks (frame pixels of `face`); with
//     `hull_variants` and 68 landmarks, the hull of one region drawn among four, as swaps and
//     reenactments replace different regions: the whole face; the face and forehead (the
//     eyebrows lifted by 15–35 % of the brow-to-chin height); the lower face (jaw points 2–14,
//     nose 29–35); the inner face (points 17–67: brows, eyes, nose, mouth);
//  2. one of the two images — the source with probability 1/2, else the target — gets the
//     alterations: an RGB shift (p 0.3), a hue/saturation/value shift, brightness/contrast, and
//     then either a down-and-up rescale or a sharpen; a grayscale face (channels within 6 levels
//     of each other) is made grayscale again after them, so its fakes differ from it in
//     brightness and detail but never in colour — a colour-only tell no real swap gives;
//  3. the source and the mask are moved together by a random affine (translation, scale) and the
//     mask alone by an elastic deformation;
//  4. the mask is blurred as SBI's dynamic blend does (resized to 192–256 px, Gaussian, kept where
//     it stays 1, Gaussian again, rescaled to a peak of 1, resized back) and multiplied by a blend
//     ratio drawn from `blend_ratios`;
//  5. fake = mask * source + (1 - mask) * target, rounded to uint8.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

struct SelfBlendParams {
  bool alter = true;                 // step 2; false: source and target stay the face as given
  bool deform = true;                // step 3; false: no affine, no elastic deformation
  bool hull_variants = false;        // step 1: one of four face regions (68 landmarks) instead of the whole hull
  double translate_x = 0.03;         // affine translation, a share of the width, ±
  double translate_y = 0.015;        // and of the height, ±
  double scale = 0.95;               // affine scale drawn from [scale, 1 / scale]
  double elastic_alpha = 50.0;       // elastic deformation: displacement strength, pixels
  double elastic_sigma = 7.0;        // and smoothness (Gaussian sigma of the random field)
  int blur_kernel_min = 5;           // the two Gaussian kernels of step 4: odd sides in
  int blur_kernel_max = 25;          //   [min, max]
  std::vector<float> blend_ratios = {0.25f, 0.5f, 0.75f, 1.0f, 1.0f, 1.0f};  // drawn uniformly
};

struct SelfBlend {
  cv::Mat real;      // the target: the face, altered when step 2 chose it (label real)
  cv::Mat fake;      // the blend (label fake); RGB uint8 of the face's size
  cv::Mat mask;      // CV_32F in [0, ratio]: each pixel's share of the source
  float ratio = 1;   // the blend ratio drawn
};

// requires: face CV_8UC3 RGB, at least 16 x 16; landmarks: at least 3 points (the 68-point layout
// in practice, dfd/face_landmarks.hpp) in the face's pixels, their hull not degenerate; params
// in range (translations >= 0, 0 < scale <= 1, alpha and sigma >= 0, odd 1 <= kernel min <= max,
// ratios in (0, 1], at least one).
// ensures: real, fake of the face's size and type; mask zero outside the hull grown by the
// deformation and blur; the same seed and inputs give the same result.
// throws: InvalidArgument.
SelfBlend self_blend(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, uint64_t seed,
                     const SelfBlendParams& params = {});

}  // namespace dfd
DFD_END_API
