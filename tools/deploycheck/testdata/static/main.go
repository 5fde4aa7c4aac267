// Command static is a pure Go program: with CGO_ENABLED=0 it links statically.
package main

func main() {}
