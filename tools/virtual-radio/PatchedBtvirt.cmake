# Included from tools/virtual-radio/CMakeLists.txt when SABLE_PATCHED_BTVIRT
# is on: fetches Debian's bluez source package, applies btvirt-patches/ to a
# copy of the files btvirt needs, and builds sable-btvirt from them.

# scripts/install-deps unpacks Debian's bluez source into .deps/bluez; without
# it (a build configured by hand), configure fetches it into <build>/deps.
set(SABLE_BLUEZ_SOURCE_DIR "" CACHE PATH "unpacked Debian bluez 5.66 source (default: .deps/bluez or fetched)")
set(_repo_root ${CMAKE_CURRENT_SOURCE_DIR}/../..)
set(_bluez_deps ${CMAKE_BINARY_DIR}/deps)
if(SABLE_BLUEZ_SOURCE_DIR)
  set(_bluez_src ${SABLE_BLUEZ_SOURCE_DIR})
elseif(EXISTS ${_repo_root}/.deps/bluez.stamp AND EXISTS ${_repo_root}/.deps/bluez/emulator/btdev.c)
  get_filename_component(_bluez_src ${_repo_root}/.deps/bluez ABSOLUTE)
else()
  execute_process(
    COMMAND ${_repo_root}/scripts/fetch-debian-source bluez ${_bluez_deps}
    OUTPUT_VARIABLE _bluez_src OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _bluez_rc)
  if(NOT _bluez_rc EQUAL 0)
    set(_bluez_src "")
  endif()
endif()
if(NOT EXISTS "${_bluez_src}/emulator/btdev.c")
  message(FATAL_ERROR "sable-btvirt needs Debian's bluez source (run scripts/install-deps, or pass "
                      "-DSABLE_BLUEZ_SOURCE_DIR=DIR); configure with -DSABLE_PATCHED_BTVIRT=OFF "
                      "to build without the patched emulator")
endif()

# The patched tree is rebuilt whenever the patch set changes.
file(GLOB _btvirt_patches CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/btvirt-patches/*.patch)
list(SORT _btvirt_patches)
set(_patch_digest_input "")
foreach(_p ${_btvirt_patches})
  file(SHA256 ${_p} _h)
  string(APPEND _patch_digest_input "${_h}\n")
endforeach()
string(SHA256 _patch_digest "${_bluez_src}\n${_patch_digest_input}")
set(_tree ${_bluez_deps}/bluez-sable)
set(_stamp ${_tree}/.sable-patches)
set(_old_digest "")
if(EXISTS ${_stamp})
  file(READ ${_stamp} _old_digest)
endif()
if(NOT _old_digest STREQUAL _patch_digest)
  file(REMOVE_RECURSE ${_tree})
  foreach(_d emulator src/shared lib monitor)
    file(COPY ${_bluez_src}/${_d}/ DESTINATION ${_tree}/${_d})
  endforeach()
  find_program(SABLE_PATCH patch REQUIRED)
  foreach(_p ${_btvirt_patches})
    execute_process(COMMAND ${SABLE_PATCH} -p1 --forward --batch --quiet -i ${_p}
                    WORKING_DIRECTORY ${_tree} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out
                    ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "sable-btvirt: ${_p} does not apply to ${_bluez_src}:\n${_out}")
    endif()
  endforeach()
  file(WRITE ${_tree}/config/config.h "#define VERSION \"5.66-sable\"\n")
  file(WRITE ${_stamp} "${_patch_digest}")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_btvirt_patches})

set(_btvirt_sources
  emulator/main.c emulator/serial.c emulator/server.c emulator/vhci.c emulator/btdev.c
  emulator/bthost.c emulator/smp.c emulator/phy.c emulator/amp.c emulator/le.c
  src/shared/queue.c src/shared/util.c src/shared/crypto.c src/shared/ecc.c
  src/shared/io-mainloop.c src/shared/timeout-mainloop.c src/shared/mainloop.c
  src/shared/mainloop-notify.c lib/bluetooth.c lib/hci.c)
list(TRANSFORM _btvirt_sources PREPEND ${_tree}/)
add_executable(sable-btvirt ${_btvirt_sources})
target_include_directories(sable-btvirt PRIVATE ${_tree} ${_tree}/config)
target_compile_definitions(sable-btvirt PRIVATE HAVE_CONFIG_H _GNU_SOURCE)
# BlueZ's code, not ours: built as it is, without our warning flags.
target_compile_options(sable-btvirt PRIVATE -w)
set_target_properties(sable-btvirt PROPERTIES
  C_STANDARD 11
  C_EXTENSIONS ON
  RUNTIME_OUTPUT_DIRECTORY ${_vradio_out})
add_dependencies(virtual-radio sable-btvirt)

if(SABLE_BUILD_TESTS)
  add_executable(sable_le5_emulator_test tests/le5_emulator_test.c)
  set_target_properties(sable_le5_emulator_test PROPERTIES
    C_STANDARD 11
    RUNTIME_OUTPUT_DIRECTORY ${_vradio_out})
  add_dependencies(virtual-radio sable_le5_emulator_test)
  add_test(NAME vradio_patched_le5
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tests/vradio_patched.sh
            ${CMAKE_CURRENT_SOURCE_DIR}/vradio ${CMAKE_BINARY_DIR})
  set_tests_properties(vradio_patched_le5 PROPERTIES LABELS vradio TIMEOUT 60)
endif()
