# gw_add_layer(<name> DEPS <targets...>)
# One folder = one static library gw_<name> built from src/<name>/*.cpp, and, when tests are on,
# one gtest binary gw_<name>_test from tests/<name>/*_test.cpp (mirroring src/<name>/).
function(gw_add_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT sources)  # a layer still being written: nothing to compile yet
    add_library(gw_${name} INTERFACE)
    target_include_directories(gw_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(gw_${name} INTERFACE ${ARG_DEPS})
  else()
    add_library(gw_${name} STATIC ${sources})
    target_include_directories(gw_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(gw_${name} PUBLIC ${ARG_DEPS} PRIVATE gw_warnings)
  endif()
  set_property(GLOBAL APPEND PROPERTY GW_LAYERS ${name})
  set_property(GLOBAL PROPERTY GW_TEST_DEPS_${name} ${ARG_TEST_DEPS})
endfunction()

# Called from tests/CMakeLists.txt once every layer exists.
function(gw_add_layer_tests name)
  file(GLOB tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${name}/*_test.cpp)
  if(NOT tests)
    return()
  endif()
  get_property(extra GLOBAL PROPERTY GW_TEST_DEPS_${name})
  add_executable(gw_${name}_test ${tests})
  target_link_libraries(gw_${name}_test PRIVATE gw_${name} gw_test_support ${extra}
                        GTest::gtest GTest::gmock GTest::gtest_main gw_warnings)
  # Tests that read files of the repository (example configs) find it through GW_SOURCE_DIR.
  gtest_discover_tests(gw_${name}_test TEST_PREFIX "${name}." DISCOVERY_MODE PRE_TEST
                       PROPERTIES LABELS unit ENVIRONMENT "GW_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
