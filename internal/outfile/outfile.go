// Package outfile creates output files that appear under their final name
// complete or not at all, and that leave nothing behind when the process
// writing them is killed, even with SIGKILL.
//
// On Linux a file is created as an unnamed O_TMPFILE in its target
// directory: until Commit links it into place it has no name, so a killed
// process leaves no trace and the kernel frees its blocks. Elsewhere, or
// where the file system refuses O_TMPFILE, the file is written under a
// temporary name, "." + final name + ".segstack-tmp-" + PID + "-" + random
// hex, in the same directory and renamed into place; the next Create in
// that directory removes the temporaries whose process is gone.
//
// An existing file under the final name is replaced atomically: a reader
// sees the old file or the new one, never part of one.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Marker is part of every temporary name this package makes:
// "." + base + Marker + PID + "-" + random hex.
const Marker = ".segstack-tmp-"

// File is an output being written. Write to it as to any *os.File; nothing
// is visible under Path until Commit succeeds.
type File struct {
	*os.File
	path string
	// tmp is the temporary name, "" for an unnamed (O_TMPFILE) file.
	tmp  string
	done bool
}

// Create starts the output file path, with permissions 0644 (less the
// umask) once committed. It first removes temporaries that killed
// processes left in path's directory.
//
// Setting the environment variable SEGSTACK_OUTFILE=named makes Create use
// temporary names on Linux too (for file systems whose O_TMPFILE misbehaves,
// and to test that path).
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	cleanOnce(dir)
	if os.Getenv("SEGSTACK_OUTFILE") != "named" {
		if f, err := createUnnamed(dir); err == nil {
			return &File{File: f, path: path}, nil
		}
	}
	f, tmp, err := createNamed(path)
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path, tmp: tmp}, nil
}

// TempName returns a fresh temporary name for path, in its directory, that
// RemoveStale recognises and removes once this process is gone.
func TempName(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+Marker+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(rand.Uint64(), 16))
}

// createNamed creates a temporary file for path under TempName.
func createNamed(path string) (*os.File, string, error) {
	for try := 0; ; try++ {
		tmp := TempName(path)
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) || try > 8 {
			return nil, "", fmt.Errorf("create %s: %w", path, err)
		}
	}
}

// Path is the final name.
func (f *File) Path() string { return f.path }

// Unnamed reports whether the file has no name until Commit (O_TMPFILE).
func (f *File) Unnamed() bool { return f.tmp == "" }

// Commit makes the file visible under its final name, replacing any file
// there, and closes it. The caller syncs the data first if it must be
// durable; Commit syncs the directory.
func (f *File) Commit() error {
	if f.done {
		return errors.New("outfile: " + f.path + " already committed or aborted")
	}
	f.done = true
	err := f.File.Chmod(0o644 &^ umask())
	if err == nil {
		if f.tmp == "" {
			err = linkUnnamed(f.File, f.path)
		} else {
			err = os.Rename(f.tmp, f.path)
		}
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if f.tmp != "" {
			os.Remove(f.tmp)
		}
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path)) // make the new name durable
	return nil
}

// Abort closes and discards the file; it does nothing after Commit or
// Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	if f.tmp != "" {
		os.Remove(f.tmp)
	}
}

// replaceVia links or renames into place through a temporary name in the
// target's directory, then renames it over the target, so that an existing
// file is replaced atomically. link makes the temporary name.
func replaceVia(path string, link func(tmp string) error) error {
	for try := 0; ; try++ {
		tmp := TempName(path)
		err := link(tmp)
		if errors.Is(err, fs.ErrExist) && try < 8 {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
}

var cleaned sync.Map // directory -> struct{}

// cleanOnce runs RemoveStale on dir the first time this process creates a
// file there.
func cleanOnce(dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	if _, seen := cleaned.LoadOrStore(abs, struct{}{}); !seen {
		RemoveStale(dir)
	}
}

// RemoveStale removes the temporaries in dir (not below it) whose process
// is no longer running, files and directories alike, and returns how many
// it removed. Temporaries of live processes, this one included, are kept.
// Liveness is judged by PID on this machine: a folder that processes of
// other machines or PID namespaces write to at the same time should not
// rely on the named fallback.
func RemoveStale(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		pid, ok := TempPID(e.Name())
		if !ok || pid == os.Getpid() || alive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// TempPID returns the process ID in a temporary name this package made,
// and false for any other name.
func TempPID(name string) (int, bool) {
	if !strings.HasPrefix(name, ".") {
		return 0, false
	}
	i := strings.LastIndex(name, Marker)
	if i < 0 {
		return 0, false
	}
	rest := name[i+len(Marker):]
	p, hex, ok := strings.Cut(rest, "-")
	if !ok || hex == "" || strings.Trim(hex, "0123456789abcdef") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// ReplaceDir moves the finished directory tmp, a TempName in path's
// directory, to path. When path exists it is replaced so that a reader
// (and a process killed at any moment) finds the old tree or the new one
// under path, never none: on Linux the two are swapped with
// renameat2(RENAME_EXCHANGE) and the old tree, now under tmp's temporary
// name, is removed (by RemoveStale, should this process die first).
// Where the swap is not available the old tree is moved aside to a
// temporary name first, which leaves path absent for the moment between
// the two renames. The parent directory is synced so that the new name
// is durable.
func ReplaceDir(tmp, path string) error {
	err := os.Rename(tmp, path)
	if err == nil {
		syncDir(filepath.Dir(path))
		return nil
	}
	if _, serr := os.Lstat(path); serr != nil {
		return fmt.Errorf("commit %s: %w", path, err)
	}
	if err := exchange(tmp, path); err == nil {
		syncDir(filepath.Dir(path))
		os.RemoveAll(tmp) // the old tree
		return nil
	}
	old := TempName(path)
	if err := os.Rename(path, old); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Rename(old, path)
		return fmt.Errorf("commit %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	os.RemoveAll(old)
	return nil
}

// syncDir makes a directory's entries durable, where the file system can.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
