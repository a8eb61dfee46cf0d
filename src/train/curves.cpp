#include "curves.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace dfd {
namespace {

struct Series {
  const char* label;
  std::vector<double> values;
  cv::Scalar colour;  // BGR
};

void draw_panel(cv::Mat& img, cv::Rect area, const std::string& title, const std::vector<Series>& series, double lo,
                double hi) {
  const cv::Scalar grid(225, 225, 225), ink(40, 40, 40);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const size_t n = series.empty() ? 0 : series[0].values.size();
  const auto at = [&](double i, double v) {
    const double x = n > 1 ? i / double(n - 1) : 0.5;
    return cv::Point(area.x + int(x * area.width + 0.5), area.y + int((1 - (v - lo) / (hi - lo)) * area.height + 0.5));
  };
  for (int k = 0; k <= 4; ++k) {
    const double v = lo + (hi - lo) * k / 4;
    cv::line(img, at(0, v), at(double(std::max<size_t>(n, 2) - 1), v), grid, 1);
    cv::putText(img, fmt::format("{:.2f}", v), at(0, v) + cv::Point(-48, 4), font, 0.4, ink, 1, cv::LINE_AA);
  }
  for (size_t i = 0; i < n; ++i) {
    cv::putText(img, std::to_string(i + 1), at(double(i), lo) + cv::Point(-4, 18), font, 0.4, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(img, area, ink, 1);
  cv::putText(img, title, cv::Point(area.x, area.y - 10), font, 0.55, ink, 1, cv::LINE_AA);
  int legend = 0;
  for (const Series& s : series) {
    std::vector<cv::Point> run;
    const auto flush = [&] {
      if (run.size() > 1) cv::polylines(img, run, false, s.colour, 2, cv::LINE_AA);
      for (const cv::Point& p : run) cv::circle(img, p, 3, s.colour, cv::FILLED, cv::LINE_AA);
      run.clear();
    };
    for (size_t i = 0; i < s.values.size(); ++i) {
      if (std::isfinite(s.values[i])) {
        run.push_back(at(double(i), std::clamp(s.values[i], lo, hi)));
      } else {
        flush();
      }
    }
    flush();
    const cv::Point l(area.x + area.width - 190, area.y + 18 + 18 * legend++);
    cv::line(img, l, l + cv::Point(20, 0), s.colour, 3);
    cv::putText(img, s.label, l + cv::Point(26, 5), font, 0.45, ink, 1, cv::LINE_AA);
  }
}

}  // namespace

void write_training_curves(const std::string& path, const std::vector<EpochMetrics>& history) {
  Series train{"train loss", {}, {180, 90, 30}}, val{"val loss (faces)", {}, {40, 120, 230}},
      video{"val loss (videos)", {}, {60, 160, 60}};
  Series auc{"val AUC (faces)", {}, {40, 120, 230}}, video_auc{"val AUC (videos)", {}, {60, 160, 60}};
  double top = 0.0;
  for (const EpochMetrics& m : history) {
    train.values.push_back(m.train_loss);
    val.values.push_back(m.val_loss);
    video.values.push_back(m.val_video_loss);
    auc.values.push_back(m.val_auc);
    video_auc.values.push_back(m.val_video_auc);
    for (double v : {m.train_loss, m.val_loss, m.val_video_loss}) {
      if (std::isfinite(v)) top = std::max(top, v);
    }
  }
  cv::Mat img(440, 960, CV_8UC3, cv::Scalar(255, 255, 255));
  draw_panel(img, cv::Rect(70, 40, 380, 340), "log loss per epoch", {train, val, video}, 0.0,
             std::max(0.1, std::ceil(top * 10) / 10));
  draw_panel(img, cv::Rect(560, 40, 380, 340), "validation AUC per epoch", {auc, video_auc}, 0.0, 1.0);
  if (!cv::imwrite(path, img)) throw IoError(path, "cannot write the training curves");
}

}  // namespace dfd
