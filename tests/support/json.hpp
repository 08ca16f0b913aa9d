// A small JSON reader for the test vectors: objects, arrays, strings (with \u escapes in the
// Basic Multilingual Plane), numbers, booleans and null. Throws std::runtime_error on bad input.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace stronghold::test {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json, std::less<>>;

  static Json parse(std::string_view text);

  const Json& operator[](std::string_view key) const;  // throws when absent
  const Json& operator[](std::size_t index) const;
  bool contains(std::string_view key) const;
  const Array& array() const;
  const Object& object() const;
  const std::string& string() const;
  double number() const;
  bool boolean() const;
  bool is_null() const { return std::holds_alternative<std::nullptr_t>(value_); }

 private:
  friend class JsonParser;
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>, std::shared_ptr<Object>> value_;
};

}  // namespace stronghold::test
