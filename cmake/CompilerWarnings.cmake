# -Wnull-dereference is left out on purpose: with GCC 12 at -O2 it reports inlined code of
# nlohmann/json and Asio (system headers) and cannot be silenced per header.
function(dbaas_set_warnings target)
  target_compile_options(${target} INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wunused -Woverloaded-virtual -Wdouble-promotion -Wformat=2
    -Wimplicit-fallthrough -Wmisleading-indentation)
  if(DBAAS_WARNINGS_AS_ERRORS)
    target_compile_options(${target} INTERFACE -Werror)
  endif()
endfunction()
