#include "args.hpp"

namespace stronghold::cli {

Result<Args> Args::parse(const std::vector<std::string>& words, const OptionSpec& spec) {
  Args args;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (!word.starts_with("--")) {
      args.positional_.push_back(word);
      continue;
    }
    if (spec.flags.contains(word)) {
      args.values_[word].push_back("");
      continue;
    }
    if (!spec.with_value.contains(word))
      return error(Errc::invalid_argument, "unknown option {}", word);
    if (i + 1 == words.size())
      return error(Errc::invalid_argument, "{} needs a value", word);
    auto& values = args.values_[word];
    if (!values.empty() && !spec.repeated.contains(word))
      return error(Errc::invalid_argument, "{} given twice", word);
    values.push_back(words[++i]);
  }
  return args;
}

std::optional<std::string> Args::value(const std::string& name) const {
  const auto found = values_.find(name);
  if (found == values_.end())
    return std::nullopt;
  return found->second.front();
}

std::vector<std::string> Args::values(const std::string& name) const {
  const auto found = values_.find(name);
  return found == values_.end() ? std::vector<std::string>() : found->second;
}

Result<std::string> Args::required(const std::string& name) const {
  if (auto found = value(name))
    return *found;
  return error(Errc::invalid_argument, "{} is required", name);
}

}  // namespace stronghold::cli
