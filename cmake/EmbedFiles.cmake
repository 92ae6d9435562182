# dbaas_embed_migrations(TARGET target DIR dir NAMESPACE ns [NAME name])
# Generates a translation unit holding every dir/*.sql (sorted by name, named NNNN_what.sql) as
# dbaas::store::Migration entries, returned by `ns::Migrations()`. NAME (default: the target)
# tells apart several sets embedded in one target. Declare it yourself:
#   namespace ns { std::span<const dbaas::store::Migration> Migrations(); }
function(dbaas_embed_migrations)
  cmake_parse_arguments(E "" "TARGET;DIR;NAMESPACE;NAME" "" ${ARGN})
  if(NOT E_NAME)
    set(E_NAME ${E_TARGET})
  endif()
  file(GLOB sql_files CONFIGURE_DEPENDS "${E_DIR}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${E_NAME}_migrations.cpp")
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${E_NAME}_embed.cmake")
  file(WRITE "${script}" "
set(body \"// Generated from ${E_DIR}; do not edit.\\n#include <span>\\n#include \\\"dbaas/store/migration.hpp\\\"\\nnamespace ${E_NAMESPACE} {\\nnamespace {\\nconst dbaas::store::Migration kMigrations[] = {\\n\")
foreach(f \${FILES})
  get_filename_component(name \"\${f}\" NAME_WE)
  string(REGEX MATCH \"^[0-9]+\" version \"\${name}\")
  if(NOT version)
    message(FATAL_ERROR \"migration \${f} must be named NNNN_description.sql\")
  endif()
  math(EXPR version \"\${version}\")
  file(READ \"\${f}\" sql)
  string(APPEND body \"  {\${version}, \\\"\${name}\\\", R\\\"dbaas_sql(\${sql})dbaas_sql\\\"},\\n\")
endforeach()
string(APPEND body \"};\\n}  // namespace\\nstd::span<const dbaas::store::Migration> Migrations() { return kMigrations; }\\n}  // namespace ${E_NAMESPACE}\\n\")
file(WRITE \"\${OUT}.tmp\" \"\${body}\")
execute_process(COMMAND \${CMAKE_COMMAND} -E copy_if_different \"\${OUT}.tmp\" \"\${OUT}\")
")
  # VERBATIM: the file list is ';'-separated, which a shell would otherwise split into commands.
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} "-DFILES=${sql_files}" "-DOUT=${out}" -P "${script}"
    DEPENDS ${sql_files} "${script}"
    COMMENT "Embedding migrations ${E_NAME}"
    VERBATIM)
  target_sources(${E_TARGET} PRIVATE "${out}")
endfunction()
