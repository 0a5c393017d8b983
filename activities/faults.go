package activities

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StepDelay pauses named steps before they run. It is fault injection for crash
// tests (LANDLORD_STEP_DELAY="seed_tenant=10s"), empty in production.
type StepDelay map[string]time.Duration

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
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
