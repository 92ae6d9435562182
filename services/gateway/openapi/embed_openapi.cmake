# cmake -DIN=openapi.json -DOUT=openapi_document_data.cpp -P embed_openapi.cmake
# Writes a translation unit defining dbaas::gateway::OpenApiDocument() from the JSON file. The
# text is cut into raw string literals of at most 16000 bytes: -Wpedantic warns about literals
# longer than the 65536 bytes C++ guarantees. The document must be ASCII (json.dump's default)
# so that a cut never splits a character.
file(READ "${IN}" text)
string(LENGTH "${text}" length)
if(length EQUAL 0)
  message(FATAL_ERROR "${IN} is empty")
endif()
if(text MATCHES "\\)dbaas_openapi\"")
  message(FATAL_ERROR "${IN} contains the raw string delimiter )dbaas_openapi\"")
endif()
set(body "// Generated from ${IN}; do not edit.\n#include <string>\n#include <string_view>\n\n#include \"openapi_document.hpp\"\n\nnamespace dbaas::gateway {\nnamespace {\n\nconstexpr std::string_view kChunks[] = {\n")
set(chunk_size 16000)
set(offset 0)
while(offset LESS length)
  string(SUBSTRING "${text}" ${offset} ${chunk_size} chunk)
  string(APPEND body "    R\"dbaas_openapi(${chunk})dbaas_openapi\",\n")
  math(EXPR offset "${offset} + ${chunk_size}")
endwhile()
string(APPEND body "};\n\n}  // namespace\n\nconst std::string& OpenApiDocument() {\n  static const std::string document = [] {\n    std::string out;\n    for (const auto chunk : kChunks) out += chunk;\n    return out;\n  }();\n  return document;\n}\n\n}  // namespace dbaas::gateway\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
