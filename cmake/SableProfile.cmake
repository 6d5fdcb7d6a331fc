# The build profile (src/common/profile.hpp): which parts of the host are built
# in. The Linux build keeps everything; the firmware's reference program uses
#   -DSABLE_ROLES=peripheral -DSABLE_GATT_CLIENT=OFF
# Each choice becomes a compile definition of every target of the directory.
#   sable_profile(<roles default> <gatt client default>)
function(sable_profile roles_default client_default)
  set(SABLE_ROLES ${roles_default} CACHE STRING "GAP roles: both, peripheral or central")
  set_property(CACHE SABLE_ROLES PROPERTY STRINGS both peripheral central)
  option(SABLE_GATT_CLIENT "Build the GATT client (discovery, read/write/subscribe)" ${client_default})
  if(SABLE_ROLES STREQUAL "both")
    set(_p 1)
    set(_c 1)
  elseif(SABLE_ROLES STREQUAL "peripheral")
    set(_p 1)
    set(_c 0)
  elseif(SABLE_ROLES STREQUAL "central")
    set(_p 0)
    set(_c 1)
  else()
    message(FATAL_ERROR "SABLE_ROLES must be both, peripheral or central (got '${SABLE_ROLES}')")
  endif()
  if(SABLE_GATT_CLIENT)
    set(_g 1)
  else()
    set(_g 0)
  endif()
  add_compile_definitions(SABLE_PERIPHERAL_ROLE=${_p} SABLE_CENTRAL_ROLE=${_c}
                          SABLE_GATT_CLIENT=${_g})
endfunction()

# The sources of one core layer for a port that builds src/ itself
# (ports/cortex-m4, ports/footprint), honouring SABLE_LEGACY_PAIRING: without
# it, smp links the stub that refuses legacy peers (src/smp/sc_only).
function(sable_port_layer_sources root layer out)
  file(GLOB srcs CONFIGURE_DEPENDS ${root}/src/${layer}/*.cpp)
  if(layer STREQUAL "smp" AND NOT SABLE_LEGACY_PAIRING)
    list(REMOVE_ITEM srcs ${root}/src/smp/pairing_legacy.cpp)
    list(APPEND srcs ${root}/src/smp/sc_only/pairing_legacy_refused.cpp)
  endif()
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# How many bonds a bond store holds and CCCD values per bond (src/store/limits.hpp):
# the store's fixed arrays. Without a call the Linux defaults apply (256, 64).
#   sable_store_limits(<bonds> <cccds per bond>)
function(sable_store_limits bonds cccds)
  set(SABLE_STORE_MAX_BONDS ${bonds} CACHE STRING "bonds one bond store holds (1..1024)")
  set(SABLE_STORE_MAX_CCCDS_PER_BOND ${cccds} CACHE STRING "CCCD values kept per bond (1..512)")
  add_compile_definitions(SABLE_STORE_MAX_BONDS=${SABLE_STORE_MAX_BONDS}
                          SABLE_STORE_MAX_CCCDS_PER_BOND=${SABLE_STORE_MAX_CCCDS_PER_BOND})
endfunction()
