// dfd/face_regions.hpp — where a map lands on the face: regions laid out from the detector's
// landmarks, each region's share of a map's mass, and a sentence saying so. OpenCV only.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// Face regions from a detector's landmarks (BlazeFace's 6 or MTCNN's 5, by name:
// left_eye, right_eye, nose, mouth or mouth_left + mouth_right, optional left_ear, right_ear), laid
// out in the face's own frame (eye line horizontal, eye distance 1) so tilted faces work. Left and
// right are as seen in the image, like the landmark names.
const std::vector<std::string>& face_region_names();  // index = label; the last is "background"

// Each pixel of an image of `size` labelled with its region's index (CV_8U).
// requires: landmarks in that image's pixels with the names above. throws: InvalidArgument.
cv::Mat face_region_labels(cv::Size size, const std::vector<cv::Point2f>& landmarks,
                           const std::vector<std::string>& landmark_names);

struct RegionShare {
  std::string region;
  float share = 0.0f;  // of the map's total mass, in [0, 1]
};

// The share of the map's mass in each region, largest first (regions with none left out).
// requires: cam CV_32F non-negative of the labels' size.
std::vector<RegionShare> region_shares(const cv::Mat& cam, const cv::Mat& labels);

// "mostly on the mouth (41%) and the left eye (22%)": the leading regions until 60% of the mass.
std::string describe(const std::vector<RegionShare>& shares);

}  // namespace dfd
DFD_END_API
