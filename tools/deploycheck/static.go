package main

import (
	"debug/elf"
	"fmt"
)

// CheckStatic reports an error unless the ELF file at path is statically linked: no
// program interpreter (PT_INTERP) and no shared libraries (DT_NEEDED), so it runs on a
// distroless/static image that has no libc.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: it has a program interpreter (PT_INTERP)", path)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("%s: reading its dynamic section: %w", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v", path, libs)
	}
	return nil
}
