#include "args.hpp"

#include <algorithm>

#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

const OptionSpec* Find(std::span<const OptionSpec> specs, std::string_view name) {
  auto it =
      std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

bool IsOption(std::string_view arg) {
  return arg.size() > 1 && arg[0] == '-';
}

}  // namespace

bool ParsedArgs::Has(std::string_view name) const {
  return values_.find(name) != values_.end();
}

std::optional<std::string> ParsedArgs::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::All(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

ParsedArgs ParseArgs(std::span<const OptionSpec> specs, std::span<const std::string> args) {
  ParsedArgs parsed;
  bool only_positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positionals || !IsOption(arg)) {
      parsed.AddPositional(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (arg == "-h") {
      name = "help";
    } else if (arg.rfind("--", 0) == 0) {
      const auto eq = arg.find('=');
      name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) value = arg.substr(eq + 1);
    } else {
      throw UsageError("unknown option " + arg + " (options are spelled --name)");
    }
    const OptionSpec* spec = Find(specs, name);
    if (spec == nullptr) throw UsageError("unknown option --" + name);
    if (!spec->TakesValue()) {
      if (value) throw UsageError("option --" + name + " takes no value");
      value = "";
    } else if (!value) {
      if (i + 1 >= args.size()) {
        throw UsageError("option --" + name + " needs a value (" + spec->value_name + ")");
      }
      value = args[++i];
    }
    if (!spec->repeatable && parsed.Has(name)) {
      throw UsageError("option --" + name + " given more than once");
    }
    parsed.Add(name, std::move(*value));
  }
  return parsed;
}

std::vector<std::string> ExtractCommandWords(
    std::vector<std::string>& args, std::span<const OptionSpec> specs,
    const std::function<bool(const std::vector<std::string>&)>& wants_more) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < args.size() && wants_more(words)) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (IsOption(arg)) {
      const bool inline_value = arg.find('=') != std::string::npos;
      const OptionSpec* spec = arg.rfind("--", 0) == 0 ? Find(specs, arg.substr(2)) : nullptr;
      i += (spec != nullptr && spec->TakesValue() && !inline_value) ? 2 : 1;
      continue;
    }
    words.push_back(arg);
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return words;
}

std::pair<std::string, std::string> SplitKeyValue(std::string_view text, std::string_view option) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw UsageError("--" + std::string(option) + " wants key=value, got '" + std::string(text) +
                     "'");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace dbaas::ctl
