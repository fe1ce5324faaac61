add_library(gw_warnings INTERFACE)
target_compile_options(gw_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(gw_warnings INTERFACE
    # g++ 12 reports false -Wrestrict positives inside std::string at -O2 (GCC bug 105329).
    -Wno-restrict
    # ... and false -Wmismatched-new-delete in Asio's awaitable frames under -fsanitize.
    -Wno-mismatched-new-delete)
endif()
