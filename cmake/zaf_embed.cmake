#   zaf_embed.cmake - turn a file into a C array, at build time
#
#   cmake -DINPUT=file -DOUTPUT=file.c -DNAME=symbol -P zaf_embed.cmake
#   writes OUTPUT defining `const char NAME []` (the bytes of INPUT plus a
#   final NUL) and `const size_t NAME_size` (without the NUL). The output
#   is generated: edit INPUT instead.

file (READ "${INPUT}" content HEX)
string (LENGTH "${content}" hex_length)
math (EXPR size "${hex_length} / 2")
string (REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
string (REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
        "\\1\n    " bytes "${bytes}")
file (WRITE "${OUTPUT}"
"/*  Generated from ${INPUT} by cmake/zaf_embed.cmake at build time.\n"
"    Do not edit: edit the source file and rebuild.  */\n\n"
"#include <stddef.h>\n\n"
"const char ${NAME} [] = {\n    ${bytes}0x00\n};\n"
"const size_t ${NAME}_size = ${size};\n")
