#include "detector.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/detector.hpp"

namespace py = pybind11;

namespace dfd::python {

void register_detector(py::module_& m) {
  m.def(
      "confident_strategy",
      [](const py::array& pred, double t) -> py::tuple {
        // float32 scores follow numpy's float32 arithmetic, as selimsef's code does on them.
        if (pred.dtype().is(py::dtype::of<float>())) {
          const auto a = pred.cast<py::array_t<float, py::array::c_style | py::array::forcecast>>();
          const ConfidentResult r = confident_strategy(std::vector<float>(a.data(), a.data() + a.size()), static_cast<float>(t));
          return py::make_tuple(py::float_(static_cast<float>(r.value)), static_cast<int>(r.branch));
        }
        const auto a = pred.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
        const ConfidentResult r = confident_strategy(std::vector<double>(a.data(), a.data() + a.size()), t);
        return py::make_tuple(r.value, static_cast<int>(r.branch));
      },
      py::arg("pred"), py::arg("t") = 0.8,
      "selimsef's confident_strategy: (score, branch) with branch 0 = confident fake, 1 = confident real, 2 = mean.");
  m.def(
      "aggregate", [](const std::vector<double>& p, const std::string& how) { return aggregate(p, aggregation(how)); },
      py::arg("scores"), py::arg("how") = "confident", "One score from many: mean, median, max or confident.");
  m.def(
      "aggregate_identities",
      [](const std::vector<std::vector<double>>& tracks, const std::string& how) {
        return aggregate_identities(tracks, aggregation(how));
      },
      py::arg("tracks"), py::arg("how") = "confident", "Each track aggregated; the most fake one decides.");
}

}  // namespace dfd::python
