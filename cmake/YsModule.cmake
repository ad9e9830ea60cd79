# ys_module(NAME <target> [DIR <dir>] [DEPS <targets...>] [EXCLUDE <regex>])
# One CMake library per folder: every *.cpp directly in DIR (default: the current
# source dir). Include paths are rooted at the repository, so headers are included
# as "engine/gguf/gguf.h". Project code builds with -Wall -Wextra -Werror.
# YARDSTICK_WERROR=OFF (tools/fuzz.sh's clang build) keeps the warnings but does not fail on
# them: the code is kept warning-free under g++ 12, the compiler of record.
option(YARDSTICK_WERROR "Treat warnings as errors" ON)
set(YS_WARNINGS -Wall -Wextra)
if(YARDSTICK_WERROR)
  list(APPEND YS_WARNINGS -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND YS_WARNINGS -Wno-unknown-warning-option)  # GCC-only pragmas in the kernels
endif()

function(ys_module)
  cmake_parse_arguments(M "" "NAME;DIR" "DEPS;EXCLUDE" ${ARGN})
  if(NOT M_DIR)
    set(M_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  file(GLOB _srcs CONFIGURE_DEPENDS ${M_DIR}/*.cpp)
  foreach(_ex IN LISTS M_EXCLUDE)
    list(FILTER _srcs EXCLUDE REGEX "${_ex}")
  endforeach()
  if(_srcs)
    add_library(${M_NAME} STATIC ${_srcs})
    target_include_directories(${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(${M_NAME} PRIVATE ${YS_WARNINGS})
    target_link_libraries(${M_NAME} PUBLIC ${M_DEPS})
  else()
    add_library(${M_NAME} INTERFACE)
    target_include_directories(${M_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${M_NAME} INTERFACE ${M_DEPS})
  endif()
endfunction()

# ys_test(<name> DEPS <targets...>): tests/<name>/*.cpp -> executable test_<name>,
# each Catch2 test case registered with CTest.
function(ys_test name)
  cmake_parse_arguments(T "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_executable(test_${name} ${_srcs})
  target_compile_options(test_${name} PRIVATE ${YS_WARNINGS})
  target_link_libraries(test_${name} PRIVATE ys_catch_main ${T_DEPS})
  target_compile_definitions(test_${name} PRIVATE
    YS_SOURCE_DIR="${PROJECT_SOURCE_DIR}" YS_BINARY_DIR="${PROJECT_BINARY_DIR}")
  catch_discover_tests(test_${name} TEST_PREFIX "${name}: "
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES ENVIRONMENT "YS_SOURCE_DIR=${PROJECT_SOURCE_DIR};YS_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# Add every direct subfolder that has a CMakeLists.txt.
function(ys_add_subdirs)
  file(GLOB _children RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _children)
  foreach(_c IN LISTS _children)
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${_c} AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_c}/CMakeLists.txt)
      add_subdirectory(${_c})
    endif()
  endforeach()
endfunction()

# ys_hot_path(<targets...>): the engine's inner loops build with -O3 in optimised builds
# (measured: pp512 on SmolLM2 with -O2 vs -O3 in the closing note of the CPU speed issue;
# GCC 12's -O2 vectorises only with its "very cheap" cost model).
function(ys_hot_path)
  foreach(_t IN LISTS ARGN)
    target_compile_options(${_t} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O3>)
  endforeach()
endfunction()
