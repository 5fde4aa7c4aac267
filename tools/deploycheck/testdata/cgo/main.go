// Command cgo uses cgo, so it links dynamically against the C library.
package main

// #include <stdlib.h>
import "C"

func main() { C.free(nil) }
