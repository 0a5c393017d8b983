package activities

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StepDelay pauses named steps before they run, or fails them for good. It
// is fault injection for crash tests (LANDLORD_STEP_DELAY="seed_tenant=10s",
// "move_copy=fail"), empty in production.
type StepDelay map[string]time.Duration

// FailStep is the StepDelay of a step that fails for good ("step=fail").
const FailStep time.Duration = -1

// ParseStepDelay reads "step=duration[,step=duration]".
func ParseStepDelay(s string) (StepDelay, error) {
	d := StepDelay{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, dur, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("step delay %q: want step=duration", part)
		}
		if dur == "fail" {
			d[name] = FailStep
			continue
		}
		v, err := time.ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("step delay %q: %w", part, err)
		}
		d[name] = v
	}
	return d, nil
}

func (d StepDelay) pause(ctx context.Context, step string) error {
	wait, ok := d[step]
	if !ok {
		return nil
	}
	if wait == FailStep {
		return permanent(ErrInvalidInput, "fault injection: "+step+" fails", nil)
	}
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
