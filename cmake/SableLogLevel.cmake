# The most detailed log level compiled into the core (src/common/log.hpp):
# SABLE_LOG_LEVEL = none | error | warn | info | debug. Statements below it
# generate no code and leave no format string in the image; the runtime level
# (sable::set_log_level) still filters what is compiled in.
#
#   sable_log_level(<default>)   declares the cache variable SABLE_LOG_LEVEL with
#                                that default and adds the compile definition
#                                SABLE_COMPILED_LOG_LEVEL (-1 none .. 3 debug)
#                                to every target of the directory.
function(sable_log_level default)
  set(SABLE_LOG_LEVEL ${default} CACHE STRING
      "Most detailed log level compiled in: none, error, warn, info or debug")
  set(levels none error warn info debug)
  set_property(CACHE SABLE_LOG_LEVEL PROPERTY STRINGS ${levels})
  list(FIND levels "${SABLE_LOG_LEVEL}" index)
  if(index LESS 0)
    message(FATAL_ERROR "SABLE_LOG_LEVEL=${SABLE_LOG_LEVEL}: expected one of ${levels}")
  endif()
  math(EXPR value "${index} - 1")
  add_compile_definitions(SABLE_COMPILED_LOG_LEVEL=${value})
endfunction()
