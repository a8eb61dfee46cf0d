#include "roc_png.hpp"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/error.hpp"

namespace dfd::cli {

void write_roc_png(const std::string& path, const std::vector<RocPlotCurve>& curves) {
  constexpr int kSize = 640, kLeft = 70, kBottom = 60, kTop = 40, kRight = 30;
  const int plot = kSize - kLeft - kRight;  // square plot area
  cv::Mat img(kSize, kSize, CV_8UC3, cv::Scalar(255, 255, 255));
  auto at = [&](double fpr, double tpr) {
    return cv::Point(kLeft + static_cast<int>(fpr * plot + 0.5), kTop + static_cast<int>((1 - tpr) * plot + 0.5));
  };
  const cv::Scalar grid(225, 225, 225), ink(40, 40, 40);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  for (int i = 0; i <= 10; ++i) {
    const double v = i / 10.0;
    cv::line(img, at(v, 0), at(v, 1), grid, 1);
    cv::line(img, at(0, v), at(1, v), grid, 1);
    const std::string tick = fmt::format("{:.1f}", v);
    cv::putText(img, tick, at(v, 0) + cv::Point(-12, 20), font, 0.4, ink, 1, cv::LINE_AA);
    cv::putText(img, tick, at(0, v) + cv::Point(-32, 4), font, 0.4, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(img, at(0, 1), at(1, 0), ink, 1);
  cv::line(img, at(0, 0), at(1, 1), cv::Scalar(160, 160, 160), 1, cv::LINE_AA);
  cv::putText(img, "false positive rate", cv::Point(kLeft + plot / 2 - 80, kSize - 18), font, 0.55, ink, 1, cv::LINE_AA);
  cv::putText(img, "true positive rate", cv::Point(8, kTop - 14), font, 0.55, ink, 1, cv::LINE_AA);
  const cv::Scalar colours[] = {{180, 90, 30}, {40, 120, 230}, {60, 160, 60}, {160, 60, 160}};  // BGR
  for (size_t c = 0; c < curves.size(); ++c) {
    const cv::Scalar colour = colours[c % 4];
    const metrics::RocCurve& r = curves[c].curve;
    std::vector<cv::Point> pts;
    for (size_t i = 0; i < r.fpr.size(); ++i) pts.push_back(at(r.fpr[i], r.tpr[i]));
    cv::polylines(img, pts, false, colour, 2, cv::LINE_AA);
    const cv::Point legend = at(0.45, 0.08 + 0.06 * static_cast<double>(curves.size() - 1 - c));
    cv::line(img, legend, legend + cv::Point(24, 0), colour, 3);
    cv::putText(img, curves[c].label, legend + cv::Point(32, 5), font, 0.5, ink, 1, cv::LINE_AA);
  }
  if (!cv::imwrite(path, img)) throw IoError(path, "cannot write the ROC image");
}

}  // namespace dfd::cli
