// The names of an enum's values, for parsing settings and writing them back: each enum has one
// table, beside the code that owns it, and every name -> enum parse in libdfd goes through it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dfd/error.hpp"
#include "dfd/utf8.hpp"

namespace dfd::detail {

template <class E>
struct EnumName {
  const char* name;
  E value;
};

template <class E, size_t N>
std::vector<std::string> enum_names(const EnumName<E> (&table)[N]) {
  std::vector<std::string> names;
  for (const auto& e : table) names.push_back(e.name);
  return names;
}

// The value called `name`. throws: InvalidArgument naming `what`, the name given and the valid ones.
template <class E, size_t N>
E parse_enum(const EnumName<E> (&table)[N], const std::string& name, const char* what) {
  for (const auto& e : table) {
    if (name == e.name) return e.value;
  }
  throw InvalidArgument(what, fmt::format("unknown {} '{}' (valid: {})", what, utf8_escaped(name),
                                          fmt::join(enum_names(table), ", ")));
}

// The first name of `value` in the table (a table may list aliases after it).
template <class E, size_t N>
std::string enum_name(const EnumName<E> (&table)[N], E value) {
  for (const auto& e : table) {
    if (e.value == value) return e.name;
  }
  return "?";
}

}  // namespace dfd::detail
