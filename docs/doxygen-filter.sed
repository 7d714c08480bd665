# Doxygen input filter: the headers use plain C comments written as a
# manual; this turns them into doxygen comments without changing the source.
#   a comment opening a line       -> /** ... */   (documents what follows)
#   a comment after a declaration  -> /**< ... */  (documents that member)
#   #GP / #PF in prose             -> escaped, so doxygen does not link them
s,^\([[:space:]]*\)/\*\([^*]\),\1/**\2,
s,\([;,{][[:space:]]*\)/\*\([^*]\),\1/**<\2,
s,#\(GP\|PF\),\\#\1,g
