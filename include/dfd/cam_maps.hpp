// dfd/cam_maps.hpp — what is done with class-activation maps once computed: shown over the image,
// refined by a coarser map, fused across models, placed back in the frame. OpenCV only.
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/error.hpp"
#include "dfd/face_extractor.hpp"


DFD_BEGIN_API
namespace dfd {

// pytorch-grad-cam's show_cam_on_image: the map through OpenCV's JET colour map, blended
// (1 - image_weight) * heatmap + image_weight * image and rescaled so the maximum is 255.
// requires: image RGB uint8, cam CV_32F in [0, 1] (resized to the image when sizes differ).
// ensures: RGB uint8 of the image's size.
cv::Mat overlay(const cv::Mat& image, const cv::Mat& cam, float image_weight = 0.5f);

// The penultimate block's (finer) map kept only where the last block's (coarser) map says the
// evidence is: their product, min-max scaled. requires: CV_32F maps of one size.
cv::Mat refine_with_coarse(const cv::Mat& fine, const cv::Mat& coarse);

// The weighted mean of several models' maps of one crop, min-max scaled.
// requires: CV_32F maps of one size, one weight >= 0 per map, a positive sum. throws: InvalidArgument.
cv::Mat fuse_maps(const std::vector<cv::Mat>& maps, const std::vector<float>& weights);

// A crop's map (in FaceCrop::image pixels) placed in the frame it came from: frame-size CV_32F,
// zero outside the crop's region (the resize, padding and margin undone).
cv::Mat map_to_frame(const cv::Mat& crop_map, const FaceCrop& crop, cv::Size frame_size);

}  // namespace dfd
DFD_END_API
