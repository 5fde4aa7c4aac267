package settings

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/httperr"
)

// applyTimeout bounds saving and applying one change.
const applyTimeout = 30 * time.Second

// test runs the checks on the proposed settings and shows the results. Nothing is
// saved or applied.
func (h *Handler) test(w http.ResponseWriter, r *http.Request, id claims.Identity) error {
	cur := h.current()
	saved, newSecret := proposal(r.PostForm, cur, h.savedIn(cur))
	next, _ := h.opts.Load(saved) // problems of the proposal are the first check
	v := view{cfg: cur, form: r.PostForm, newSecret: newSecret, checks: h.runChecks(r.Context(), next)}
	if passed(v.checks) {
		v.message = "settings.msg.passed"
	} else {
		v.err = "settings.msg.failed"
	}
	return h.render(w, r, http.StatusOK, id, v)
}

// save tests the proposed settings and, when every check passes, saves and applies
// them. A change that fails its test, or that cannot be applied, leaves both the live
// settings and the saved file as they were.
func (h *Handler) save(w http.ResponseWriter, r *http.Request, id claims.Identity) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.current()
	saved, newSecret := proposal(r.PostForm, cur, h.savedIn(cur))
	next, _ := h.opts.Load(saved)
	changed := changedFields(cur, next)
	v := view{cfg: cur, form: r.PostForm, newSecret: newSecret, checks: h.runChecks(r.Context(), next)}
	if !passed(v.checks) {
		h.audit(r, id, "save", "refused", changed, slog.Any("failed_checks", failedNames(v.checks)))
		v.err = "settings.msg.not_saved"
		return h.render(w, r, http.StatusUnprocessableEntity, id, v)
	}
	if err := h.commit(r.Context(), next, func() error {
		return config.WriteSaved(h.opts.DataDir, h.opts.Sealer.Seal(saved))
	}); err != nil {
		h.audit(r, id, "save", "failed", changed, slog.String("error", err.Error()))
		v.err = "Not saved: " + err.Error() + ". Nothing was changed: the previous settings stay live."
		return h.render(w, r, http.StatusInternalServerError, id, v)
	}
	h.audit(r, id, "save", "applied", changed)
	v = view{cfg: next, checks: v.checks, message: "settings.msg.saved"}
	if next.LocalRestore {
		v.message = "settings.msg.saved_restore"
	}
	return h.render(w, r, http.StatusOK, id, v)
}

// revert removes the saved settings and applies those of flags, environment and
// defaults, when they pass the same checks as a save.
func (h *Handler) revert(w http.ResponseWriter, r *http.Request, id claims.Identity) error {
	if r.PostForm.Get("confirm") != "yes" {
		// First press: ask. The form's edits are kept on the page underneath.
		return h.render(w, r, http.StatusOK, id, view{cfg: h.current(), form: r.PostForm, confirmRevert: true})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.current()
	changed := slices.Sorted(maps.Keys(h.readSaved()))
	next, _ := h.opts.Load(config.Saved{})
	v := view{cfg: cur, checks: h.runChecks(r.Context(), next)}
	if !passed(v.checks) {
		h.audit(r, id, "revert", "refused", changed, slog.Any("failed_checks", failedNames(v.checks)))
		v.err = "settings.msg.not_reverted"
		return h.render(w, r, http.StatusUnprocessableEntity, id, v)
	}
	if err := h.commit(r.Context(), next, h.removeSaved); err != nil {
		h.audit(r, id, "revert", "failed", changed, slog.String("error", err.Error()))
		v.err = "Not reverted: " + err.Error() + ". Nothing was changed: the previous settings stay live."
		return h.render(w, r, http.StatusInternalServerError, id, v)
	}
	h.audit(r, id, "revert", "applied", changed)
	return h.render(w, r, http.StatusOK, id, view{cfg: next, checks: v.checks,
		message: "settings.msg.reverted"})
}

// commit changes the settings file with write, then applies next. When applying
// fails, the file is put back as it was before, so that the next start does not pick
// up a change that never went live. On success next becomes the page's current
// configuration.
func (h *Handler) commit(ctx context.Context, next config.Config, write func() error) error {
	ctx, cancel := context.WithTimeout(ctx, applyTimeout)
	defer cancel()
	before, existed, err := h.snapshot()
	if err != nil {
		return err
	}
	if err := write(); err != nil {
		return fmt.Errorf("writing the settings file failed (%w)", err)
	}
	if err := h.opts.Live.Apply(ctx, next); err != nil {
		applyErr := fmt.Errorf("the settings could not be applied (%w)", err)
		if rerr := h.restore(before, existed); rerr != nil {
			h.opts.Logger.Error("restoring the previous settings file failed: fix or delete it before the next start",
				"path", config.SavedPath(h.opts.DataDir), "error", rerr.Error())
			return fmt.Errorf("%w, and the previous settings file could not be restored (%v)", applyErr, rerr)
		}
		return applyErr
	}
	return nil
}

// savedIn returns the saved settings cur was built with: none when they were set
// aside at start (cur.SavedError), since the page shows and compares cur's values.
func (h *Handler) savedIn(cur config.Config) config.Saved {
	if cur.SavedError != nil {
		return config.Saved{}
	}
	return h.readSaved()
}

// readSaved returns the saved settings, secrets opened (a clear secret from an older
// version as it is: the next save seals it), or none when the file cannot be used
// (the live configuration then did not use it either).
func (h *Handler) readSaved() config.Saved {
	s, err := config.ReadSaved(h.opts.DataDir)
	if err == nil {
		s, err = h.opts.Sealer.Open(s)
	}
	if err != nil {
		h.opts.Logger.Warn("the saved settings cannot be read; a save replaces them", "error", err.Error())
		return config.Saved{}
	}
	return s
}

// snapshot returns the settings file's bytes as they are, and whether it exists. An
// unreadable or corrupt file is kept byte for byte, never counted as absent: a failed
// change must not delete what the operator may still need.
func (h *Handler) snapshot() (b []byte, existed bool, err error) {
	b, err = os.ReadFile(config.SavedPath(h.opts.DataDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, true, fmt.Errorf("the settings file cannot be read, so it could not be put back after a failure (%w)", err)
	}
	return b, true, nil
}

// restore puts the settings file back as snapshot found it.
func (h *Handler) restore(before []byte, existed bool) error {
	if existed {
		return config.RestoreSavedFile(h.opts.DataDir, before)
	}
	return h.removeSaved()
}

// removeSaved deletes the settings file; a missing file is not an error.
func (h *Handler) removeSaved() error {
	err := os.Remove(config.SavedPath(h.opts.DataDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove saved settings: %w", err)
	}
	return nil
}

// audit writes the one audit line of a change: who, what, which settings (names
// only, never values) and how it ended.
func (h *Handler) audit(r *http.Request, id claims.Identity, action, outcome string, changed []string, extra ...slog.Attr) {
	level := slog.LevelInfo
	if outcome != "applied" {
		level = slog.LevelWarn
	}
	if changed == nil {
		changed = []string{}
	}
	attrs := append([]slog.Attr{slog.Bool("audit", true), slog.String("event", "settings_change"),
		slog.String("action", action), slog.String("outcome", outcome), slog.String("user", displayName(id)),
		slog.Any("amr", id.AMR), slog.Any("changed", changed), slog.String("request_id", httperr.RequestID(r.Context()))}, extra...)
	h.opts.Logger.LogAttrs(r.Context(), level, "settings "+action+" "+outcome, attrs...)
}
