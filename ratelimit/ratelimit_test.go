package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryAllowsTheLimitThenRefusesAndRefills(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	m := NewMemory()
	m.now = func() time.Time { return now }
	for i := range 60 {
		d, _ := m.Allow(context.Background(), "t", 60)
		require.True(t, d.Allowed, "request %d", i)
		assert.Equal(t, 59-i, d.Remaining)
	}
	d, _ := m.Allow(context.Background(), "t", 60)
	assert.False(t, d.Allowed)
	assert.Equal(t, time.Minute, d.RetryAfter, "one request a minute comes back")
	now = now.Add(time.Minute)
	d, _ = m.Allow(context.Background(), "t", 60)
	assert.True(t, d.Allowed)
	d, _ = m.Allow(context.Background(), "other", 60)
	assert.True(t, d.Allowed, "keys are independent")
}

// TestRedisSharesOneBound runs two limiters (two API replicas) against the
// Redis on 127.0.0.1:6379: together they allow the limit, not twice it.
func TestRedisSharesOneBound(t *testing.T) {
	a, err := NewRedis("redis://127.0.0.1:6379/0", "landlord-test:")
	require.NoError(t, err)
	defer a.Close()
	b, err := NewRedis("redis://127.0.0.1:6379/0", "landlord-test:")
	require.NoError(t, err)
	defer b.Close()
	key := uuid.NewString()
	defer a.client.Del(context.Background(), "landlord-test:"+key)
	allowed := 0
	for i := range 20 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := l.Allow(context.Background(), key, 10)
		require.NoError(t, err)
		if d.Allowed {
			allowed++
		} else {
			assert.Greater(t, d.RetryAfter, time.Duration(0))
		}
	}
	assert.Equal(t, 10, allowed)
}
