#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbaas::ctl {

/// One `--name` option a command accepts.
struct OptionSpec {
  /// Without the dashes: "engine" for `--engine`.
  std::string name;
  /// Shown in help, e.g. "ENGINE"; empty for a flag that takes no value.
  std::string value_name;
  std::string help;
  /// May be given more than once (`--param a=1 --param b=2`); otherwise twice is an error.
  bool repeatable = false;

  bool TakesValue() const noexcept { return !value_name.empty(); }
};

/// The options and positional arguments of one command line.
class ParsedArgs {
 public:
  bool Has(std::string_view name) const;
  /// The value of `name`, nullopt when absent (a flag's value is "").
  std::optional<std::string> Get(std::string_view name) const;
  /// Every value of a repeatable option, in order.
  std::vector<std::string> All(std::string_view name) const;
  const std::vector<std::string>& Positionals() const noexcept { return positionals_; }

  void Add(std::string name, std::string value) {
    values_[std::move(name)].push_back(std::move(value));
  }
  void AddPositional(std::string value) { positionals_.push_back(std::move(value)); }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
};

/// Parses `args` against `specs`: `--name value`, `--name=value`, flags, `-h` for `--help`, and
/// `--` after which everything is positional. Options and positionals may be mixed. Throws
/// UsageError for an unknown option, a missing value, a value given to a flag, or a
/// non-repeatable option given twice.
ParsedArgs ParseArgs(std::span<const OptionSpec> specs, std::span<const std::string> args);

/// Removes the command words (e.g. "instance", "create") from `args` and returns them. Words are
/// the arguments that are neither options nor option values (`specs` says which options take a
/// value); they are taken while `wants_more(words so far)` is true, so global options may come
/// before, between or after them.
std::vector<std::string> ExtractCommandWords(
    std::vector<std::string>& args, std::span<const OptionSpec> specs,
    const std::function<bool(const std::vector<std::string>&)>& wants_more);

/// Splits "key=value"; throws UsageError naming `option` when there is no '=' or the key is empty.
std::pair<std::string, std::string> SplitKeyValue(std::string_view text, std::string_view option);

}  // namespace dbaas::ctl
