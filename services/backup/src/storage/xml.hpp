#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Just enough XML for S3's answers: the text of simple elements, entities decoded. No
/// attributes, namespaces or CDATA are interpreted (S3 responses use none inside the elements
/// read here).
namespace dbaas::backup::xml {

/// The inner text of every `<tag>...</tag>` (also `<tag attr="...">`), in order, raw.
std::vector<std::string_view> Elements(std::string_view doc, std::string_view tag);
/// The decoded text of the first `<tag>`, or nullopt.
std::optional<std::string> Text(std::string_view doc, std::string_view tag);
/// Decodes &amp; &lt; &gt; &quot; &apos; and numeric character references.
std::string Unescape(std::string_view text);
/// Escapes & < > " ' for element text.
std::string Escape(std::string_view text);

}  // namespace dbaas::backup::xml
