// Which quarter turn stands a set of frames' faces upright, asked of the face detector itself
// (Orientation::Auto in dfd/face_extractor.hpp).
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/face.hpp"

namespace dfd {

// Clockwise degrees (0, 90, 180 or 270) to turn `images` by so that `detector` is surest of their
// faces. `found` holds the detector's faces in each image as given (one entry per image).
// Returns 0 at once when the best faces of up to five frames all score at least 0.999 (a clear
// upright face's usual certainty). Otherwise, first, those faces are cut out (twice their size)
// and searched again turned by each quarter: a turn wins when the median logit of its probes' best
// scores beats the untouched patches' by 2. Failing that, when most frames had no face as given,
// up to four of those frames are searched whole in the three other turns: the turn finding faces
// in the most of them (the surest, between equals) wins if that is at least half and it is surer
// of them than of the faces found as given.
// requires: found.size() == images.size(); images RGB uint8.
int upright_rotation(FaceDetector& detector, const std::vector<cv::Mat>& images,
                     const std::vector<std::vector<Face>>& found);

}  // namespace dfd
