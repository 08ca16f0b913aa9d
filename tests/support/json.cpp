#include "support/json.hpp"

#include <cstdlib>
#include <stdexcept>

namespace stronghold::test {

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Json document() {
    Json value = parse_value();
    skip_space();
    if (pos_ != text_.size())
      fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t'))
      ++pos_;
  }
  char peek() {
    skip_space();
    if (pos_ >= text_.size())
      fail("unexpected end");
    return text_[pos_];
  }
  void expect(char c) {
    if (peek() != c)
      fail("unexpected character");
    ++pos_;
  }
  bool consume_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal)
      return false;
    pos_ += literal.size();
    return true;
  }

  Json parse_value() {
    Json json;
    const char c = peek();
    if (c == '{') {
      auto object = std::make_shared<Json::Object>();
      ++pos_;
      if (peek() != '}') {
        do {
          std::string key = parse_string();
          expect(':');
          (*object)[key] = parse_value();
        } while (peek() == ',' && (++pos_, true));
      }
      expect('}');
      json.value_ = object;
    } else if (c == '[') {
      auto array = std::make_shared<Json::Array>();
      ++pos_;
      if (peek() != ']') {
        do
          array->push_back(parse_value());
        while (peek() == ',' && (++pos_, true));
      }
      expect(']');
      json.value_ = array;
    } else if (c == '"') {
      json.value_ = parse_string();
    } else if (consume_literal("true")) {
      json.value_ = true;
    } else if (consume_literal("false")) {
      json.value_ = false;
    } else if (consume_literal("null")) {
      json.value_ = nullptr;
    } else {
      const char* start = text_.data() + pos_;
      char* end = nullptr;
      const double number = std::strtod(start, &end);
      if (end == start)
        fail("bad value");
      pos_ += static_cast<std::size_t>(end - start);
      json.value_ = number;
    }
    return json;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= text_.size())
        fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"')
        return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size())
        fail("bad escape");
      const char e = text_[pos_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (pos_ + 4 > text_.size())
            fail("bad \\u escape");
          const unsigned code = static_cast<unsigned>(std::stoul(std::string(text_.substr(pos_, 4)), nullptr, 16));
          pos_ += 4;
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
          }
          break;
        }
        default: out += e;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

Json Json::parse(std::string_view text) { return JsonParser(text).document(); }

const Json& Json::operator[](std::string_view key) const {
  const auto& members = object();
  const auto found = members.find(key);
  if (found == members.end())
    throw std::runtime_error("json: no member " + std::string(key));
  return found->second;
}
const Json& Json::operator[](std::size_t index) const { return array().at(index); }
bool Json::contains(std::string_view key) const { return object().contains(key); }
const Json::Array& Json::array() const { return *std::get<std::shared_ptr<Array>>(value_); }
const Json::Object& Json::object() const { return *std::get<std::shared_ptr<Object>>(value_); }
const std::string& Json::string() const { return std::get<std::string>(value_); }
double Json::number() const { return std::get<double>(value_); }
bool Json::boolean() const { return std::get<bool>(value_); }

}  // namespace stronghold::test
