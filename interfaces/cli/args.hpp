// The command line of one `stronghold` command: options (`--name value`, `--flag`) and the
// positional words, checked against what the command accepts.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stronghold/runtime/status.hpp"

namespace stronghold::cli {

struct OptionSpec {
  std::set<std::string> with_value;  // "--at", "--hex", ...
  std::set<std::string> flags;       // "--prehashed", ...
  std::set<std::string> repeated;    // of with_value: may appear more than once ("--vault")
};

class Args {
 public:
  // invalid_argument for an unknown option, a missing value or a repeated one.
  static Result<Args> parse(const std::vector<std::string>& words, const OptionSpec& spec);

  bool has(const std::string& name) const { return values_.contains(name); }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  // invalid_argument naming the option when it is missing.
  Result<std::string> required(const std::string& name) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace stronghold::cli
