// libedit's readline-compatible interface: line editing and history at the quiz prompt.
#include <stdio.h>
#include <editline/readline.h>
