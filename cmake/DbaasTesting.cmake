include(GoogleTest)

# dbaas_add_test(NAME name LABEL unit|property|integration|e2e PREFIX lib.kind SOURCES ... LIBS ...)
# Registers each GoogleTest case with ctest under "<PREFIX>." and the given label.
function(dbaas_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL;PREFIX;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT DBAAS_BUILD_TESTS)
    return()
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main dbaas_options dbaas_warnings)
  if(T_LABEL STREQUAL "property")
    target_link_libraries(${T_NAME} PRIVATE rapidcheck rapidcheck_gtest)
  endif()
  gtest_discover_tests(${T_NAME}
    TEST_PREFIX "${T_PREFIX}."
    PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
